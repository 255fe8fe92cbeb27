// Package bench drives a running openhouse over its public HTTP API like
// real users (customers searching and booking, providers updating listings,
// realtors toggling their availability), measures every operation and the
// booking saga's checkout -> scheduled latency, and reads back at the end
// whether anything was double-booked, lost or charged twice. It is what
// `openhouse bench` runs; see docs/performance.md.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openhouse/openhouse/internal/demo"
)

// Config says what to drive and how hard.
type Config struct {
	BaseURL                   string
	AdminEmail, AdminPassword string
	// Rate is bookings per second, open loop: a booking starts on
	// schedule whether or not earlier ones have finished.
	Rate       float64
	Duration   time.Duration
	Customers  int
	Realtors   int
	Listings   int
	Providers  int
	SearchRate float64 // listing searches per second
	UpdateRate float64 // listing PATCHes per second
	ToggleRate float64 // realtor availability toggles per second
	// Poll is how often a booking's tour is read until it settles;
	// SagaTimeout is how long it may take.
	Poll        time.Duration
	SagaTimeout time.Duration
	// PollBudget caps the tour reads of all bookings together, per
	// second, so that when the system falls behind and many bookings
	// are outstanding the probe does not become the load.
	PollBudget float64
	// FloorSamples is how many bare JetStream round trips the floor phase
	// measures before seeding (see Floor); 0 skips it.
	FloorSamples int
	// ServerProcesses, when known (--embedded, --cluster), are the
	// server's processes by name: the report gives the CPU time they and
	// their descendants used (see ServerCPU).
	ServerProcesses map[string]int
	// MetricsURLs are the /metrics of the server's processes: the report
	// gives the events they published and handled (see Events).
	MetricsURLs []string
	// LoadStarted, when set, is called as the load begins, after seeding:
	// --embedded --cpuprofile starts the server's profile there.
	LoadStarted func()
	// Answered, when set, is called with each order whose checkout was
	// answered 201, as it is (tests that act during the load use it).
	Answered func(orderID string)
	// Progress receives a progress line every second; Terminal says it
	// is a terminal (the line is rewritten with \r) rather than a log
	// (a plain line every 5 s).
	Progress io.Writer
	Terminal bool
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Customers, 200)
	def(&c.Realtors, 50)
	def(&c.Listings, 60)
	def(&c.Providers, 3)
	if c.Rate <= 0 {
		c.Rate = 50
	}
	if c.Duration <= 0 {
		c.Duration = 20 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Millisecond
	}
	if c.PollBudget <= 0 {
		c.PollBudget = 500
	}
	if c.SagaTimeout <= 0 {
		c.SagaTimeout = 30 * time.Second
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.BaseURL == "":
		return errors.New("the base URL is required")
	case c.AdminEmail == "" || c.AdminPassword == "":
		return errors.New("the admin e-mail and password are required (OPENHOUSE_ADMIN_EMAIL, OPENHOUSE_ADMIN_PASSWORD)")
	case c.SearchRate < 0 || c.UpdateRate < 0 || c.ToggleRate < 0:
		return errors.New("rates must not be negative")
	}
	return nil
}

// The metro: homes within about 12 km of the Chicago Loop, so any three
// fit in one tour (at most 30 km apart) and every realtor (25 km around a
// point within 8 km of the Loop) covers them all.
const (
	loopLat, loopLng = 41.8781, -87.6298
	zone             = "America/Chicago"
)

// tourStarts are the local start hours of booked tours: a 3-home tour
// lasts at most about 2.5 h, plus the 30 min travel buffer, so one realtor
// can take every slot of a day.
var tourStarts = []int{8, 11, 14, 17}

type customer struct{ token string }

type run struct {
	cfg    Config
	api    *api
	admin  string
	homes  []string
	owner  map[string]string // listing id -> provider token
	users  []*customer
	idle   chan *customer
	agents []string // realtor tokens
	ops    map[string]*recorder
	polls  *time.Ticker // one tick per tour read (the poll budget)
	saga   *recorder    // checkout -> tour seen scheduled
	seen   *recorder    // checkout -> tour first seen (any status)

	arrivals, skipped, checkouts, scheduled, unassigned, timedOut atomic.Int64
	slotTaken, noSlot                                             atomic.Int64

	mu     sync.Mutex
	orders []string // order ids answered 201
}

// Run seeds the system, drives it for cfg.Duration and returns the report.
// A non-nil error means the run could not be carried out; correctness
// failures are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, api: newAPI(cfg.BaseURL, 512), owner: map[string]string{}, ops: map[string]*recorder{}, saga: newRecorder(), seen: newRecorder()}
	for _, n := range []string{"search", "cart_add", "slots", "checkout", "listing_update", "realtor_toggle", "tour_poll"} {
		r.ops[n] = newRecorder()
	}
	rep := &Report{Version: ReportVersion, StartedAt: time.Now().UTC(), Target: cfg.BaseURL, Settings: Settings{
		Rate: cfg.Rate, DurationS: cfg.Duration.Seconds(), Customers: cfg.Customers, Realtors: cfg.Realtors, Listings: cfg.Listings,
		SearchRate: cfg.SearchRate, UpdateRate: cfg.UpdateRate, ToggleRate: cfg.ToggleRate,
		PollMS: float64(cfg.Poll.Microseconds()) / 1000, PollBudget: cfg.PollBudget, SagaTimeoutS: cfg.SagaTimeout.Seconds()}}

	if cfg.FloorSamples > 0 {
		floor, err := MeasureFloor(ctx, cfg.FloorSamples)
		if err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
		rep.Floor = &floor
		fmt.Fprintf(cfg.Progress, "floor: %d JetStream round trips, p50 %.3f ms, p99 %.3f ms\n", floor.Samples, floor.P50MS, floor.P99MS)
	}

	seedStart := time.Now()
	if err := r.seed(ctx); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	rep.SeedSeconds = round(time.Since(seedStart).Seconds())
	fmt.Fprintf(cfg.Progress, "seeded %d providers, %d listings, %d realtors, %d customers in %.1fs; running for %s\n",
		cfg.Providers, len(r.homes), len(r.agents), len(r.users), rep.SeedSeconds, cfg.Duration)

	r.polls = time.NewTicker(time.Duration(float64(time.Second) / cfg.PollBudget))
	defer r.polls.Stop()
	if cfg.LoadStarted != nil {
		cfg.LoadStarted()
	}
	cpuBefore, _, cpuErr := r.serverCPU()
	pubBefore, handledBefore, eventsErr := eventCounts(ctx, r.api.http, cfg.MetricsURLs)
	loadCtx, stopLoad := context.WithTimeout(ctx, cfg.Duration)
	defer stopLoad()
	start := time.Now()
	stopProgress := r.progress(start)
	var wg sync.WaitGroup
	openLoop(loadCtx, &wg, cfg.Rate, r.book)
	openLoop(loadCtx, &wg, cfg.SearchRate, r.search)
	openLoop(loadCtx, &wg, cfg.UpdateRate, r.updateListing)
	openLoop(loadCtx, &wg, cfg.ToggleRate, r.toggleRealtor)
	<-loadCtx.Done()
	elapsed := time.Since(start)
	wg.Wait() // the bookings' sagas settle or time out
	settled := time.Since(start)
	cpuAfter, processes, cpuErr2 := r.serverCPU()
	pubAfter, handledAfter, eventsErr2 := eventCounts(ctx, r.api.http, cfg.MetricsURLs)
	stopProgress()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rep.DurationSeconds = round(elapsed.Seconds())

	rep.Ops = map[string]OpStats{}
	for n, rec := range r.ops {
		if c, _ := rec.counts(); c > 0 {
			rep.Ops[n] = rec.stats(elapsed)
		}
	}
	s := r.saga.stats(elapsed)
	rep.Bookings = Bookings{Arrivals: r.arrivals.Load(), Skipped: r.skipped.Load(), Checkouts: r.checkouts.Load(),
		PerSecond: round(float64(r.checkouts.Load()) / elapsed.Seconds()), Scheduled: r.scheduled.Load(),
		Unassigned: r.unassigned.Load(), TimedOut: r.timedOut.Load(), PollMS: rep.Settings.PollMS,
		P50MS: s.P50MS, P95MS: s.P95MS, P99MS: s.P99MS, MaxMS: s.MaxMS}
	seen := r.seen.stats(elapsed)
	rep.Bookings.TourSeenP50MS, rep.Bookings.TourSeenP99MS = seen.P50MS, seen.P99MS
	rep.Bookings.SlotTaken, rep.Bookings.NoSlot = r.slotTaken.Load(), r.noSlot.Load()
	if sent, _ := r.ops["checkout"].counts(); sent > 0 {
		rep.Bookings.SlotTakenRate = round(float64(r.slotTaken.Load()) / float64(sent))
	}
	if err := errors.Join(cpuErr, cpuErr2); err != nil {
		fmt.Fprintln(cfg.Progress, "server CPU not reported:", err)
	} else if len(cfg.ServerProcesses) > 0 {
		var used float64
		by := map[string]float64{}
		for name, after := range cpuAfter {
			by[name] = round((after - cpuBefore[name]).Seconds())
			used += (after - cpuBefore[name]).Seconds()
		}
		rep.Server = &ServerCPU{Processes: processes, CPUSeconds: round(used), Cores: round(used / settled.Seconds()), ByProcess: by}
		if n := r.checkouts.Load(); n > 0 {
			rep.Server.MSPerBooking = round(used * 1000 / float64(n))
		}
	}
	if err := errors.Join(eventsErr, eventsErr2); err != nil {
		fmt.Fprintln(cfg.Progress, "events not reported:", err)
	} else if pubAfter > 0 {
		published, handled := int64(pubAfter-pubBefore), int64(handledAfter-handledBefore)
		rep.Events = &Events{Published: published, Handled: handled,
			PublishedPerSecond: round(float64(published) / settled.Seconds()),
			HandledPerSecond:   round(float64(handled) / settled.Seconds())}
		if n := r.checkouts.Load(); n > 0 {
			rep.Events.PerBooking = round(float64(published) / float64(n))
		}
	}

	fmt.Fprintln(cfg.Progress, "checking correctness")
	admin, err := demo.NewSeeder(cfg.BaseURL, "", r.api.http).Login(cfg.AdminEmail, cfg.AdminPassword) // a fresh token
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	r.mu.Lock()
	orders := append([]string(nil), r.orders...)
	r.mu.Unlock()
	if rep.Correctness, err = checkCorrectness(ctx, r.api, admin, orders, cfg.SagaTimeout); err != nil {
		return nil, fmt.Errorf("correctness check: %w", err)
	}
	return rep, nil
}

// serverCPU is the CPU time of each of the server's processes so far, and
// how many processes there are, when they are known.
func (r *run) serverCPU() (map[string]time.Duration, int, error) {
	if len(r.cfg.ServerProcesses) == 0 {
		return nil, 0, nil
	}
	return TreeCPU(r.cfg.ServerProcesses)
}

// openLoop calls fn(i) in its own goroutine at start + i/rate until ctx
// ends, whatever the earlier calls are doing.
func openLoop(ctx context.Context, wg *sync.WaitGroup, rate float64, fn func(context.Context, int)) {
	if rate <= 0 {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		for i := 0; ; i++ {
			next := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			t := time.NewTimer(time.Until(next)) // the arrival schedule
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(ctx, i)
			}()
		}
	}()
}

// seed creates providers with listings, realtors and customers, several at
// a time (registration hashes a password and is meant to be slow).
func (r *run) seed(ctx context.Context) error {
	cfg := r.cfg
	s := demo.NewSeeder(cfg.BaseURL, fmt.Sprintf("%d", time.Now().UnixNano()), r.api.http)
	admin, err := s.Login(cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	r.admin = admin
	rng := rand.New(rand.NewPCG(1, 2))
	providers := make([]string, cfg.Providers)
	if err := parallel(ctx, cfg.Providers, func(i int) (err error) {
		providers[i], err = s.Account(admin, "provider", fmt.Sprintf("Bench Realty %d", i+1), true)
		return err
	}); err != nil {
		return err
	}
	homes := make([]demo.Home, cfg.Listings)
	for i := range homes {
		lat, lng := around(rng, 12)
		homes[i] = demo.Home{Title: fmt.Sprintf("Bench home %d", i+1), Line1: fmt.Sprintf("%d W Bench St", 100+i), City: "Chicago",
			Lat: lat, Lng: lng, Price: 20000000 + rng.Int64N(100000000), TourFee: 2000 + 500*rng.Int64N(5),
			Bedrooms: 1 + rng.IntN(5), Bathrooms: 1 + rng.IntN(3)}
	}
	ids := make([]string, cfg.Listings)
	if err := parallel(ctx, cfg.Listings, func(i int) (err error) {
		ids[i], err = s.Listing(ctx, providers[i%len(providers)], homes[i])
		return err
	}); err != nil {
		return err
	}
	r.homes = ids
	for i, id := range ids {
		r.owner[id] = providers[i%len(providers)]
	}
	spots := make([][2]float64, cfg.Realtors)
	for i := range spots {
		spots[i][0], spots[i][1] = around(rng, 8)
	}
	r.agents = make([]string, cfg.Realtors)
	if err := parallel(ctx, cfg.Realtors, func(i int) (err error) {
		r.agents[i], err = s.Realtor(admin, fmt.Sprintf("Bench Realtor %d", i+1), spots[i][0], spots[i][1])
		return err
	}); err != nil {
		return err
	}
	r.users = make([]*customer, cfg.Customers)
	if err := parallel(ctx, cfg.Customers, func(i int) error {
		tok, err := s.Account(admin, "customer", fmt.Sprintf("Bench Customer %d", i+1), false)
		r.users[i] = &customer{token: tok}
		return err
	}); err != nil {
		return err
	}
	r.idle = make(chan *customer, len(r.users))
	for _, c := range r.users {
		r.idle <- c
	}
	return nil
}

// around returns a uniformly random point within km of the Loop.
func around(rng *rand.Rand, km float64) (lat, lng float64) {
	for {
		dx, dy := rng.Float64()*2-1, rng.Float64()*2-1
		if dx*dx+dy*dy <= 1 {
			return loopLat + dy*km/111.0, loopLng + dx*km/(111.0*0.745) // cos(41.9°)
		}
	}
}

// parallel runs fn for 0..n-1, four at a time, and returns the first error.
func parallel(ctx context.Context, n int, fn func(int) error) error {
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  atomic.Int64
	)
	for range min(4, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// slotFor spreads booking i over days and start hours so realtors can
// take them: each (day, start) gets at most three quarters of the
// realtors, from the day after tomorrow on.
func (r *run) slotFor(i int) time.Time {
	perSlot := max(1, r.cfg.Realtors*3/4)
	slot := i / perSlot
	loc, _ := time.LoadLocation(zone)
	day := time.Now().In(loc).AddDate(0, 0, 2+(slot/len(tourStarts))%85)
	return time.Date(day.Year(), day.Month(), day.Day(), tourStarts[slot%len(tourStarts)], 0, 0, 0, loc)
}

// book is one customer's booking: 1 to 3 homes into the cart, checkout
// with an Idempotency-Key, then the tour polled until it settles.
func (r *run) book(ctx context.Context, i int) {
	r.arrivals.Add(1)
	var c *customer
	select {
	case c = <-r.idle:
	default:
		r.skipped.Add(1) // open loop: no waiting for a customer to be free
		return
	}
	defer func() { r.idle <- c }()
	bg := context.WithoutCancel(ctx) // a started booking finishes after the load ends
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	n := 1 + rng.IntN(3)
	picked := map[string]bool{}
	for len(picked) < n {
		picked[r.homes[rng.IntN(len(r.homes))]] = true
	}
	var added []string
	cleanup := func() {
		for _, id := range added {
			_, _, _ = r.api.call(bg, "DELETE", "/cart/items/"+url.PathEscape(id), c.token, nil, nil, nil)
		}
	}
	for id := range picked {
		status, took, err := r.api.call(bg, "POST", "/cart/items", c.token, nil, map[string]string{"listing_id": id}, nil)
		r.ops["cart_add"].record(took, status, err == nil)
		if err != nil {
			cleanup()
			return
		}
		added = append(added, id)
	}
	// As the app does: read the day's open slots, take the one nearest to
	// this booking's target (which spreads bookings over the realtors),
	// check out; a slot taken meanwhile answers alternatives, and the
	// customer takes the first.
	target := r.slotFor(i)
	var open slotsView
	status, took, err := r.api.call(bg, "GET", "/cart/slots?days=1&from="+target.Format(time.DateOnly), c.token, nil, nil, &open)
	r.ops["slots"].record(took, status, err == nil && status == 200)
	if err != nil || status != 200 || len(open.Items) == 0 {
		r.noSlot.Add(1)
		cleanup()
		return
	}
	start := open.nearest(target)
	var (
		order checkoutAnswer
		sent  time.Time
	)
	for attempt := range 2 {
		sent = time.Now()
		order = checkoutAnswer{}
		status, took, err = r.api.call(bg, "POST", "/cart/checkout", c.token, map[string]string{"Idempotency-Key": fmt.Sprintf("bench-%d-%d-%d", sent.UnixNano(), i, attempt)},
			map[string]string{"scheduled_at": start.Format(time.RFC3339), "payment_method": "tok_visa"}, &order)
		r.ops["checkout"].record(took, status, err == nil && (status == 201 || status == 409))
		if err != nil || status != 409 {
			break
		}
		r.slotTaken.Add(1)
		if len(order.Alternatives) == 0 {
			break
		}
		start = order.Alternatives[0].Start
	}
	if err != nil || status != 201 {
		cleanup()
		return
	}
	r.checkouts.Add(1)
	r.mu.Lock()
	r.orders = append(r.orders, order.OrderID)
	r.mu.Unlock()
	if r.cfg.Answered != nil {
		r.cfg.Answered(order.OrderID)
	}
	r.await(bg, c, order.OrderID, sent)
}

// await looks the order's tour up (GET /tours?order_id=, the customer's
// own tours only), then polls it until it is scheduled or unassigned, or
// the saga timeout passes.
func (r *run) await(ctx context.Context, c *customer, orderID string, sent time.Time) {
	deadline := sent.Add(r.cfg.SagaTimeout)
	tourID := ""
	for {
		<-r.polls.C // within the poll budget shared by every booking
		var t tourView
		var status int
		var took time.Duration
		var err error
		if tourID == "" {
			var p page[tourView]
			status, took, err = r.api.call(ctx, "GET", "/tours?order_id="+url.QueryEscape(orderID), c.token, nil, nil, &p)
			for _, it := range p.Items {
				if it.OrderID == orderID {
					t, tourID = it, it.ID
					r.seen.record(time.Since(sent), 200, true)
				}
			}
		} else {
			status, took, err = r.api.call(ctx, "GET", "/tours/"+url.PathEscape(tourID), c.token, nil, nil, &t)
		}
		r.ops["tour_poll"].record(took, status, err == nil)
		switch t.Status {
		case "scheduled":
			r.scheduled.Add(1)
			r.saga.record(time.Since(sent), 200, true)
			return
		case "unassigned", "cancelled", "completed":
			r.unassigned.Add(1)
			return
		}
		if time.Now().After(deadline) {
			r.timedOut.Add(1)
			return
		}
		wait := time.NewTimer(pollInterval(r.cfg.Poll, time.Since(sent))) // the polling interval
		<-wait.C
	}
}

// pollInterval is how long to wait before reading a tour again, age after
// its checkout: base for the first 50 intervals (100 ms at 2 ms), then 5
// times base up to 500 intervals (1 s), then 25 times base. Polling every
// outstanding booking at 2 ms would itself overload a slow system (each
// poll is a request), so late answers are measured a little less finely:
// the error stays under about 5% of the latency.
func pollInterval(base, age time.Duration) time.Duration {
	switch {
	case age < 50*base:
		return base
	case age < 500*base:
		return 5 * base
	default:
		return 25 * base
	}
}

// search is a customer browsing homes near a random point of the metro.
func (r *run) search(ctx context.Context, i int) {
	rng := rand.New(rand.NewPCG(uint64(i), 11))
	lat, lng := around(rng, 15)
	c := r.users[rng.IntN(len(r.users))]
	q := url.Values{"near": {fmt.Sprintf("%.5f,%.5f", lat, lng)}, "radius_km": {fmt.Sprint(5 + rng.IntN(20))}}
	status, took, err := r.api.call(ctx, "GET", "/listings?"+q.Encode(), c.token, nil, nil, nil)
	if ctx.Err() == nil || err == nil {
		r.ops["search"].record(took, status, err == nil)
	}
}

// updateListing is a provider changing a listing's price.
func (r *run) updateListing(ctx context.Context, i int) {
	rng := rand.New(rand.NewPCG(uint64(i), 13))
	id := r.homes[rng.IntN(len(r.homes))]
	body := map[string]any{"price": map[string]any{"amount": 20000000 + rng.Int64N(100000000), "currency": "USD"}}
	status, took, err := r.api.call(ctx, "PATCH", "/listings/"+url.PathEscape(id), r.owner[id], nil, body, nil)
	if ctx.Err() == nil || err == nil {
		r.ops["listing_update"].record(took, status, err == nil)
	}
}

// toggleRealtor is a realtor going unavailable for a second, then back.
func (r *run) toggleRealtor(ctx context.Context, i int) {
	tok := r.agents[i%len(r.agents)]
	bg := context.WithoutCancel(ctx)
	status, took, err := r.api.call(bg, "PATCH", "/iam/me", tok, nil, map[string]string{"status": "unavailable"}, nil)
	r.ops["realtor_toggle"].record(took, status, err == nil)
	t := time.NewTimer(time.Second) // the realtor's break
	<-t.C
	status, took, err = r.api.call(bg, "PATCH", "/iam/me", tok, nil, map[string]string{"status": "available"}, nil)
	r.ops["realtor_toggle"].record(took, status, err == nil)
}

// progress prints a line a second (terminal) or every 5 s (log) until the
// returned func is called.
func (r *run) progress(start time.Time) (stop func()) {
	every, end := 5*time.Second, "\n"
	if r.cfg.Terminal {
		every, end = time.Second, ""
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	line := func() {
		searches, _ := r.ops["search"].counts()
		prefix := ""
		if r.cfg.Terminal {
			prefix = "\r\033[K"
		}
		fmt.Fprintf(r.cfg.Progress, "%s%5.1fs  arrivals %d  checkouts %d  scheduled %d  unassigned %d  skipped %d  searches %d%s",
			prefix, time.Since(start).Seconds(), r.arrivals.Load(), r.checkouts.Load(), r.scheduled.Load(), r.unassigned.Load(), r.skipped.Load(), searches, end)
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				line()
				if r.cfg.Terminal {
					fmt.Fprintln(r.cfg.Progress)
				}
				return
			case <-t.C:
				line()
			}
		}
	}()
	return func() { close(done); <-finished }
}
