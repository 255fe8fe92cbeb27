package availability

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestScheduleContract: time off, busy blocks of the realtor's own
// calendar and the daily cap, the same on both indexes, in Search and in
// FreeStarts.
func TestScheduleContract(t *testing.T) {
	eachIndex(t, scheduleContract)
}

func scheduleContract(t *testing.T, open opener) {
	ctx := context.Background()
	// One realtor working 08:00-18:00, a one-hour tour on a 30-minute grid,
	// 08:00 to 17:00 of the Chicago day at(), and the next day.
	q := SlotQuery{Point: downtown, Step: 30 * time.Minute, Length: time.Hour,
		Ranges: []StartRange{{From: at("08:00"), To: at("17:00")}, {From: at("08:00").AddDate(0, 0, 1), To: at("17:00").AddDate(0, 0, 1)}}}
	day1, day2 := grid(at("08:00"), at("17:00"), 30*time.Minute), grid(at("08:00").AddDate(0, 0, 1), at("17:00").AddDate(0, 0, 1), 30*time.Minute)
	free := func(t *testing.T, idx Index) []time.Time {
		t.Helper()
		got, err := idx.FreeStarts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	searching := func(t *testing.T, idx Index, start time.Time) bool {
		t.Helper()
		cs, err := idx.Search(ctx, Query{Point: downtown, Start: start, End: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs) == 1
	}
	// agree checks that Search offers the realtor exactly at the starts
	// FreeStarts answers, and that those are want.
	agree := func(t *testing.T, idx Index, what string, want []time.Time) {
		t.Helper()
		got := free(t, idx)
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Fatalf("%s, free starts:\n got  %s\n want %s", what, clocks(got), clocks(want))
		}
		for _, s := range append(slices.Clone(day1), day2...) {
			if searching(t, idx, s) != slices.ContainsFunc(want, s.Equal) {
				t.Fatalf("%s: Search at %s says %v, FreeStarts the opposite", what, clocks([]time.Time{s}), searching(t, idx, s))
			}
		}
	}
	without := func(all []time.Time, gone ...time.Time) []time.Time {
		return slices.DeleteFunc(slices.Clone(all), func(s time.Time) bool { return slices.ContainsFunc(gone, s.Equal) })
	}

	t.Run("time off removes the starts whose tour overlaps it, not widened", func(t *testing.T) {
		idx := open(t, Options{Buffer: 30 * time.Minute})
		r := realtorAt("r", north(downtown, 1), 10)
		r.TimeOff = []Span{{Start: at("12:00"), End: at("13:00")}}
		if err := idx.PutRealtor(ctx, r); err != nil {
			t.Fatal(err)
		}
		// 11:30 (ends 12:30) and 12:00, 12:30 overlap; 11:00 ends at 12:00
		// and 13:00 starts as it ends: both free.
		agree(t, idx, "time off 12:00-13:00", append(without(day1, at("11:30"), at("12:00"), at("12:30")), day2...))
		got, err := idx.Realtor(ctx, "r")
		if err != nil || len(got.TimeOff) != 1 || !got.TimeOff[0].Start.Equal(at("12:00")) {
			t.Fatalf("Realtor = %+v, %v; want the time off kept", got.TimeOff, err)
		}
		r.TimeOff, r.UpdatedAt = nil, r.UpdatedAt.Add(time.Second)
		if err := idx.PutRealtor(ctx, r); err != nil {
			t.Fatal(err)
		}
		agree(t, idx, "time off removed", append(slices.Clone(day1), day2...))
	})

	t.Run("busy blocks: newest wins, the realtor need not be known yet", func(t *testing.T) {
		idx := open(t, Options{Buffer: 30 * time.Minute})
		t0 := profileTime
		if err := idx.PutBusy(ctx, "r", []Span{{Start: at("09:00"), End: at("09:30")}}, t0); err != nil {
			t.Fatal(err)
		}
		if err := idx.PutRealtor(ctx, realtorAt("r", north(downtown, 1), 10)); err != nil {
			t.Fatal(err)
		}
		agree(t, idx, "busy 09:00-09:30", append(without(day1, at("08:30"), at("09:00")), day2...))
		next := []Span{{Start: at("14:00"), End: at("15:00")}, {Start: at("10:00").AddDate(0, 0, 1), End: at("10:15").AddDate(0, 0, 1)}}
		if err := idx.PutBusy(ctx, "r", next, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := idx.PutBusy(ctx, "r", nil, t0); err != nil { // older news: ignored
			t.Fatal(err)
		}
		want := append(without(day1, at("13:30"), at("14:00"), at("14:30")), without(day2, at("09:30").AddDate(0, 0, 1), at("10:00").AddDate(0, 0, 1))...)
		agree(t, idx, "the newer blocks", want)
		if err := idx.PutBusy(ctx, "r", nil, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		agree(t, idx, "no blocks", append(slices.Clone(day1), day2...))
		if err := idx.PutBusy(ctx, "r", []Span{{Start: at("10:00"), End: at("09:00")}}, t0.Add(3*time.Minute)); !errors.Is(err, errInvalid) {
			t.Fatalf("backwards block: %v, want ErrInvalid", err)
		}
	})

	t.Run("daily cap: a day with as many bookings as the cap offers no more; the next day does", func(t *testing.T) {
		idx := open(t, Options{Buffer: 30 * time.Minute})
		r := realtorAt("r", north(downtown, 1), 10)
		r.MaxToursPerDay = 1
		if err := idx.PutRealtor(ctx, r); err != nil {
			t.Fatal(err)
		}
		agree(t, idx, "no bookings", append(slices.Clone(day1), day2...))
		if err := idx.Reserve(ctx, "r", "t1", at("09:00"), at("10:00")); err != nil {
			t.Fatal(err)
		}
		agree(t, idx, "one booking, cap 1", day2)
		r.MaxToursPerDay, r.UpdatedAt = 2, r.UpdatedAt.Add(time.Second)
		if err := idx.PutRealtor(ctx, r); err != nil {
			t.Fatal(err)
		}
		// Cap 2: the day is open again around the booking and its buffer.
		agree(t, idx, "one booking, cap 2", append(without(day1, at("08:00"), at("08:30"), at("09:00"), at("09:30"), at("10:00")), day2...))
		if err := idx.Release(ctx, "r", "t1", time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		agree(t, idx, "released", append(slices.Clone(day1), day2...))
	})
}
