package notification

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/openhouse/openhouse/internal/events"
)

func TestTransitionsFindDaylightSavingToTheSecond(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	got := transitions(chicago, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	want := []transition{
		{At: time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC), OffsetFrom: -6 * 3600, Offset: -5 * 3600, Name: "CDT", DST: true},
		{At: time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), OffsetFrom: -5 * 3600, Offset: -6 * 3600, Name: "CST"},
	}
	if len(got) != len(want) {
		t.Fatalf("transitions = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("transition %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if got := transitions(tokyo, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("Tokyo has no DST, got %+v", got)
	}
}

// A provider's feed holds one event per home of theirs on a tour, at that
// stop's times, and nothing of other providers' homes or of the customer; a
// cancelled tour stays 30 days as CANCELLED, then leaves.
func TestProviderFeedShowsOnlyTheirShowings(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	start := time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC)
	tour := events.Tour{TourID: "t1", CustomerID: "c1", RealtorID: "r1", TimeZone: "America/Chicago", Status: "scheduled", Version: 3,
		ScheduledAt: start, EndsAt: start.Add(90 * time.Minute),
		Stops: []events.TourStop{
			{ListingID: "l1", ProviderID: "p1", Title: "Mine", Arrive: start, Leave: start.Add(30 * time.Minute)},
			{ListingID: "l2", ProviderID: "p2", Title: "Theirs", Arrive: start.Add(45 * time.Minute), Leave: start.Add(75 * time.Minute)},
		}}
	data := feedData{UserID: "p1", Names: map[string]string{"c1": "Carol Customer"},
		Places:  map[string]place{"l1": {ListingID: "l1", Title: "Mine", Address: "1 Main St, Chicago"}},
		Entries: []feedEntry{{Role: feedProvider, Active: true, ChangedAt: now, Tour: tour}}}
	raw := buildFeed(data, now)
	cal, err := ical.NewDecoder(bytes.NewReader(raw)).Decode()
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	evs := cal.Events()
	if len(evs) != 1 || evs[0].Props.Get(ical.PropUID).Value != "t1-l1@openhouse" {
		t.Fatalf("events = %d, want only t1-l1:\n%s", len(evs), raw)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	if got, err := evs[0].DateTimeStart(chicago); err != nil || !got.Equal(start) {
		t.Errorf("DTSTART = %v %v, want %s", got, err, start)
	}
	for _, leak := range []string{"Carol", "c1", "Theirs", "l2"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("the provider's feed shows %q:\n%s", leak, raw)
		}
	}

	tour.Status = "cancelled"
	data.Entries[0].Tour = tour
	if raw := buildFeed(data, now.Add(29*24*time.Hour)); !strings.Contains(string(raw), "STATUS:CANCELLED") {
		t.Errorf("a cancelled showing within 30 days is not shown cancelled:\n%s", raw)
	}
	if raw := buildFeed(data, now.Add(31*24*time.Hour)); strings.Contains(string(raw), "BEGIN:VEVENT") {
		t.Errorf("a showing cancelled 31 days ago is still in the feed:\n%s", raw)
	}
}
