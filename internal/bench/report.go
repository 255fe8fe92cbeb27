package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ReportVersion is the version of the JSON report's schema
// (docs/performance.md describes it).
const ReportVersion = 1

// Report is what a run measured. It is written as JSON with --json and read
// back by --compare.
type Report struct {
	Version   int       `json:"version"`
	StartedAt time.Time `json:"started_at"`
	Target    string    `json:"target"`
	Settings  Settings  `json:"settings"`
	// SeedSeconds is how long seeding took, before the clock started.
	SeedSeconds float64 `json:"seed_seconds"`
	// DurationSeconds is the load phase: from the first arrival to the
	// last answer of the load (not the drain of outstanding sagas).
	DurationSeconds float64 `json:"duration_seconds"`
	// Ops are the HTTP operations, by name: search, cart_add, checkout,
	// listing_update, realtor_toggle, tour_poll.
	Ops map[string]OpStats `json:"ops"`
	// Bookings is the saga as the customer sees it.
	Bookings Bookings `json:"bookings"`
	// Correctness is read back from the API at the end; every counter
	// must be 0.
	Correctness Correctness `json:"correctness"`
	// Floor is the bare JetStream round trip measured before seeding
	// (absent with --floor 0).
	Floor *Floor `json:"floor,omitempty"`
	// Server is the CPU use of the server's processes during the load
	// (when the bench knows them: --embedded, --cluster).
	Server *ServerCPU `json:"server,omitempty"`
	// Events are the events published and handled during the load (when
	// the bench can read the processes' /metrics).
	Events *Events `json:"events,omitempty"`
}

// Settings are the flags the run used.
type Settings struct {
	Rate         float64 `json:"rate"`
	DurationS    float64 `json:"duration_s"`
	Customers    int     `json:"customers"`
	Realtors     int     `json:"realtors"`
	Listings     int     `json:"listings"`
	SearchRate   float64 `json:"search_rate"`
	UpdateRate   float64 `json:"update_rate"`
	ToggleRate   float64 `json:"toggle_rate"`
	PollMS       float64 `json:"poll_ms"`
	PollBudget   float64 `json:"poll_budget"`
	SagaTimeoutS float64 `json:"saga_timeout_s"`
}

// OpStats are one operation's counts and latencies (milliseconds, from an
// HDR histogram with 3 significant digits).
type OpStats struct {
	Count     int64            `json:"count"`
	OK        int64            `json:"ok"`
	PerSecond float64          `json:"per_second"`
	Errors    map[string]int64 `json:"errors,omitempty"` // by status code, or "transport"
	P50MS     float64          `json:"p50_ms"`
	P95MS     float64          `json:"p95_ms"`
	P99MS     float64          `json:"p99_ms"`
	MaxMS     float64          `json:"max_ms"`
}

// Bookings is checkout -> scheduled as seen by polling the tour.
type Bookings struct {
	// Arrivals is how many bookings the schedule started; Skipped found
	// no idle customer (raise --customers) and were not attempted.
	Arrivals int64 `json:"arrivals"`
	Skipped  int64 `json:"skipped"`
	// Checkouts is how many checkouts answered 201; PerSecond is that
	// over the load phase.
	Checkouts int64   `json:"checkouts"`
	PerSecond float64 `json:"per_second"`
	// Scheduled, Unassigned and TimedOut: how each 201 checkout's tour
	// ended within the saga timeout.
	Scheduled  int64 `json:"scheduled"`
	Unassigned int64 `json:"unassigned"`
	TimedOut   int64 `json:"timed_out"`
	// SlotTaken is how many checkouts were answered 409 slot-taken (the
	// customer then tried the first alternative), and SlotTakenRate that
	// over all checkouts sent; NoSlot is how many bookings found no open
	// slot that day and were not attempted.
	SlotTaken     int64   `json:"slot_taken"`
	SlotTakenRate float64 `json:"slot_taken_rate"`
	NoSlot        int64   `json:"no_slot"`
	// PollMS is the base polling interval: a tour is read every PollMS
	// for the first 50 intervals after its checkout, then every 5*PollMS
	// up to 500 intervals, then every 25*PollMS. A latency is late by up
	// to one interval plus one GET.
	PollMS float64 `json:"poll_ms"`
	// Latency from sending the checkout to seeing the tour scheduled.
	P50MS float64 `json:"p50_ms"`
	P95MS float64 `json:"p95_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
	// From sending the checkout to first seeing its tour (created by
	// the tour service from payment.succeeded), whatever its status: the
	// first half of the saga.
	TourSeenP50MS float64 `json:"tour_seen_p50_ms"`
	TourSeenP99MS float64 `json:"tour_seen_p99_ms"`
}

// Failed reports whether any correctness counter is non-zero.
func (c Correctness) Failed() bool {
	return c.DoubleBookings != 0 || c.LostBookings != 0 || c.DuplicateCharges != 0 || c.DuplicateTours != 0
}

// recorder accumulates one operation's latencies; safe for concurrent use.
type recorder struct {
	mu     sync.Mutex
	h      *hdrhistogram.Histogram
	count  int64
	ok     int64
	errors map[string]int64
}

func newRecorder() *recorder {
	// 1 µs to 10 min, 3 significant digits.
	return &recorder{h: hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3), errors: map[string]int64{}}
}

// record adds one call: its latency and its outcome (an HTTP status, or 0
// for a transport error). ok says whether the status was the expected one.
func (r *recorder) record(d time.Duration, status int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	if ok {
		r.ok++
	} else if status == 0 {
		r.errors["transport"]++
	} else {
		r.errors[strconv.Itoa(status)]++
	}
	_ = r.h.RecordValue(max(1, d.Microseconds()))
}

func (r *recorder) counts() (count, ok int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count, r.ok
}

func (r *recorder) stats(over time.Duration) OpStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := OpStats{Count: r.count, OK: r.ok}
	if over > 0 {
		s.PerSecond = round(float64(r.count) / over.Seconds())
	}
	if len(r.errors) > 0 {
		s.Errors = map[string]int64{}
		for k, v := range r.errors {
			s.Errors[k] = v
		}
	}
	s.P50MS, s.P95MS, s.P99MS, s.MaxMS = percentiles(r.h)
	return s
}

// percentiles reads p50, p95, p99 and max in milliseconds from a
// histogram of microseconds; all 0 when it is empty.
func percentiles(h *hdrhistogram.Histogram) (p50, p95, p99, maxMS float64) {
	if h.TotalCount() == 0 {
		return 0, 0, 0, 0
	}
	ms := func(us int64) float64 { return round(float64(us) / 1000) }
	return ms(h.ValueAtQuantile(50)), ms(h.ValueAtQuantile(95)), ms(h.ValueAtQuantile(99)), ms(h.Max())
}

// round keeps three decimals, enough for microseconds in milliseconds.
func round(v float64) float64 { return math.Round(v*1000) / 1000 }

// Figure is one number of a report, named for the table and comparison.
type Figure struct {
	Name  string
	Value float64
	// Better says which way is an improvement: +1 higher, -1 lower,
	// 0 neither (a count that should simply match).
	Better int
}

// Figures flattens the report into the numbers worth comparing, in a
// stable order.
func (r *Report) Figures() []Figure {
	b := r.Bookings
	f := []Figure{
		{"bookings/s", b.PerSecond, +1},
		{"checkouts 201", float64(b.Checkouts), 0},
		{"scheduled", float64(b.Scheduled), 0},
		{"unassigned", float64(b.Unassigned), -1},
		{"saga timed out", float64(b.TimedOut), -1},
		{"skipped (no idle customer)", float64(b.Skipped), -1},
		{"checkout->scheduled p50 ms", b.P50MS, -1},
		{"checkout->scheduled p95 ms", b.P95MS, -1},
		{"checkout->scheduled p99 ms", b.P99MS, -1},
		{"checkout->scheduled max ms", b.MaxMS, -1},
		{"checkout->tour seen p50 ms", b.TourSeenP50MS, -1},
		{"checkout->tour seen p99 ms", b.TourSeenP99MS, -1},
	}
	names := make([]string, 0, len(r.Ops))
	for n := range r.Ops {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		o := r.Ops[n]
		f = append(f,
			Figure{n + " req/s", o.PerSecond, +1},
			Figure{n + " errors", float64(o.Count - o.OK), -1},
			Figure{n + " p50 ms", o.P50MS, -1},
			Figure{n + " p99 ms", o.P99MS, -1},
		)
	}
	if r.Floor != nil {
		f = append(f, Figure{"floor hop p50 ms", r.Floor.P50MS, -1}, Figure{"floor hop p99 ms", r.Floor.P99MS, -1})
	}
	if r.Server != nil {
		f = append(f, Figure{"server CPU ms/booking", r.Server.MSPerBooking, -1}, Figure{"server cores used", r.Server.Cores, 0})
		if n := r.Bookings.Checkouts; n > 0 && len(r.Server.ByProcess) > 1 {
			procs := make([]string, 0, len(r.Server.ByProcess))
			for p := range r.Server.ByProcess {
				procs = append(procs, p)
			}
			sort.Strings(procs)
			for _, p := range procs {
				f = append(f, Figure{"CPU ms/booking " + p, round(r.Server.ByProcess[p] * 1000 / float64(n)), -1})
			}
		}
	}
	if e := r.Events; e != nil {
		f = append(f, Figure{"events published/s", e.PublishedPerSecond, +1}, Figure{"events handled/s", e.HandledPerSecond, +1},
			Figure{"events per booking", e.PerBooking, 0})
	}
	c := r.Correctness
	return append(f,
		Figure{"double bookings", float64(c.DoubleBookings), -1},
		Figure{"lost bookings", float64(c.LostBookings), -1},
		Figure{"duplicate charges", float64(c.DuplicateCharges), -1},
		Figure{"duplicate tours", float64(c.DuplicateTours), -1},
	)
}

// WriteTable prints the report for a person.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "openhouse bench against %s: %.0f bookings/s offered for %.1fs (seeding took %.1fs)\n",
		r.Target, r.Settings.Rate, r.DurationSeconds, r.SeedSeconds)
	fmt.Fprintln(tw, "operation\tcount\treq/s\terrors\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	names := make([]string, 0, len(r.Ops))
	for n := range r.Ops {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		o := r.Ops[n]
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t\n", n, o.Count, o.PerSecond, errorsText(o), o.P50MS, o.P95MS, o.P99MS, o.MaxMS)
	}
	b := r.Bookings
	fmt.Fprintf(tw, "checkout->scheduled\t%d\t%.1f\t\t%.2f\t%.2f\t%.2f\t%.2f\t\n", b.Scheduled, b.PerSecond, b.P50MS, b.P95MS, b.P99MS, b.MaxMS)
	fmt.Fprintf(tw, "checkout->tour seen\t\t\t\t%.2f\t\t%.2f\t\t\n", b.TourSeenP50MS, b.TourSeenP99MS)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "bookings: %d arrivals, %d skipped (no idle customer), %d checkouts 201 (%.1f/s), %d scheduled, %d unassigned, %d not settled within %.0fs; tours polled every %g ms (5x after 50 polls, 25x after 500), at most %g reads/s in all\n",
		b.Arrivals, b.Skipped, b.Checkouts, b.PerSecond, b.Scheduled, b.Unassigned, b.TimedOut, r.Settings.SagaTimeoutS, b.PollMS, r.Settings.PollBudget)
	fmt.Fprintf(w, "slots: %d checkouts found their slot taken (%.1f%% of those sent; the customer took the first alternative), %d found no open slot that day\n",
		b.SlotTaken, 100*b.SlotTakenRate, b.NoSlot)
	if fl := r.Floor; fl != nil {
		fmt.Fprintf(w, "floor: %s: p50 %.3f ms, p99 %.3f ms, max %.3f ms over %d\n", fl.What, fl.P50MS, fl.P99MS, fl.MaxMS, fl.Samples)
	}
	if sv := r.Server; sv != nil {
		fmt.Fprintf(w, "server: %.1f CPU s during the load and the sagas' settling (%.2f cores, %d processes), %.1f ms of CPU per booking with the rest of the mix\n",
			sv.CPUSeconds, sv.Cores, sv.Processes, sv.MSPerBooking)
		if len(sv.ByProcess) > 1 {
			fmt.Fprintf(w, "server CPU s by process: %s\n", byProcessText(sv.ByProcess))
		}
	}
	if e := r.Events; e != nil {
		fmt.Fprintf(w, "events: %d published (%.1f/s, %.1f per booking), %d handled (%.1f/s) during the load and the sagas' settling\n",
			e.Published, e.PublishedPerSecond, e.PerBooking, e.Handled, e.HandledPerSecond)
	}
	c := r.Correctness
	verdict := "OK"
	if c.Failed() {
		verdict = "FAILED"
	}
	_, err := fmt.Fprintf(w, "correctness %s: %d double bookings (%d active appointments checked), %d lost bookings and %d duplicate tours (%d tours), %d duplicate charges (%d payments)\n",
		verdict, c.DoubleBookings, c.Appointments, c.LostBookings, c.DuplicateTours, c.Tours, c.DuplicateCharges, c.Payments)
	return err
}

// byProcessText lists the processes' CPU seconds, the largest first.
func byProcessText(by map[string]float64) string {
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return by[names[i]] > by[names[j]] || by[names[i]] == by[names[j]] && names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %.1f", n, by[n])
	}
	return strings.Join(parts, ", ")
}

func errorsText(o OpStats) string {
	if len(o.Errors) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(o.Errors))
	for k := range o.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s:%d", k, o.Errors[k])
	}
	return s
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// ReadReport reads a report written by WriteJSON.
func ReadReport(path string) (*Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Version != ReportVersion {
		return nil, fmt.Errorf("%s: report version %d, this bench reads %d", path, r.Version, ReportVersion)
	}
	return &r, nil
}

// Comparison is one figure beside its old value.
type Comparison struct {
	Name     string
	Old, New float64
	// Ratio is New/Old; NaN when Old is 0 (shown as "-").
	Ratio float64
	// Verdict is "better", "worse" or "" (same, or no direction).
	Verdict string
}

// Compare pairs the figures of two reports by name; figures only one of
// them has are left out.
func Compare(old, cur *Report) []Comparison {
	prev := map[string]float64{}
	for _, f := range old.Figures() {
		prev[f.Name] = f.Value
	}
	var out []Comparison
	for _, f := range cur.Figures() {
		o, ok := prev[f.Name]
		if !ok {
			continue
		}
		c := Comparison{Name: f.Name, Old: o, New: f.Value, Ratio: math.NaN()}
		if o != 0 {
			c.Ratio = f.Value / o
		} else if f.Value == 0 {
			c.Ratio = 1
		}
		switch {
		case f.Better == 0 || f.Value == o:
		case (f.Value > o) == (f.Better > 0):
			c.Verdict = "better"
		default:
			c.Verdict = "worse"
		}
		out = append(out, c)
	}
	return out
}

// WriteComparison prints Compare's rows.
func WriteComparison(w io.Writer, rows []Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\told\tnew\tnew/old\t\t")
	for _, c := range rows {
		ratio := "-"
		if !math.IsNaN(c.Ratio) {
			ratio = fmt.Sprintf("%.2fx", c.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", c.Name, num(c.Old), num(c.New), ratio, c.Verdict)
	}
	return tw.Flush()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
