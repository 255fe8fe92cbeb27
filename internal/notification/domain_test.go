package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

func ptr[T any](v T) *T { return &v }

func TestContactNewestNewsWins(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	registered := contactUpdate{UserID: "u", Email: ptr("Ada@Example.com"), Name: ptr("Ada"), Role: "realtor", At: t0}
	renamed := contactUpdate{UserID: "u", Email: ptr("ada@new.example"), Name: ptr("Ada L."), At: t0.Add(time.Hour)}
	profile := contactUpdate{UserID: "u", Name: ptr("Ada (profile)"), TimeZone: ptr("America/Chicago"), At: t0.Add(30 * time.Minute)}
	orders := map[string][]contactUpdate{
		"in order":   {registered, profile, renamed},
		"reversed":   {renamed, profile, registered},
		"interleave": {profile, renamed, registered},
	}
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			var c contact
			for _, u := range order {
				c = c.Apply(u)
			}
			if c.Email != "ada@new.example" || c.Name != "Ada L." || c.TimeZone != "America/Chicago" || c.Role != "realtor" {
				t.Fatalf("contact = %+v", c)
			}
		})
	}
	var c contact
	c = c.Apply(registered)
	if c.Email != "ada@example.com" {
		t.Fatalf("email not normalised: %q", c.Email)
	}
}

func TestPlanRemindersSkipsPastOffsets(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	offsets := []time.Duration{24 * time.Hour, time.Hour}
	n := 0
	newID := func() string { n++; return fmt.Sprint("r", n) }
	users := map[string]string{"cust": roleCustomer, "real": roleRealtor}
	cases := []struct {
		name  string
		ahead time.Duration
		want  []time.Duration // offsets kept, per user
	}{
		{"two days ahead", 48 * time.Hour, offsets},
		{"five hours ahead", 5 * time.Hour, []time.Duration{time.Hour}},
		{"thirty minutes ahead", 30 * time.Minute, nil},
		{"exactly one hour ahead", time.Hour, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tour := events.Tour{TourID: "t", Version: 2, ScheduledAt: now.Add(c.ahead)}
			got := planReminders(tour, users, offsets, now, newID)
			if len(got) != 2*len(c.want) {
				t.Fatalf("%d reminders, want %d: %+v", len(got), 2*len(c.want), got)
			}
			for _, r := range got {
				if !r.DueAt.Equal(tour.ScheduledAt.Add(-r.Offset)) || !r.DueAt.After(now) || r.TourVersion != 2 || r.Role != users[r.UserID] {
					t.Fatalf("reminder %+v", r)
				}
			}
		})
	}
}

func TestDecideFire(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := reminder{TourID: "t", TourVersion: 3, DueAt: now.Add(-time.Minute), Offset: time.Hour}
	tour := events.Tour{TourID: "t", Version: 3, Status: "scheduled", ScheduledAt: now.Add(59 * time.Minute)}
	moved := tour
	moved.Version = 4
	cancelled := tour
	cancelled.Status = "cancelled"
	started := tour
	started.ScheduledAt = now
	cases := []struct {
		name     string
		tour     events.Tour
		known    bool
		newerDue bool
		want     fireDecision
	}{
		{"due", tour, true, false, fireSend},
		{"tour unknown", tour, false, false, fireCancel},
		{"tour changed since", moved, true, false, fireCancel},
		{"tour cancelled", cancelled, true, false, fireCancel},
		{"tour started", started, true, false, fireSkip},
		{"a later reminder is due too", tour, true, true, fireSkip},
	}
	for _, c := range cases {
		if got := decideFire(r, c.tour, c.known, c.newerDue, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRetryBacksOffThenGivesUp(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	boom := errors.New("502 from receiver")
	wantWaits := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, w := range wantWaits {
		o := retry(i+1, 5, 30*time.Second, 3*time.Minute+30*time.Second, now, boom)
		want := min(w, 3*time.Minute+30*time.Second)
		if o.State != deliveryPending || o.NextAttemptAt.Sub(now) != want || o.Error != boom.Error() {
			t.Fatalf("attempt %d: %+v, want pending after %s", i+1, o, want)
		}
	}
	o := retry(5, 5, 30*time.Second, time.Hour, now, boom)
	if o.State != deliveryFailed || !strings.Contains(o.Error, "gave up after 5 attempts") {
		t.Fatalf("last attempt: %+v", o)
	}
}

func TestValidateWebhook(t *testing.T) {
	good := "0123456789abcdef"
	cases := []struct {
		name, url, secret string
		loopback          bool
		fields            []string
	}{
		{"https", "https://hooks.example.com/openhouse?x=1", good, false, nil},
		{"loopback http in tests", "http://127.0.0.1:8080/hook", good, true, nil},
		{"loopback http outside tests", "http://127.0.0.1:8080/hook", good, false, []string{"url"}},
		{"plain http", "http://hooks.example.com/", good, true, []string{"url"}},
		{"other scheme", "ftp://hooks.example.com/", good, false, []string{"url"}},
		{"relative", "/hook", good, false, []string{"url"}},
		{"not a URL", "::::", good, false, []string{"url"}},
		{"empty", "", good, false, []string{"url"}},
		{"credentials", "https://user:pw@hooks.example.com/", good, false, []string{"url"}},
		{"fragment", "https://hooks.example.com/#x", good, false, []string{"url"}},
		{"too long", "https://hooks.example.com/" + strings.Repeat("a", 2100), good, false, []string{"url"}},
		{"short secret", "https://hooks.example.com/", "short", false, []string{"secret"}},
		{"long secret", "https://hooks.example.com/", strings.Repeat("s", 257), false, []string{"secret"}},
		{"both", "gopher://x", "", false, []string{"url", "secret"}},
		{"private address literal", "https://10.0.0.1/hook", good, false, []string{"url"}},
		{"loopback address literal over https", "https://127.0.0.1:8443/hook", good, false, []string{"url"}},
		{"loopback over https in tests", "https://127.0.0.1:8443/hook", good, true, nil},
		{"metadata address", "https://169.254.169.254/", good, true, []string{"url"}},
		{"non-ASCII host", "https://hooks.ex\u00e4mple.com/", good, false, []string{"url"}},
		{"bidi override in the path", "https://hooks.example.com/\u202eoh", good, false, []string{"url"}},
		{"control character in the secret", "https://hooks.example.com/", "0123456789\x1babcdef", false, []string{"secret"}},
		{"bidi override in the secret", "https://hooks.example.com/", "0123456789\u202eabcdef", false, []string{"secret"}},
	}
	for _, c := range cases {
		err := validateWebhook(c.url, c.secret, c.loopback)
		var v fault.ValidationError
		if len(c.fields) == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.As(err, &v) || len(v) != len(c.fields) {
			t.Errorf("%s: %v, want errors on %v", c.name, err, c.fields)
			continue
		}
		for i, f := range c.fields {
			if v[i].Field != f {
				t.Errorf("%s: field %d = %s, want %s", c.name, i, v[i].Field, f)
			}
		}
	}
}

func TestParseOffsets(t *testing.T) {
	got, err := ParseOffsets(" 24h, 1h ,15m")
	if err != nil || len(got) != 3 || got[0] != 24*time.Hour || got[2] != 15*time.Minute {
		t.Fatalf("ParseOffsets = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "tomorrow", "1h,1h", "-1h", "0s", "1500ms", "800h"} {
		if _, err := ParseOffsets(bad); err == nil {
			t.Errorf("ParseOffsets(%q) succeeded", bad)
		}
	}
}

func TestComposeShowsRecipientsZone(t *testing.T) {
	start := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	tour := events.Tour{TourID: "t", ScheduledAt: start, EndsAt: start.Add(90 * time.Minute), TimeZone: "America/Chicago",
		Stops: []events.TourStop{{Title: "Lake loft", Arrive: start}, {Title: "Wicker house", Arrive: start.Add(45 * time.Minute)}}}
	cases := []struct {
		name  string
		kind  Kind
		r     recipient
		d     details
		wants []string
	}{
		{"customer scheduled", kindTourScheduled,
			recipient{Role: roleCustomer, Name: "Cleo", Zone: zoneFor(tour.TimeZone)},
			details{OtherName: "Rita"},
			[]string{"Hello Cleo", "Tuesday 1 December 2026, 10:00 CST (America/Chicago)", "Your realtor is Rita", "1. 10:00  Lake loft", "2. 10:45  Wicker house"}},
		{"realtor in New York", kindTourScheduled,
			recipient{Role: roleRealtor, Name: "Rita", Zone: zoneFor("America/New_York", tour.TimeZone)},
			details{OtherName: "Cleo"},
			[]string{"Tuesday 1 December 2026, 11:00 EST (America/New_York)", "with Cleo"}},
		{"reminder", kindTourReminder,
			recipient{Role: roleCustomer, Zone: zoneFor("Europe/Berlin")},
			details{Offset: 24 * time.Hour},
			[]string{"starts in 24 hours", "17:00 CET (Europe/Berlin)"}},
		{"reminder in 90 minutes", kindTourReminder,
			recipient{Role: roleCustomer, Zone: zoneFor("")},
			details{Offset: 90 * time.Minute},
			[]string{"starts in 1 hour 30 minutes", "16:00 UTC (UTC)"}},
		{"cancelled with refund", kindTourCancelled,
			recipient{Role: roleCustomer, Zone: zoneFor(tour.TimeZone)},
			details{Reason: "customer", Refund: events.Money{Amount: 4050, Currency: "USD"}},
			[]string{"cancelled at your request", "refunded 40.50 USD"}},
		{"rescheduled", kindTourRescheduled,
			recipient{Role: roleCustomer, Zone: zoneFor(tour.TimeZone)},
			details{Previous: start.Add(-24 * time.Hour)},
			[]string{"from Monday 30 November 2026, 10:00 CST (America/Chicago) to Tuesday 1 December 2026, 10:00 CST"}},
		{"unassigned", kindTourUnassigned,
			recipient{Role: roleCustomer, Zone: zoneFor(tour.TimeZone)},
			details{}, []string{"No realtor is free yet"}},
	}
	for _, c := range cases {
		m := compose(c.kind, c.r, tour, c.d)
		if m.Subject == "" {
			t.Errorf("%s: empty subject", c.name)
		}
		for _, w := range c.wants {
			if !strings.Contains(m.Body, w) {
				t.Errorf("%s: body lacks %q:\n%s", c.name, w, m.Body)
			}
		}
	}
}
