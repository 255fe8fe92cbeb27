package app_test

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/openhouse/openhouse/internal/app"
)

// feed is a calendar feed as a second, independent iCalendar parser
// (emersion/go-ical; the feed is written with arran4/golang-ical) reads it.
type feed struct {
	raw    string
	events map[string]ical.Event // by UID
	zones  map[string]*ical.Component
}

func (m *matrix) readFeed(path string) (int, feed) {
	m.t.Helper()
	status, raw := m.c.raw("GET", path, "", nil, nil)
	f := feed{raw: string(raw), events: map[string]ical.Event{}, zones: map[string]*ical.Component{}}
	if status != 200 {
		return status, f
	}
	cal, err := ical.NewDecoder(bytes.NewReader(raw)).Decode()
	if err != nil {
		m.t.Fatalf("the feed does not parse: %v\n%s", err, raw)
	}
	for _, ev := range cal.Events() {
		f.events[ev.Props.Get(ical.PropUID).Value] = ev
	}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			f.zones[c.Props.Get(ical.PropTimezoneID).Value] = c
		}
	}
	return status, f
}

// start is the event's DTSTART as the feed's own VTIMEZONE defines it: the
// observance in force at the local time gives the offset. It checks the
// VTIMEZONE itself, not the parser's idea of the TZID.
func (f feed) start(t *testing.T, uid string) time.Time {
	t.Helper()
	ev, ok := f.events[uid]
	if !ok {
		t.Fatalf("no event %s in the feed:\n%s", uid, f.raw)
	}
	p := ev.Props.Get(ical.PropDateTimeStart)
	local, err := time.Parse("20060102T150405", p.Value)
	if err != nil {
		t.Fatalf("DTSTART %q: %v", p.Value, err)
	}
	tz := f.zones[p.Params.Get(ical.ParamTimezoneID)]
	if tz == nil {
		t.Fatalf("DTSTART TZID %q has no VTIMEZONE", p.Params.Get(ical.ParamTimezoneID))
	}
	var best time.Time
	offset := ""
	for _, o := range tz.Children {
		at, err := time.Parse("20060102T150405", o.Props.Get(ical.PropDateTimeStart).Value)
		if err != nil {
			t.Fatal(err)
		}
		if !at.After(local) && !at.Before(best) {
			best, offset = at, o.Props.Get(ical.PropTimezoneOffsetTo).Value
		}
	}
	off, err := time.Parse("-0700", offset)
	if err != nil {
		t.Fatalf("TZOFFSETTO %q: %v", offset, err)
	}
	_, sec := off.Zone()
	return local.Add(-time.Duration(sec) * time.Second).UTC()
}

func (f feed) prop(t *testing.T, uid, name string) string {
	t.Helper()
	ev, ok := f.events[uid]
	if !ok {
		t.Fatalf("no event %s in the feed:\n%s", uid, f.raw)
	}
	if p := ev.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

// TestCalendarFeeds: POST /iam/me/calendar-token gives each user a secret
// feed URL. The customer's feed has their tour, the realtor's their
// assignment with the route's addresses, the provider's the showing of
// their home with no trace of the customer; all parse with an independent
// parser, and the times are right by the feed's own VTIMEZONE. A
// reschedule keeps the UID and raises SEQUENCE; a cancellation shows
// STATUS:CANCELLED; a new token makes the old URL 404; no token shows
// another user's tours.
func TestCalendarFeeds(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) { testCalendarFeeds(t, cfg) })
	}
}

func testCalendarFeeds(t *testing.T, cfg app.Config) {
	cfg = withServiceSecrets(cfg)
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	_, c := startApp(t, cfg)
	m := newMatrix(t, c, cfg)
	customer, other, realtor, provider := m.users["customer"][0], m.users["customer"][1], m.users["realtor"][0], m.users["provider"][0]
	b := m.book(customer, realtor)
	theirs := m.book(other, m.users["realtor"][1])

	_, tour := c.call("GET", "/tours/"+b.tour, customer.token, nil)
	start, _ := time.Parse(time.RFC3339, tour["scheduled_at"].(string))
	listingID := tour["listing_ids"].([]any)[0].(string)
	uid := b.tour + "@openhouse"

	customerFeed, realtorFeed, providerFeed := m.feedPath(customer), m.feedPath(realtor), m.feedPath(provider)
	eventually(t, "the tour in every feed", 10*time.Second, func() bool {
		_, a := m.readFeed(customerFeed)
		_, b := m.readFeed(realtorFeed)
		_, p := m.readFeed(providerFeed)
		_, okA := a.events[uid]
		_, okB := b.events[uid]
		_, okP := p.events[strings.TrimSuffix(uid, "@openhouse")+"-"+listingID+"@openhouse"]
		return okA && okB && okP
	})

	status, cf := m.readFeed(customerFeed)
	if status != 200 || !strings.Contains(cf.raw, "BEGIN:VTIMEZONE") {
		t.Fatalf("customer feed = %d\n%s", status, cf.raw)
	}
	if got := cf.start(t, uid); !got.Equal(start) {
		t.Errorf("customer feed DTSTART = %s by its VTIMEZONE, want %s", got, start)
	}
	if cf.prop(t, uid, ical.PropStatus) != "CONFIRMED" || cf.prop(t, uid, ical.PropSequence) == "" {
		t.Errorf("status %q sequence %q", cf.prop(t, uid, ical.PropStatus), cf.prop(t, uid, ical.PropSequence))
	}
	if _, ok := cf.events[theirs.tour+"@openhouse"]; ok || strings.Contains(cf.raw, theirs.tour) {
		t.Errorf("the customer's feed shows another customer's tour")
	}
	_, rf := m.readFeed(realtorFeed)
	if loc := rf.prop(t, uid, ical.PropLocation); !strings.Contains(loc, "1 Main St") || !strings.Contains(rf.prop(t, uid, ical.PropDescription), "Chicago") {
		t.Errorf("the realtor's assignment has no address: LOCATION %q DESCRIPTION %q", loc, rf.prop(t, uid, ical.PropDescription))
	}
	_, pf := m.readFeed(providerFeed)
	for _, secret := range []string{customer.name, customer.email, customer.id} {
		if strings.Contains(pf.raw, secret) {
			t.Errorf("the provider's feed shows the customer (%q):\n%s", secret, pf.raw)
		}
	}
	if strings.Contains(pf.raw, b.tour+"@openhouse") {
		t.Errorf("the provider's feed has the whole tour, want only their showing")
	}

	// A reschedule keeps the UID and raises SEQUENCE.
	seq, err := strconv.Atoi(rf.prop(t, uid, ical.PropSequence))
	if err != nil {
		t.Fatalf("SEQUENCE: %v", err)
	}
	to := start.Add(2 * time.Hour)
	if status, out := c.call("PATCH", "/tours/"+b.tour, customer.token, map[string]string{"scheduled_at": to.Format(time.RFC3339)}); status != 200 {
		t.Fatalf("reschedule = %d %v", status, out)
	}
	eventually(t, "the customer's feed to show the new time", 15*time.Second, func() bool {
		_, f := m.readFeed(customerFeed)
		_, ok := f.events[uid]
		n, _ := strconv.Atoi(f.prop(t, uid, ical.PropSequence))
		return ok && f.start(t, uid).Equal(to) && n > seq
	})
	_, cf = m.readFeed(customerFeed)
	if n := len(cf.events); n != 1 {
		t.Errorf("after a reschedule the customer's feed has %d events, want the same one", n)
	}

	// Cancelled: still there, as cancelled.
	if status, out := c.call("DELETE", "/tours/"+b.tour, customer.token, nil); status >= 300 {
		t.Fatalf("cancel = %d %v", status, out)
	}
	eventually(t, "the cancellation in the customer's feed", 15*time.Second, func() bool {
		_, f := m.readFeed(customerFeed)
		_, ok := f.events[uid]
		return ok && f.prop(t, uid, ical.PropStatus) == "CANCELLED"
	})

	// Rotation: the old URL is gone, the new one works.
	rotated := m.feedPath(customer)
	if status, _ := m.readFeed(customerFeed); status != 404 {
		t.Errorf("the replaced feed URL = %d, want 404", status)
	}
	if status, f := m.readFeed(rotated); status != 200 || len(f.events) != 1 {
		t.Errorf("the new feed URL = %d with %d events", status, len(f.events))
	}
	for _, bad := range []string{"/calendar/" + strings.Repeat("A", 43) + ".ics", "/calendar/nothing.ics", "/calendar/" + url.PathEscape("../iam/me")} {
		if status, _ := m.readFeed(bad); status != 404 {
			t.Errorf("GET %s = %d, want 404", bad, status)
		}
	}
}
