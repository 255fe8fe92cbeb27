package iam

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// gate is the appointment service as iam sees it: it refuses time off over
// its booked tours, and records what it took.
type gate struct {
	mu     sync.Mutex
	booked []clients.BookedTour
	taken  []clients.RealtorSchedule
	down   bool
}

func (g *gate) Apply(_ context.Context, _ string, s clients.RealtorSchedule) ([]clients.BookedTour, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down {
		return nil, errors.New("connection refused")
	}
	var covered []clients.BookedTour
	for _, b := range g.booked {
		for _, o := range s.TimeOff {
			if o.Start.Before(b.EndsAt) && o.End.After(b.StartsAt) {
				covered = append(covered, b)
				break
			}
		}
	}
	if len(covered) == 0 {
		g.taken = append(g.taken, s)
	}
	return covered, nil
}

func TestRealtorSchedule(t *testing.T) {
	g := &gate{}
	h := newHarness(t, storetest.OpenSQLite, func(c *Config) { c.Schedules = g })
	realtor := h.register(roleRealtor, "rita")
	if resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"time_zone": "America/Chicago"}); resp.status != 200 {
		t.Fatalf("zone: %d %s", resp.status, resp.body)
	}

	// Bad input: 422 naming the field, nothing asked or saved.
	for name, body := range map[string]any{
		"end before start":    map[string]any{"time_off": []map[string]string{{"start": "2026-12-24T10:00", "end": "2026-12-24T09:00"}}},
		"not a time":          map[string]any{"time_off": []map[string]string{{"start": "tomorrow", "end": "2026-12-24T09:00"}}},
		"reason with control": map[string]any{"time_off": []map[string]string{{"start": "2026-12-24T00:00", "end": "2026-12-25T00:00", "reason": "a\u202eb"}}},
		"longer than a year":  map[string]any{"time_off": []map[string]string{{"start": "2026-12-24T00:00", "end": "2028-12-25T00:00"}}},
		"negative cap":        map[string]any{"max_tours_per_day": -1},
		"huge cap":            map[string]any{"max_tours_per_day": 51},
	} {
		if resp := h.do("PATCH", "/iam/me", realtor.token, body); resp.status != 422 {
			t.Errorf("%s: %d %s, want 422", name, resp.status, resp.body)
		}
	}
	if len(g.taken) != 0 || len(h.outboxEvents(events.TypeRealtorProfileChanged)) != 1 {
		t.Fatalf("bad input reached the gate (%d) or changed the profile", len(g.taken))
	}

	// Time off on the realtor's wall clock, and a cap: saved, shown in
	// their zone, sent to the gate and in the profile event.
	resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"max_tours_per_day": 3, "time_off": []map[string]string{
		{"start": "2026-12-24T00:00", "end": "2026-12-27T00:00", "reason": "  Holidays  "},
		{"start": "2026-12-01T15:00:00Z", "end": "2026-12-01T17:00:00Z", "reason": "Dentist"}}})
	if resp.status != 200 {
		t.Fatalf("time off: %d %s", resp.status, resp.body)
	}
	var me struct {
		Profile struct {
			TimeOff []struct {
				Start, End time.Time
				Reason     string
			} `json:"time_off"`
			MaxToursPerDay int `json:"max_tours_per_day"`
		}
	}
	if err := json.Unmarshal(resp.body, &me); err != nil {
		t.Fatal(err)
	}
	off := me.Profile.TimeOff
	if me.Profile.MaxToursPerDay != 3 || len(off) != 2 || off[0].Reason != "Dentist" || off[1].Reason != "Holidays" ||
		!off[1].Start.Equal(time.Date(2026, 12, 24, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("profile = %s", resp.body)
	}
	if _, o := off[1].Start.Zone(); o != -6*3600 {
		t.Errorf("time off shown at offset %d, want the realtor's (-6h)", o)
	}
	if len(g.taken) != 1 || g.taken[0].MaxToursPerDay != 3 || len(g.taken[0].TimeOff) != 2 || g.taken[0].TimeZone != "America/Chicago" {
		t.Fatalf("gate took %+v", g.taken)
	}
	evs := h.outboxEvents(events.TypeRealtorProfileChanged)
	var last events.RealtorProfileChanged
	if err := evs[len(evs)-1].DataAs(&last); err != nil {
		t.Fatal(err)
	}
	if last.MaxToursPerDay != 3 || len(last.TimeOff) != 2 || last.TimeOff[1].Reason != "Holidays" || !last.At.Equal(g.taken[0].At) {
		t.Fatalf("profile event = %+v (gate at %v)", last, g.taken[0].At)
	}

	// Time off over a booked tour: 409 listing it, nothing saved.
	g.booked = []clients.BookedTour{{TourID: "tour-1", StartsAt: time.Date(2026, 12, 10, 16, 0, 0, 0, time.UTC),
		EndsAt: time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC), Status: "scheduled"}}
	resp = h.do("PATCH", "/iam/me", realtor.token, map[string]any{"time_off": []map[string]string{{"start": "2026-12-10T00:00", "end": "2026-12-11T00:00", "reason": "Sick"}}})
	if resp.status != 409 {
		t.Fatalf("time off over a tour: %d %s, want 409", resp.status, resp.body)
	}
	var problem struct {
		Type  string               `json:"type"`
		Tours []clients.BookedTour `json:"tours"`
	}
	if err := json.Unmarshal(resp.body, &problem); err != nil || problem.Type != clients.TypeTimeOffConflict ||
		len(problem.Tours) != 1 || problem.Tours[0].TourID != "tour-1" {
		t.Fatalf("409 = %s", resp.body)
	}
	if n := len(h.outboxEvents(events.TypeRealtorProfileChanged)); n != len(evs) {
		t.Fatalf("a refused change published a profile (%d events, had %d)", n, len(evs))
	}

	// The booking service unreachable: 503, nothing saved.
	g.down = true
	if resp := h.do("PATCH", "/iam/me", realtor.token, map[string]any{"max_tours_per_day": 1}); resp.status != 503 {
		t.Fatalf("gate down: %d %s, want 503", resp.status, resp.body)
	}
	if n := len(h.outboxEvents(events.TypeRealtorProfileChanged)); n != len(evs) {
		t.Fatalf("an unchecked change published a profile")
	}

	// Customers have no schedule.
	customer := h.register(roleCustomer, "carl")
	if resp := h.do("PATCH", "/iam/me", customer.token, map[string]any{"max_tours_per_day": 2}); resp.status != 422 {
		t.Fatalf("customer cap: %d, want 422", resp.status)
	}
}
