package bench

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRecorderPercentilesAndErrors(t *testing.T) {
	tests := []struct {
		name                 string
		ms                   []int // latencies; negative: a failed call with that status
		p50, p95, p99, maxMS float64
		count, ok            int64
		errors               map[string]int64
	}{
		{name: "empty"},
		{name: "one", ms: []int{7}, p50: 7, p95: 7, p99: 7, maxMS: 7, count: 1, ok: 1},
		{name: "1 to 100", ms: seq(1, 100), p50: 50, p95: 95, p99: 99, maxMS: 100, count: 100, ok: 100},
		{name: "errors by status", ms: []int{1, 2, 3, -422, -500, -500, -0}, p50: 1, p95: 3, p99: 3, maxMS: 3, count: 7, ok: 3,
			errors: map[string]int64{"422": 1, "500": 2, "transport": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder()
			for _, v := range tt.ms {
				if v < 0 || (v == 0 && tt.errors != nil) {
					r.record(time.Millisecond, -v, false)
					continue
				}
				r.record(time.Duration(v)*time.Millisecond, 200, true)
			}
			s := r.stats(time.Second)
			near := func(got, want float64) bool { return math.Abs(got-want) <= want*0.002 } // 3 significant digits
			if !near(s.P50MS, tt.p50) || !near(s.P95MS, tt.p95) || !near(s.P99MS, tt.p99) || !near(s.MaxMS, tt.maxMS) {
				t.Errorf("p50/p95/p99/max = %v/%v/%v/%v, want %v/%v/%v/%v", s.P50MS, s.P95MS, s.P99MS, s.MaxMS, tt.p50, tt.p95, tt.p99, tt.maxMS)
			}
			if s.Count != tt.count || s.OK != tt.ok || float64(s.Count) != s.PerSecond {
				t.Errorf("count %d ok %d per second %v, want %d %d", s.Count, s.OK, s.PerSecond, tt.count, tt.ok)
			}
			if !reflect.DeepEqual(s.Errors, tt.errors) {
				t.Errorf("errors = %v, want %v", s.Errors, tt.errors)
			}
		})
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func sample() *Report {
	return &Report{Version: ReportVersion, StartedAt: time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC), Target: "http://127.0.0.1:8080",
		Settings:    Settings{Rate: 50, DurationS: 20, Customers: 200, Realtors: 50, Listings: 60, SearchRate: 100, PollMS: 2, SagaTimeoutS: 30},
		SeedSeconds: 12.5, DurationSeconds: 20,
		Ops: map[string]OpStats{
			"search":   {Count: 2000, OK: 2000, PerSecond: 100, P50MS: 1, P95MS: 2, P99MS: 4, MaxMS: 9},
			"checkout": {Count: 1000, OK: 998, PerSecond: 50, Errors: map[string]int64{"422": 2}, P50MS: 5, P95MS: 9, P99MS: 12, MaxMS: 30},
		},
		Bookings:    Bookings{Arrivals: 1000, Checkouts: 998, PerSecond: 49.9, Scheduled: 998, PollMS: 2, P50MS: 20, P95MS: 40, P99MS: 60, MaxMS: 80},
		Correctness: Correctness{Appointments: 998, Tours: 998, Payments: 998},
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	want := sample()
	if err := want.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	want.Version = 99
	if err := want.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadReport(path); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("reading another version: %v", err)
	}
}

func TestCompare(t *testing.T) {
	old := sample()
	cur := sample()
	cur.Bookings.PerSecond = 199.6   // higher is better
	cur.Bookings.P99MS = 90          // lower is better: worse
	cur.Bookings.Checkouts = 3992    // no direction
	cur.Correctness.LostBookings = 1 // from 0: no ratio
	cur.Ops["search"] = OpStats{Count: 2000, OK: 2000, PerSecond: 100, P50MS: 0.5, P99MS: 4}
	delete(cur.Ops, "checkout") // only in the old report: left out
	rows := map[string]Comparison{}
	for _, c := range Compare(old, cur) {
		rows[c.Name] = c
	}
	tests := []struct {
		name     string
		old, new float64
		ratio    float64 // NaN: none
		verdict  string
	}{
		{"bookings/s", 49.9, 199.6, 4, "better"},
		{"checkout->scheduled p99 ms", 60, 90, 1.5, "worse"},
		{"checkouts 201", 998, 3992, 4, ""},
		{"lost bookings", 0, 1, math.NaN(), "worse"},
		{"double bookings", 0, 0, 1, ""},
		{"search p50 ms", 1, 0.5, 0.5, "better"},
		{"search p99 ms", 4, 4, 1, ""},
	}
	for _, tt := range tests {
		c, ok := rows[tt.name]
		if !ok {
			t.Errorf("%s: missing", tt.name)
			continue
		}
		ratioOK := math.IsNaN(tt.ratio) && math.IsNaN(c.Ratio) || math.Abs(c.Ratio-tt.ratio) < 1e-9
		if c.Old != tt.old || c.New != tt.new || !ratioOK || c.Verdict != tt.verdict {
			t.Errorf("%s = %+v, want old %v new %v ratio %v %q", tt.name, c, tt.old, tt.new, tt.ratio, tt.verdict)
		}
	}
	if _, ok := rows["checkout p99 ms"]; ok {
		t.Error("a figure only the old report has is compared")
	}
	var out bytes.Buffer
	if err := WriteComparison(&out, Compare(old, cur)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"4.00x", "1.50x", "worse", "better"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("comparison lacks %q:\n%s", want, out.String())
		}
	}
}

func TestWriteTable(t *testing.T) {
	r := sample()
	var out bytes.Buffer
	if err := r.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"checkout->scheduled", "422:2", "correctness OK", "polled every 2 ms"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	r.Correctness.DoubleBookings = 1
	out.Reset()
	_ = r.WriteTable(&out)
	if !r.Correctness.Failed() || !strings.Contains(out.String(), "correctness FAILED: 1 double bookings") {
		t.Errorf("a double booking is not reported:\n%s", out.String())
	}
}

func TestPollInterval(t *testing.T) {
	ms := time.Millisecond
	tests := []struct{ age, want time.Duration }{
		{0, 2 * ms}, {99 * ms, 2 * ms}, {100 * ms, 10 * ms}, {999 * ms, 10 * ms}, {time.Second, 50 * ms}, {20 * time.Second, 50 * ms},
	}
	for _, tt := range tests {
		if got := pollInterval(2*ms, tt.age); got != tt.want {
			t.Errorf("pollInterval(2ms, %v) = %v, want %v", tt.age, got, tt.want)
		}
	}
}
