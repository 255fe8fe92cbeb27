package availability

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// slotContract is FreeStarts' part of the index contract (indexContract
// runs it against both indexes).
func slotContract(t *testing.T, open opener) {
	ctx := context.Background()
	put := func(t *testing.T, idx Index, rs ...Realtor) {
		t.Helper()
		for _, r := range rs {
			if err := idx.PutRealtor(ctx, r); err != nil {
				t.Fatalf("put %s: %v", r.ID, err)
			}
		}
	}
	free := func(t *testing.T, idx Index, q SlotQuery) []time.Time {
		t.Helper()
		got, err := idx.FreeStarts(ctx, q)
		if err != nil {
			t.Fatalf("free starts %+v: %v", q, err)
		}
		if !slices.IsSortedFunc(got, time.Time.Compare) {
			t.Fatalf("free starts not in order: %v", got)
		}
		for _, s := range got {
			if s.Location() != time.UTC {
				t.Fatalf("free start %v is not in UTC", s)
			}
		}
		return got
	}
	// day asks for the Chicago day of at(): starts every step from..to.
	day := func(from, to string, step, length time.Duration, also ...Point) SlotQuery {
		return SlotQuery{Point: downtown, Also: also, Ranges: []StartRange{{From: at(from), To: at(to)}},
			Step: step, Length: length}
	}
	expect := func(t *testing.T, what string, got []time.Time, want ...time.Time) {
		t.Helper()
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Fatalf("%s:\n got  %s\n want %s", what, clocks(got), clocks(want))
		}
	}

	t.Run("free starts: one realtor, one home", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx, realtorAt("r", north(downtown, 1), 10)) // 08:00-18:00 every day
		got := free(t, idx, day("06:00", "20:00", 30*time.Minute, time.Hour))
		expect(t, "08:00 to 17:00", got, grid(at("08:00"), at("17:00"), 30*time.Minute)...)
		got = free(t, idx, SlotQuery{Point: downtown, Step: 15 * time.Minute, Length: 90 * time.Minute, Ranges: []StartRange{
			{From: at("07:00"), To: at("08:30")}, {From: at("16:15"), To: at("17:00")},
		}})
		expect(t, "two ranges", got, at("08:00"), at("08:15"), at("08:30"), at("16:15"), at("16:30"))
		expect(t, "no ranges", free(t, idx, SlotQuery{Point: downtown, Step: time.Hour, Length: time.Hour}))
		expect(t, "far away", free(t, idx, SlotQuery{Point: north(downtown, 50), Step: time.Hour, Length: time.Hour,
			Ranges: []StartRange{{From: at("09:00"), To: at("12:00")}}}))
	})

	t.Run("free starts: a booking takes its start and the buffer around it; releasing gives them back", func(t *testing.T) {
		idx := open(t, Options{Buffer: 30 * time.Minute})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		q := day("08:00", "13:00", 15*time.Minute, time.Hour)
		all := free(t, idx, q)
		expect(t, "before", all, grid(at("08:00"), at("13:00"), 15*time.Minute)...)
		if err := idx.Reserve(ctx, "r", "t1", at("10:00"), at("11:00")); err != nil {
			t.Fatal(err)
		}
		// Blocked: ends after 09:30 and starts before 11:30.
		want := append(grid(at("08:00"), at("08:30"), 15*time.Minute), grid(at("11:30"), at("13:00"), 15*time.Minute)...)
		expect(t, "while booked", free(t, idx, q), want...)
		// Another realtor elsewhere is not concerned, a second one here is.
		put(t, idx, realtorAt("far", north(downtown, 80), 10))
		expect(t, "with a realtor who cannot reach", free(t, idx, q), want...)
		if err := idx.Release(ctx, "r", "t1", at("10:00"), at("11:00")); err != nil {
			t.Fatal(err)
		}
		expect(t, "after release", free(t, idx, q), all...)
		if err := idx.Reserve(ctx, "r", "t2", at("10:00"), at("11:00")); err != nil {
			t.Fatal(err)
		}
		put(t, idx, realtorAt("s", north(downtown, 2), 10))
		expect(t, "a second realtor free", free(t, idx, q), all...)
	})

	t.Run("free starts: every home within the realtor's own radius", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		q := day("09:00", "10:00", 30*time.Minute, time.Hour, north(downtown, 15)) // 14 km from the realtor
		expect(t, "a home out of reach", free(t, idx, q))
		q = day("09:00", "10:00", 30*time.Minute, time.Hour, north(downtown, 9), north(downtown, -5))
		expect(t, "three homes in reach", free(t, idx, q), at("09:00"), at("09:30"), at("10:00"))
		put(t, idx, realtorAt("wide", north(downtown, 7), 9))
		q = day("09:00", "10:00", 30*time.Minute, time.Hour, north(downtown, 15))
		expect(t, "a realtor who covers both", free(t, idx, q), at("09:00"), at("09:30"), at("10:00"))
	})

	t.Run("free starts: only eligible realtors count", func(t *testing.T) {
		idx := open(t, Options{})
		p := north(downtown, 1)
		unavailable := realtorAt("unavailable", p, 10)
		unavailable.Status = statusUnavailable
		unverified := realtorAt("unverified", p, 10)
		unverified.Verified = false
		suspended := realtorAt("suspended", p, 10)
		suspended.Active = false
		nowhere := realtorAt("nowhere", p, 10)
		nowhere.Location = nil
		odd := realtorAt("odd", p, 10)
		odd.TimeZone = "Mars/Olympus"
		idle := realtorAt("idle", p, 10)
		idle.WorkingHours = nil
		put(t, idx, unavailable, unverified, suspended, nowhere, odd, idle)
		q := day("09:00", "12:00", time.Hour, time.Hour)
		expect(t, "none eligible", free(t, idx, q))
		good := realtorAt("good", p, 10)
		put(t, idx, good)
		expect(t, "one eligible", free(t, idx, q), at("09:00"), at("10:00"), at("11:00"), at("12:00"))
		good.Active, good.UpdatedAt = false, good.UpdatedAt.Add(time.Minute)
		put(t, idx, good)
		expect(t, "suspended", free(t, idx, q))
	})

	t.Run("free starts: the realtor's own clock across daylight-saving changes", func(t *testing.T) {
		idx := open(t, Options{})
		chi := realtorAt("chi", north(downtown, 1), 10)
		chi.WorkingHours = hoursEveryDay("09:00", "17:00")
		berlin := Point{Lat: 52.52, Lng: 13.405}
		ber := realtorAt("ber", berlin, 10)
		ber.TimeZone, ber.WorkingHours = "Europe/Berlin", hoursEveryDay("08:00", "12:00")
		put(t, idx, chi, ber)
		// Chicago springs forward on Sunday 8 March 2026: 09:00 is 15:00Z
		// before, 14:00Z from that day.
		var ranges []StartRange
		for d := 6; d <= 9; d++ {
			ranges = append(ranges, StartRange{From: utc(fmt.Sprintf("2026-03-%02dT12:00:00Z", d)), To: utc(fmt.Sprintf("2026-03-%02dT23:30:00Z", d))})
		}
		got := free(t, idx, SlotQuery{Point: downtown, Ranges: ranges, Step: 30 * time.Minute, Length: time.Hour})
		var want []time.Time
		for d, first := range map[int]string{6: "15:00", 7: "15:00", 8: "14:00", 9: "14:00"} {
			s := utc(fmt.Sprintf("2026-03-%02dT%s:00Z", d, first))
			want = append(want, grid(s, s.Add(7*time.Hour), 30*time.Minute)...) // 09:00 to 16:00 local
		}
		slices.SortFunc(want, time.Time.Compare)
		expect(t, "Chicago, March", got, want...)
		// Berlin falls back on Sunday 25 October 2026: 08:00 is 06:00Z
		// before, 07:00Z from that day.
		ranges = ranges[:0]
		for d := 24; d <= 26; d++ {
			ranges = append(ranges, StartRange{From: utc(fmt.Sprintf("2026-10-%02dT04:00:00Z", d)), To: utc(fmt.Sprintf("2026-10-%02dT12:00:00Z", d))})
		}
		got = free(t, idx, SlotQuery{Point: berlin, Ranges: ranges, Step: time.Hour, Length: time.Hour})
		expect(t, "Berlin, October", got,
			utc("2026-10-24T06:00:00Z"), utc("2026-10-24T07:00:00Z"), utc("2026-10-24T08:00:00Z"), utc("2026-10-24T09:00:00Z"),
			utc("2026-10-25T07:00:00Z"), utc("2026-10-25T08:00:00Z"), utc("2026-10-25T09:00:00Z"), utc("2026-10-25T10:00:00Z"),
			utc("2026-10-26T07:00:00Z"), utc("2026-10-26T08:00:00Z"), utc("2026-10-26T09:00:00Z"), utc("2026-10-26T10:00:00Z"))
		// And Berlin springs forward on Sunday 29 March: 08:00 is 07:00Z
		// before, 06:00Z from that day; a tour over the change (working
		// 00:00-06:00, 01:30 CET to 03:30 CEST is one hour) fits.
		night := realtorAt("night", berlin, 10)
		night.TimeZone, night.WorkingHours = "Europe/Berlin", hoursEveryDay("00:00", "06:00")
		put(t, idx, night)
		got = free(t, idx, SlotQuery{Point: berlin, Step: 30 * time.Minute, Length: time.Hour, Ranges: []StartRange{
			{From: utc("2026-03-29T00:00:00Z"), To: utc("2026-03-29T01:00:00Z")}, {From: utc("2026-03-29T05:30:00Z"), To: utc("2026-03-29T07:00:00Z")},
		}})
		expect(t, "Berlin, March", got, utc("2026-03-29T00:00:00Z"), utc("2026-03-29T00:30:00Z"), utc("2026-03-29T01:00:00Z"),
			utc("2026-03-29T06:00:00Z"), utc("2026-03-29T06:30:00Z"), utc("2026-03-29T07:00:00Z"))
	})

	t.Run("free starts: realtors in two zones", func(t *testing.T) {
		idx := open(t, Options{})
		chi := realtorAt("chi", north(downtown, 1), 10)
		chi.WorkingHours = hoursEveryDay("09:00", "17:00")
		nyc := realtorAt("nyc", north(downtown, 2), 10)
		nyc.TimeZone, nyc.WorkingHours = "America/New_York", hoursEveryDay("09:00", "17:00")
		q := SlotQuery{Point: downtown, Step: time.Hour, Length: time.Hour,
			Ranges: []StartRange{{From: utc("2026-12-01T12:00:00Z"), To: utc("2026-12-01T23:00:00Z")}}}
		put(t, idx, nyc)
		expect(t, "New York alone", free(t, idx, q), grid(utc("2026-12-01T14:00:00Z"), utc("2026-12-01T21:00:00Z"), time.Hour)...)
		put(t, idx, chi)
		expect(t, "both", free(t, idx, q), grid(utc("2026-12-01T14:00:00Z"), utc("2026-12-01T22:00:00Z"), time.Hour)...)
		// A tour must fit one working window: 16:30-17:30 New York is not
		// 09:00-17:00 New York, but it is 15:30-16:30 Chicago.
		q.Ranges, q.Step = []StartRange{{From: utc("2026-12-01T21:30:00Z"), To: utc("2026-12-01T22:30:00Z")}}, 30*time.Minute
		expect(t, "late", free(t, idx, q), utc("2026-12-01T21:30:00Z"), utc("2026-12-01T22:00:00Z"))
	})

	t.Run("free starts: a realtor farther out takes the hours the near ones do not work", func(t *testing.T) {
		idx := open(t, Options{})
		for i := range 6 {
			r := realtorAt(fmt.Sprintf("near%d", i), north(downtown, 0.2*float64(i+1)), 10)
			r.WorkingHours = hoursEveryDay("09:00", "17:00")
			put(t, idx, r)
		}
		mid := realtorAt("mid", north(downtown, 6), 10) // booked all evening
		mid.WorkingHours = hoursEveryDay("17:00", "21:00")
		evening := realtorAt("evening", north(downtown, 25), 30)
		evening.WorkingHours = []WorkingHours{{Weekday: 2, Start: "18:00", End: "19:00"}} // Tuesdays
		put(t, idx, mid, evening)
		if err := idx.Reserve(ctx, "mid", "t", at("17:00"), at("21:00")); err != nil {
			t.Fatal(err)
		}
		got := free(t, idx, day("07:00", "21:00", 30*time.Minute, time.Hour))
		expect(t, "day and evening", got, append(grid(at("09:00"), at("16:00"), 30*time.Minute), at("18:00"))...)
	})

	t.Run("free starts: one free realtor or ten, the same answer", func(t *testing.T) {
		one, ten := open(t, Options{}), open(t, Options{})
		put(t, one, realtorAt("r0", north(downtown, 1), 10))
		for i := range 10 {
			put(t, ten, realtorAt(fmt.Sprintf("r%d", i), north(downtown, 0.5+float64(i)), 12))
		}
		q := SlotQuery{Point: downtown, Step: 15 * time.Minute, Length: 90 * time.Minute}
		for d := range 7 {
			q.Ranges = append(q.Ranges, StartRange{From: at("07:00").AddDate(0, 0, d), To: at("19:00").AddDate(0, 0, d)})
		}
		a, b := free(t, one, q), free(t, ten, q)
		if len(a) == 0 || !slices.EqualFunc(a, b, time.Time.Equal) {
			t.Fatalf("one realtor: %d starts, ten: %d", len(a), len(b))
		}
	})

	t.Run("free starts: invalid queries", func(t *testing.T) {
		idx := open(t, Options{})
		put(t, idx, realtorAt("r", north(downtown, 1), 10))
		ok := day("09:00", "12:00", 15*time.Minute, time.Hour)
		cases := map[string]func(q *SlotQuery){
			"no length":           func(q *SlotQuery) { q.Length = 0 },
			"13 hours long":       func(q *SlotQuery) { q.Length = 13 * time.Hour },
			"a 30 s grid":         func(q *SlotQuery) { q.Step = 30 * time.Second },
			"a 25 h grid":         func(q *SlotQuery) { q.Step = 25 * time.Hour },
			"to before from":      func(q *SlotQuery) { q.Ranges[0].To = at("08:00") },
			"before 1970":         func(q *SlotQuery) { q.Ranges[0].From = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) },
			"no from":             func(q *SlotQuery) { q.Ranges[0].From = time.Time{} },
			"latitude 91":         func(q *SlotQuery) { q.Point.Lat = 91 },
			"another home at 181": func(q *SlotQuery) { q.Also = []Point{{Lat: 41, Lng: 181}} },
			"too many homes":      func(q *SlotQuery) { q.Also = make([]Point, maxSearchPoints) },
			"overlapping ranges": func(q *SlotQuery) {
				q.Ranges = append(q.Ranges, StartRange{From: at("12:00"), To: at("13:00")})
			},
			"ranges out of order": func(q *SlotQuery) {
				q.Ranges = append(q.Ranges, StartRange{From: at("07:00"), To: at("08:00")})
			},
			"4097 starts": func(q *SlotQuery) {
				q.Ranges = []StartRange{{From: at("00:00"), To: at("00:00").Add(2048 * q.Step)},
					{From: at("00:00").AddDate(0, 1, 0), To: at("00:00").AddDate(0, 1, 0).Add(2047 * q.Step)}}
			},
		}
		for name, breakIt := range cases {
			q := ok
			q.Ranges = slices.Clone(ok.Ranges)
			breakIt(&q)
			if _, err := idx.FreeStarts(ctx, q); !errors.Is(err, errInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		q := ok
		q.Ranges = []StartRange{{From: at("00:00"), To: at("00:00").Add(4095 * q.Step)}}
		if _, err := idx.FreeStarts(ctx, q); err != nil {
			t.Errorf("4096 starts: %v", err)
		}
	})
}

// grid lists from, from+step, ... up to to.
func grid(from, to time.Time, step time.Duration) []time.Time {
	var out []time.Time
	for s := from; !s.After(to); s = s.Add(step) {
		out = append(out, s)
	}
	return out
}

// clocks writes starts briefly, for failure messages.
func clocks(ts []time.Time) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.UTC().Format("01-02T15:04Z")
	}
	return strings.Join(s, " ")
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// hoursEveryDay is from-to on all seven days.
func hoursEveryDay(from, to string) []WorkingHours {
	var hs []WorkingHours
	for d := 1; d <= 7; d++ {
		hs = append(hs, WorkingHours{Weekday: d, Start: from, End: to})
	}
	return hs
}
