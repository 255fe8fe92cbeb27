package availability

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"
)

// BenchmarkSearch10k measures Search over 10,000 realtors of one metro
// area (issue 9, point 3: p99 under 2 ms on Redis and in memory). Rerun:
//
//	OPENHOUSE_TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
//	  go test -run '^$' -bench BenchmarkSearch10k -benchtime 3000x ./internal/availability/
//
// The tour rows ask what the appointment service asks for a tour of one,
// two or three homes (a third each, the others within a few km of the
// first): tour/limit=20 as it does now (internal/appointment/assign.go),
// one search naming every home; tour/per-home/limit=100 as it did before,
// one search per home, intersected, the latency being their sum.
func BenchmarkSearch10k(b *testing.B) {
	for _, shape := range []struct {
		name           string
		limit          int
		homes, perHome bool
	}{
		{"limit=20", 20, false, false},
		{"limit=100", 100, false, false},
		{"tour/per-home/limit=100", 100, true, true},
		{"tour/limit=20", 20, true, false},
	} {
		b.Run("memory/"+shape.name, func(b *testing.B) {
			benchSearch(b, openMemory(b, Options{}), shape.limit, shape.homes, shape.perHome)
		})
		b.Run("redis/"+shape.name, func(b *testing.B) {
			if os.Getenv(envRedis) == "" {
				b.Skip(envRedis + " is not set")
			}
			benchSearch(b, openRedis(b, Options{}), shape.limit, shape.homes, shape.perHome)
		})
	}
}

// searchPerHome is the appointment service's former way: a search per
// point, keeping the realtors found for every one, in the first's order.
func searchPerHome(ctx context.Context, idx Index, q Query) ([]Candidate, error) {
	first := q
	first.Also = nil
	out, err := idx.Search(ctx, first)
	if err != nil {
		return nil, err
	}
	for _, p := range q.Also {
		other := first
		other.Point = p
		cs, err := idx.Search(ctx, other)
		if err != nil {
			return nil, err
		}
		found := ids(cs)
		out = slices.DeleteFunc(out, func(c Candidate) bool { return !slices.Contains(found, c.RealtorID) })
	}
	return out, nil
}

// tours gives a third of the queries a second home and a third a second
// and a third, each a few km from the first (normal, about 3 km standard
// deviation each way): the homes of one tour.
func tours(qs []Query) {
	rng := rand.New(rand.NewPCG(9, 3))
	for i := range qs {
		for range i % 3 {
			p := qs[i].Point
			qs[i].Also = append(qs[i].Also, Point{Lat: p.Lat + rng.NormFloat64()*0.027, Lng: p.Lng + rng.NormFloat64()*0.036})
		}
	}
}

// metro fills idx with n realtors around Chicago: positions normal around
// the Loop (about 22 km standard deviation, so the area is some 100 km
// across), service radii 10-40 km, mostly weekday office hours, and 0 to 3
// bookings each in the week of 7 December 2026. It returns queries from
// the same area (a fifth of them anywhere in a 120 km box, the suburbs and
// beyond) at times the cart allows (08:00-20:00 local, Monday to
// Saturday), 1 to 2 hours long.
func metro(tb testing.TB, idx Index, n int, limit int) []Query {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2026, 12))
	radii := []float64{10, 10, 10, 15, 15, 15, 20, 20, 25, 40}
	week := func(days []int, from, to string) []WorkingHours {
		var hs []WorkingHours
		for _, d := range days {
			hs = append(hs, WorkingHours{Weekday: d, Start: from, End: to})
		}
		return hs
	}
	schedules := [][]WorkingHours{
		week([]int{1, 2, 3, 4, 5}, "09:00", "17:00"),
		week([]int{1, 2, 3, 4, 5}, "09:00", "17:00"),
		week([]int{1, 2, 3, 4, 5, 6}, "08:00", "18:00"),
		append(week([]int{2, 3, 4, 5, 6, 7}, "10:00", "13:00"), week([]int{2, 3, 4, 5, 6, 7}, "14:00", "19:00")...),
	}
	day := func(d int, minutes int) time.Time {
		return time.Date(2026, 12, 7+d, 0, 0, 0, 0, chicago).Add(time.Duration(minutes) * time.Minute)
	}
	for i := range n {
		id := fmt.Sprintf("realtor-%05d", i)
		p := Point{Lat: downtown.Lat + rng.NormFloat64()*0.2, Lng: downtown.Lng + rng.NormFloat64()*0.27}
		r := Realtor{ID: id, Location: &p, ServiceRadiusKM: radii[rng.IntN(len(radii))], TimeZone: "America/Chicago",
			WorkingHours: schedules[rng.IntN(len(schedules))], Status: StatusAvailable, Verified: true, Active: true,
			UpdatedAt: profileTime}
		if rng.IntN(20) == 0 {
			r.Status = statusUnavailable
		}
		if err := idx.PutRealtor(ctx, r); err != nil {
			tb.Fatal(err)
		}
		for k := range rng.IntN(4) {
			start := day(rng.IntN(6), 9*60+30*rng.IntN(14))
			err := idx.Reserve(ctx, id, fmt.Sprintf("tour-%05d-%d", i, k), start, start.Add(time.Duration(60+30*rng.IntN(3))*time.Minute))
			if err != nil && !errors.Is(err, errTaken) {
				tb.Fatal(err)
			}
		}
	}
	qs := make([]Query, 1000)
	for i := range qs {
		p := Point{Lat: downtown.Lat + rng.NormFloat64()*0.2, Lng: downtown.Lng + rng.NormFloat64()*0.27}
		if i%5 == 0 {
			p = Point{Lat: downtown.Lat + (rng.Float64()-0.5)*1.08, Lng: downtown.Lng + (rng.Float64()-0.5)*1.45}
		}
		start := day(rng.IntN(6), 8*60+30*rng.IntN(22))
		length := time.Duration(60+30*rng.IntN(3)) * time.Minute
		if end := start.Add(length); end.Hour() >= 20 && end.Minute() > 0 || end.Hour() > 20 {
			start = start.Add(-length)
		}
		qs[i] = Query{Point: p, Start: start, End: start.Add(length), Limit: limit}
	}
	return qs
}

// BenchmarkFreeStarts10k measures FreeStarts over the 10,000 realtors of
// BenchmarkSearch10k's metro (issue 15: p99 at most 20 ms in memory, 50 ms
// on Redis): a week of a 15-minute grid for a tour of one, two or three
// homes (a third each) anywhere in the area, 60 to 120 minutes long. With
// -benchtime 3000x each of the 1,000 queries runs three times, and
// best-p50/p99 are the percentiles over the queries of each one's fastest
// run: on a shared machine, the cost of the work without most of the
// waiting for a core. Rerun:
//
//	OPENHOUSE_TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
//	  go test -run '^$' -bench BenchmarkFreeStarts10k -benchtime 3000x ./internal/availability/
func BenchmarkFreeStarts10k(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchFreeStarts(b, openMemory(b, Options{})) })
	b.Run("redis", func(b *testing.B) {
		if os.Getenv(envRedis) == "" {
			b.Skip(envRedis + " is not set")
		}
		benchFreeStarts(b, openRedis(b, Options{}))
	})
}

func benchFreeStarts(b *testing.B, idx Index) {
	ctx := context.Background()
	qs := metro(b, idx, 10_000, 0)
	tours(qs)
	sqs := make([]SlotQuery, len(qs))
	for i, q := range qs {
		sqs[i] = weekOfSlots(q)
	}
	for _, q := range sqs[:20] { // warm up (script cache, zones)
		if _, err := idx.FreeStarts(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	best := make([]time.Duration, len(sqs))
	free, starts, none, i := 0, 0, 0, 0
	for b.Loop() {
		q := sqs[i%len(sqs)]
		t0 := time.Now()
		got, err := idx.FreeStarts(ctx, q)
		d := time.Since(t0)
		lat = append(lat, d)
		if best[i%len(sqs)] == 0 || d < best[i%len(sqs)] {
			best[i%len(sqs)] = d
		}
		i++
		if err != nil {
			b.Fatal(err)
		}
		free += len(got)
		starts += countStarts(q)
		if len(got) == 0 {
			none++
		}
	}
	if i >= 2*len(sqs) {
		slices.Sort(best)
		b.ReportMetric(float64(best[len(best)/2])/float64(time.Microsecond), "best-p50-µs")
		b.ReportMetric(float64(best[len(best)*99/100-1])/float64(time.Microsecond), "best-p99-µs")
	}
	reportLatency(b, lat)
	b.ReportMetric(float64(starts)/float64(i), "starts/op")
	b.ReportMetric(float64(free)/float64(i), "free/op")
	b.ReportMetric(float64(none)/float64(i), "none-free/op")
}

// reportLatency reports the median, 99th percentile and largest of lat
// in microseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(math.Ceil(p*float64(len(lat))))-1]) / float64(time.Microsecond)
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Microsecond), "max-µs")
}

// weekOfSlots asks for the open slots of q's homes in the week of
// 7 December 2026 as the cart would: every day 08:00 to 20:00 Chicago time,
// minus the tour's length, on a 15-minute grid, the tour as long as q's
// window.
func weekOfSlots(q Query) SlotQuery {
	sq := SlotQuery{Point: q.Point, Also: q.Also, Step: 15 * time.Minute, Length: q.End.Sub(q.Start)}
	for d := range 7 {
		from := time.Date(2026, 12, 7+d, 8, 0, 0, 0, chicago)
		sq.Ranges = append(sq.Ranges, StartRange{From: from, To: from.Add(12*time.Hour - sq.Length)})
	}
	return sq
}

// countStarts is how many candidate starts sq names.
func countStarts(sq SlotQuery) int {
	n := 0
	for _, r := range sq.Ranges {
		n += int(r.To.Sub(r.From)/sq.Step) + 1
	}
	return n
}

func benchSearch(b *testing.B, idx Index, limit int, homes, perHome bool) {
	ctx := context.Background()
	qs := metro(b, idx, 10_000, limit)
	if homes {
		tours(qs)
	}
	search := idx.Search
	if perHome {
		search = func(ctx context.Context, q Query) ([]Candidate, error) {
			return searchPerHome(ctx, idx, q)
		}
	}
	for _, q := range qs[:20] { // warm up (script cache, zones)
		if _, err := search(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	found, empty, i := 0, 0, 0
	for b.Loop() {
		q := qs[i%len(qs)]
		i++
		t0 := time.Now()
		cs, err := search(ctx, q)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		found += len(cs)
		if len(cs) == 0 {
			empty++
		}
	}
	reportLatency(b, lat)
	b.ReportMetric(float64(found)/float64(i), "found/op")
	b.ReportMetric(float64(empty)/float64(i), "empty/op")
}
