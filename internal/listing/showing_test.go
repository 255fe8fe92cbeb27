package listing

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
	"github.com/openhouse/openhouse/internal/tourplan"
)

type showingResponse struct {
	Showing events.Showing `json:"showing"`
}

// TestShowingRules: a listing's showing rules are written with it, read
// back, changed whole by PATCH, kept by a PUT that leaves them out, carried
// by its events, and refused field by field when broken (changing
// nothing).
func TestShowingRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		s := newServer(t, open)
		p := s.provider("p1", true)

		// Absent: auto, no limits, empty lists (not null).
		plain := s.create(p, seattle())
		var v showingResponse
		s.do(&p, "GET", "/listings/"+plain.ID, nil).want(200).decode(&v)
		if v.Showing.Mode != "auto" || v.Showing.Windows == nil || v.Showing.Blackouts == nil || v.Showing.MaxPerDay != 0 {
			t.Fatalf("default showing %+v", v.Showing)
		}

		rules := map[string]any{
			"mode": "confirm", "min_notice_minutes": 120, "max_per_day": 3, "visit_minutes": 45,
			"windows":   []map[string]any{{"weekday": 6, "start": "10:00", "end": "14:00"}, {"weekday": 7, "start": "12:00", "end": "24:00"}},
			"blackouts": []map[string]any{{"start": "2030-12-24T00:00:00-08:00", "end": "2030-12-27T00:00:00-08:00"}},
			"message":   "  Call ahead. ",
		}
		b := body(seattle())
		b["showing"] = rules
		var created showingResponse
		resp := s.do(&p, "POST", "/listings", b).want(201)
		resp.decode(&created)
		var id struct{ ID string }
		resp.decode(&id)
		want := events.Showing{Mode: "confirm", MinNoticeMinutes: 120, MaxPerDay: 3, VisitMinutes: 45,
			Windows:   []events.ShowingWindow{{Weekday: 6, Start: "10:00", End: "14:00"}, {Weekday: 7, Start: "12:00", End: "24:00"}},
			Blackouts: []events.TimeRange{{Start: time.Date(2030, 12, 24, 8, 0, 0, 0, time.UTC), End: time.Date(2030, 12, 27, 8, 0, 0, 0, time.UTC)}},
			Message:   "Call ahead."}
		var got showingResponse
		s.do(&p, "GET", "/listings/"+id.ID, nil).want(200).decode(&got)
		if !sameShowing(got.Showing, want) || !sameShowing(created.Showing, want) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got.Showing, want)
		}

		// PUT without showing keeps the rules; with it, replaces them.
		s.do(&p, "PUT", "/listings/"+id.ID, body(seattle())).want(200).decode(&got)
		if !sameShowing(got.Showing, want) {
			t.Fatalf("a PUT without showing changed them: %+v", got.Showing)
		}
		// PATCH replaces them whole.
		s.clock.Advance(time.Minute)
		s.do(&p, "PATCH", "/listings/"+id.ID, map[string]any{"showing": map[string]any{"mode": "none", "message": "Sold"}}).want(200).decode(&got)
		if got.Showing.Mode != "none" || got.Showing.Message != "Sold" || len(got.Showing.Windows) != 0 || got.Showing.MaxPerDay != 0 {
			t.Fatalf("patched showing %+v", got.Showing)
		}

		// The events carry them.
		created0 := outboxtest.Data[events.ListingCreated](t, s.db, events.TypeListingCreated)
		if len(created0) != 2 || !sameShowing(created0[1].Listing.Showing, want) {
			t.Fatalf("created events %+v", created0)
		}
		updated := outboxtest.Data[events.ListingUpdated](t, s.db, events.TypeListingUpdated)
		if len(updated) != 1 || updated[0].Listing.Showing.Mode != "none" || !slices.Equal(updated[0].Changed, []string{"showing"}) {
			t.Fatalf("updated events %+v", updated)
		}

		// Broken rules: every field named, nothing changed.
		before := snapshotState(t, s)
		for name, tc := range map[string]struct {
			showing any
			fields  []string
		}{
			"mode":       {map[string]any{"mode": "sometimes"}, []string{"showing.mode"}},
			"limits":     {map[string]any{"min_notice_minutes": -1, "max_per_day": 51, "visit_minutes": 2}, []string{"showing.min_notice_minutes", "showing.max_per_day", "showing.visit_minutes"}},
			"weekday":    {map[string]any{"windows": []map[string]any{{"weekday": 0, "start": "10:00", "end": "11:00"}}}, []string{"showing.windows[0].weekday"}},
			"clock":      {map[string]any{"windows": []map[string]any{{"weekday": 1, "start": "9:00", "end": "11:00"}, {"weekday": 1, "start": "10:00", "end": "24:30"}}}, []string{"showing.windows[0].start", "showing.windows[1].end"}},
			"24 start":   {map[string]any{"windows": []map[string]any{{"weekday": 1, "start": "24:00", "end": "24:00"}}}, []string{"showing.windows[0].start"}},
			"reversed":   {map[string]any{"windows": []map[string]any{{"weekday": 1, "start": "12:00", "end": "10:00"}}}, []string{"showing.windows[0]"}},
			"blackout":   {map[string]any{"blackouts": []map[string]any{{"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}}}, []string{"showing.blackouts[0]"}},
			"no end":     {map[string]any{"blackouts": []map[string]any{{"start": "2030-01-02T00:00:00Z"}}}, []string{"showing.blackouts[0]"}},
			"control":    {map[string]any{"message": "bad\u0007bell"}, []string{"showing.message"}},
			"bidi":       {map[string]any{"message": "a\u202eb"}, []string{"showing.message"}},
			"line break": {map[string]any{"message": "one\ntwo"}, []string{"showing.message"}},
			"long":       {map[string]any{"message": string(make([]byte, 501))}, []string{"showing.message"}},
		} {
			pr := s.do(&p, "PATCH", "/listings/"+id.ID, map[string]any{"showing": tc.showing}).problem(422)
			var fields []string
			for _, e := range pr.Errors {
				fields = append(fields, e.Field)
			}
			slices.Sort(fields)
			slices.Sort(tc.fields)
			if !slices.Equal(fields, tc.fields) {
				t.Errorf("%s: fields %v, want %v", name, fields, tc.fields)
			}
		}
		// A wrong type is a 400.
		s.do(&p, "PATCH", "/listings/"+id.ID, map[string]any{"showing": map[string]any{"max_per_day": "3"}}).problem(400)
		s.do(&p, "PATCH", "/listings/"+id.ID, map[string]any{"showing": map[string]any{"unknown": 1}}).problem(400)
		if after := snapshotState(t, s); after != before {
			t.Fatalf("refused changes changed the state:\n%s\n%s", before, after)
		}
	})
}

// sameShowing compares rules with instants compared as instants.
func sameShowing(a, b events.Showing) bool {
	if len(a.Blackouts) != len(b.Blackouts) {
		return false
	}
	for i := range a.Blackouts {
		if !a.Blackouts[i].Start.Equal(b.Blackouts[i].Start) || !a.Blackouts[i].End.Equal(b.Blackouts[i].End) {
			return false
		}
	}
	a.Blackouts, b.Blackouts = nil, nil
	return reflect.DeepEqual(a, b)
}

// everyStart is an availability double: every start asked for is open.
type everyStart struct{}

func (everyStart) Slots(_ context.Context, q clients.SlotQuery) ([]time.Time, error) {
	var out []time.Time
	for _, r := range q.Ranges {
		for t := r.From; !t.After(r.To); t = t.Add(q.Step) {
			out = append(out, t)
		}
	}
	return out, nil
}

// TestSlotsKeepShowingRules: a home's open slots leave out the starts
// outside its windows, in its blackouts and under its notice, last its
// visit length, and a home not shown has none, with its message.
func TestSlotsKeepShowingRules(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0) // Saturday 1 June 2030, 05:00 in Seattle
	st, _ := openStore(t, storetest.OpenSQLite, clk)
	svc, err := New(st, Config{Clock: clk, Log: quiet(), Slots: everyStart{}})
	if err != nil {
		t.Fatal(err)
	}
	s := newServerWith(t, st, nil, clk)
	s.provider("p1", true)
	seattleTZ, _ := time.LoadLocation("America/Los_Angeles")
	d := seattle()
	d.Showing = events.Showing{MinNoticeMinutes: 6 * 60, VisitMinutes: 60,
		Windows:   []events.ShowingWindow{{Weekday: 6, Start: "09:00", End: "12:00"}, {Weekday: 1, Start: "15:00", End: "17:00"}},
		Blackouts: []events.TimeRange{{Start: time.Date(2030, 6, 3, 16, 0, 0, 0, seattleTZ), End: time.Date(2030, 6, 3, 16, 30, 0, 0, seattleTZ)}}}
	l, err := svc.Create(ctx, "p1", d)
	if err != nil {
		t.Fatal(err)
	}
	slots, err := svc.Slots(ctx, l.ID, tourplan.SlotsQuery{Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range slots.Items {
		got = append(got, s.Start.In(seattleTZ).Format("Mon 15:04"))
	}
	// Saturday: 11:00 is the first start 6 h ahead, 11:00 the last that
	// ends by 12:00. Sunday: no window. Monday: 15:00 ends as the
	// 16:00-16:30 blackout starts; every later start overlaps it or runs
	// past 17:00.
	want := []string{"Sat 11:00", "Mon 15:00"}
	if slots.DurationMinutes != 60 || !slices.Equal(got, want) {
		t.Fatalf("%d min slots %v, want 60 min %v", slots.DurationMinutes, got, want)
	}

	none := seattle()
	none.Showing = events.Showing{Mode: events.ShowingNone, Message: "Sold, pending closing."}
	l2, err := svc.Create(ctx, "p1", none)
	if err != nil {
		t.Fatal(err)
	}
	if slots, err = svc.Slots(ctx, l2.ID, tourplan.SlotsQuery{Days: 7}); err != nil || len(slots.Items) != 0 || slots.Message != "Sold, pending closing." {
		t.Fatalf("mode none: %+v, %v", slots, err)
	}
}
