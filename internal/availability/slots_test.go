package availability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestFreeStartsAgreeWithSearch checks FreeStarts against its definition,
// on both indexes: a start is free exactly when a Search of that window
// (Limit 1, the same homes) finds someone. Realtors in six zones, around
// days when one of them changes its clocks (Chicago, Berlin, Lord Howe's
// half-hour change, and a plain week), with odd weekly windows (split
// days, whole days, early mornings), holds, ineligible realtors, and one
// to three homes. Window edges stay out of 01:00-04:00 local, where a
// clock change may fall (there the two may differ, by design: see
// freeStarts); tours across a change are in.
func TestFreeStartsAgreeWithSearch(t *testing.T) {
	eachIndex(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		idx := open(t, Options{Buffer: 20 * time.Minute})
		rng := rand.New(rand.NewPCG(15, 2026))
		zones := []string{"America/Chicago", "Europe/Berlin", "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "America/New_York"}
		edges := []string{"00:00", "04:00", "06:30", "08:00", "09:15", "12:00", "13:00", "17:45", "20:00", "23:45"}
		days := []time.Time{
			utc("2026-03-07T00:00:00Z"), // Chicago springs forward on the 8th
			utc("2026-03-28T00:00:00Z"), // Berlin on the 29th
			utc("2026-04-04T00:00:00Z"), // Lord Howe falls back half an hour on the 5th
			utc("2026-10-24T00:00:00Z"), // Berlin falls back on the 25th
			utc("2026-12-01T00:00:00Z"),
		}
		for i := range 16 {
			p := Point{Lat: downtown.Lat + rng.NormFloat64()*0.04, Lng: downtown.Lng + rng.NormFloat64()*0.05}
			r := realtorAt(fmt.Sprintf("r%02d", i), p, 4+rng.Float64()*12)
			r.TimeZone, r.WorkingHours = zones[rng.IntN(len(zones))], nil
			for wd := 1; wd <= 7; wd++ {
				for range rng.IntN(3) {
					a, b := rng.IntN(len(edges)-1), 0
					b = a + 1 + rng.IntN(min(3, len(edges)-1-a))
					r.WorkingHours = append(r.WorkingHours, WorkingHours{Weekday: wd, Start: edges[a], End: edges[b]})
				}
			}
			switch rng.IntN(10) {
			case 0:
				r.Status = statusUnavailable
			case 1:
				r.Active = false
			}
			if err := idx.PutRealtor(ctx, r); err != nil {
				t.Fatal(err)
			}
			for k := range rng.IntN(12) {
				s := days[rng.IntN(len(days))].Add(time.Duration(rng.IntN(4*24*4)) * 15 * time.Minute)
				if err := idx.Reserve(ctx, r.ID, fmt.Sprintf("t%d", k), s, s.Add(time.Duration(30+15*rng.IntN(8))*time.Minute)); err != nil && !errors.Is(err, errTaken) {
					t.Fatal(err)
				}
			}
		}
		compared, freeSeen := 0, 0
		for n := range 15 {
			from := days[n%len(days)]
			q := SlotQuery{Point: Point{Lat: downtown.Lat + rng.NormFloat64()*0.03, Lng: downtown.Lng + rng.NormFloat64()*0.04},
				Step: []time.Duration{15 * time.Minute, 30 * time.Minute, 45 * time.Minute}[n%3], Length: []time.Duration{45 * time.Minute, 90 * time.Minute, 3 * time.Hour}[n%3]}
			for k := range n % 3 {
				q.Also = append(q.Also, Point{Lat: q.Point.Lat + float64(k+1)*0.02, Lng: q.Point.Lng - 0.02})
			}
			// Three ranges over the three days: the first day whole, a gap,
			// the rest in two pieces.
			q.Ranges = []StartRange{
				{From: from, To: from.Add(24*time.Hour - q.Step)},
				{From: from.Add(30 * time.Hour), To: from.Add(52 * time.Hour)},
				{From: from.Add(52*time.Hour + q.Step), To: from.Add(72 * time.Hour)},
			}
			got, err := idx.FreeStarts(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var want []time.Time
			for _, r := range q.Ranges {
				for s := r.From; !s.After(r.To); s = s.Add(q.Step) {
					cs, err := idx.Search(ctx, Query{Point: q.Point, Also: q.Also, Start: s, End: s.Add(q.Length), Limit: 1})
					if err != nil {
						t.Fatal(err)
					}
					if len(cs) > 0 {
						want = append(want, s.UTC())
					}
					compared++
				}
			}
			if !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Fatalf("query %d %+v:\nfree starts %s\nsearches    %s", n, q, clocks(got), clocks(want))
			}
			freeSeen += len(want)
		}
		if freeSeen < compared/10 || freeSeen > compared*9/10 {
			t.Fatalf("%d of %d starts free: the test is not telling much", freeSeen, compared)
		}
		t.Logf("%d starts compared, %d free", compared, freeSeen)
	})
}
