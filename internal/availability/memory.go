package availability

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is the in-process Index, the embedded default. Search scans the
// eligible realtors, kept in one contiguous slice, cheapest test first: a
// flat-earth distance estimate against each realtor's own reach (no
// trigonometry), a bit mask of the hours they work, the haversine
// distance, their exact working hours, their bookings; it keeps the
// nearest Limit in a bounded heap. Over 10,000 realtors that answers well
// inside the 2 ms goal (docs/performance.md).
type Memory struct {
	opts  Options
	zones zones

	mu       sync.RWMutex
	realtors map[string]*memRealtor
	eligible []memEntry                    // the realtors Search considers
	bookings map[string]map[string]Booking // realtor id -> tour id -> hold
	busy     map[string]memBusy            // realtor id -> own calendar's blocks
}

// memBusy is a realtor's busy blocks and the news they came from.
type memBusy struct {
	at     time.Time
	spans  []Span
	blocks []block
}

type memRealtor struct {
	prepared
	pos int // index in Memory.eligible, or -1
}

// memEntry is what the scan reads first, without following a pointer:
// where, how far, and in which local hours of each weekday the realtor
// works at some moment (bit h of hours[weekday]).
type memEntry struct {
	lat, lng, radius float64
	cosLat           float64
	loc              *time.Location
	hours            [8]uint32
	r                *memRealtor
}

func entryOf(r *memRealtor) memEntry {
	e := memEntry{lat: r.r.Location.Lat, lng: r.r.Location.Lng, radius: r.r.ServiceRadiusKM, loc: r.loc, r: r,
		cosLat: math.Cos(r.r.Location.Lat * math.Pi / 180)}
	for wd := 1; wd <= 7; wd++ {
		for _, w := range r.sched[wd] {
			e.hours[wd] |= hourBits(w.From, w.To)
		}
	}
	return e
}

// coversAll reports whether every point of ps (cosPs their latitudes'
// cosines) is within reach of the realtor: the flat estimate rules out the
// far ones, the haversine decides the rest, as for the first point.
func (e *memEntry) coversAll(ps []Point, cosPs []float64, reach float64) bool {
	bound := slack(reach)
	for i, p := range ps {
		if flatKM2(e.lat, e.lng, e.cosLat, p, cosPs[i]) > bound*bound || distanceKM(Point{e.lat, e.lng}, p) > reach {
			return false
		}
	}
	return true
}

// hourBits has bit h set for every hour h that [from, to) touches
// (seconds after local midnight, to at most 86400).
func hourBits(from, to int) uint32 {
	first, last := from/3600, (to-1)/3600
	return (uint32(1)<<(last+1) - 1) &^ (uint32(1)<<first - 1)
}

// NewMemory returns an empty in-memory index.
func NewMemory(opts Options) (*Memory, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Memory{
		opts:     opts,
		realtors: map[string]*memRealtor{},
		bookings: map[string]map[string]Booking{},
		busy:     map[string]memBusy{},
	}, nil
}

// PutRealtor implements Index.
func (m *Memory) PutRealtor(ctx context.Context, r Realtor) error {
	p, err := prepare(r, &m.zones)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.realtors[p.r.ID]
	if cur != nil && p.r.UpdatedAt.Before(cur.r.UpdatedAt) {
		return nil
	}
	if cur != nil && cur.pos >= 0 {
		last := m.eligible[len(m.eligible)-1]
		m.eligible[cur.pos] = last
		last.r.pos = cur.pos
		m.eligible = m.eligible[:len(m.eligible)-1]
	}
	nr := &memRealtor{prepared: p, pos: -1}
	if p.eligible() {
		nr.pos = len(m.eligible)
		m.eligible = append(m.eligible, entryOf(nr))
	}
	m.realtors[p.r.ID] = nr
	return nil
}

// Realtor implements Index.
func (m *Memory) Realtor(ctx context.Context, id string) (Realtor, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cur, ok := m.realtors[id]
	if !ok {
		return Realtor{}, errNotFound
	}
	r := cur.r
	if r.Location != nil {
		p := *r.Location
		r.Location = &p
	}
	r.WorkingHours = slices.Clone(r.WorkingHours)
	r.TimeOff = slices.Clone(r.TimeOff)
	return r, nil
}

// PutBusy implements Index.
func (m *Memory) PutBusy(ctx context.Context, realtorID string, blocks []Span, at time.Time) error {
	spans, err := checkBusy(realtorID, blocks)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.busy[realtorID]; ok && cur.at.After(at) {
		return nil
	}
	m.busy[realtorID] = memBusy{at: at, spans: spans, blocks: spanBlocks(spans, nil)}
	return nil
}

// offLocked reports whether the realtor is off or busy during [start,
// end), or at their cap on its day.
func (m *Memory) offLocked(r *memRealtor, start, end time.Time) bool {
	s, e := start.UnixMilli(), end.UnixMilli()
	if anyOverlap(r.off, s, e) || anyOverlap(m.busy[r.r.ID].blocks, s, e) {
		return true
	}
	return r.r.MaxToursPerDay > 0 && atCap(r.loc, r.r.MaxToursPerDay, m.startsLocked(r.r.ID), s)
}

// startsLocked lists the starts of the realtor's bookings (ms).
func (m *Memory) startsLocked(realtorID string) []int64 {
	out := make([]int64, 0, len(m.bookings[realtorID]))
	for _, b := range m.bookings[realtorID] {
		out = append(out, b.Start.UnixMilli())
	}
	return out
}

// Search implements Index.
func (m *Memory) Search(ctx context.Context, q Query) ([]Candidate, error) {
	q, err := normalQuery(q)
	if err != nil {
		return nil, err
	}
	timed := !q.Start.IsZero()
	cosQ := math.Cos(q.Point.Lat * math.Pi / 180)
	cosAlso := make([]float64, len(q.Also))
	for i, p := range q.Also {
		cosAlso[i] = math.Cos(p.Lat * math.Pi / 180)
	}
	var (
		lastLoc  *time.Location
		lastSpan span
		need     uint32 // the hours the window touches on lastSpan's weekday
		best     = topK{limit: q.Limit}
	)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := range m.eligible {
		e := &m.eligible[i]
		reach := e.radius
		if q.MaxDistanceKM > 0 && q.MaxDistanceKM < reach {
			reach = q.MaxDistanceKM
		}
		approx := flatKM2(e.lat, e.lng, e.cosLat, q.Point, cosQ)
		if bound := slack(reach); approx > bound*bound {
			continue
		}
		if timed {
			if e.loc != lastLoc {
				lastLoc, lastSpan = e.loc, localSpan(e.loc, q.Start, q.End)
				need = 0
				if lastSpan.To <= 86400 { // else the window crosses midnight: no one works it
					need = hourBits(lastSpan.From, lastSpan.To)
				}
			}
			if need == 0 || e.hours[lastSpan.Weekday]&need != need {
				continue
			}
		}
		if best.full() {
			if worst := slack(best.items[0].DistanceKM); approx > worst*worst {
				continue
			}
		}
		r := e.r
		d := distanceKM(Point{e.lat, e.lng}, q.Point)
		if d > reach || !best.wants(d, r.r.ID) || !e.coversAll(q.Also, cosAlso, reach) {
			continue
		}
		if timed && (!r.sched.covers(lastSpan) || m.blockedLocked(r.r.ID, "", q.Start, q.End) != "" || m.offLocked(r, q.Start, q.End)) {
			continue
		}
		best.add(Candidate{
			RealtorID:       r.r.ID,
			DistanceKM:      d,
			Status:          r.r.Status,
			TimeZone:        r.r.TimeZone,
			ServiceRadiusKM: r.r.ServiceRadiusKM,
			Location:        *r.r.Location,
		})
	}
	return best.sorted(), nil
}

// FreeStarts implements Index: the scan of Search (distance estimate, then
// the hours mask, haversine, the other homes), each realtor who covers the
// homes offered to freeStarts, until every start is free or the realtors
// run out.
func (m *Memory) FreeStarts(ctx context.Context, q SlotQuery) ([]time.Time, error) {
	f, q, err := newFreeStarts(q)
	if err != nil {
		return nil, err
	}
	cosQ := math.Cos(q.Point.Lat * math.Pi / 180)
	cosAlso := make([]float64, len(q.Also))
	for i, p := range q.Also {
		cosAlso[i] = math.Cos(p.Lat * math.Pi / 180)
	}
	var blocks []block
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := range m.eligible {
		if f.done() {
			break
		}
		e := &m.eligible[i]
		if bound := slack(e.radius); flatKM2(e.lat, e.lng, e.cosLat, q.Point, cosQ) > bound*bound {
			continue
		}
		if !f.wants(e.loc, &e.hours) || distanceKM(Point{e.lat, e.lng}, q.Point) > e.radius ||
			!e.coversAll(q.Also, cosAlso, e.radius) || !f.consider(e.loc, &e.r.sched) {
			continue
		}
		blocks = blocks[:0]
		for _, b := range m.bookings[e.r.r.ID] {
			blocks = append(blocks, blockOf(b.Start, b.End, m.opts.Buffer))
		}
		blocks = append(blocks, e.r.off...)
		blocks = append(blocks, m.busy[e.r.r.ID].blocks...)
		blocks = capBlocks(e.loc, e.r.r.MaxToursPerDay, m.startsLocked(e.r.r.ID), blocks)
		sortBlocks(blocks)
		f.take(blocks)
	}
	return f.result(), nil
}

// topK keeps the nearest limit candidates (all when limit <= 0) as a
// max-heap on byDistance, so a scan that finds thousands sorts only limit.
type topK struct {
	limit int
	items []Candidate
}

func (t *topK) full() bool { return t.limit > 0 && len(t.items) >= t.limit }

// wants reports whether a candidate at d would enter.
func (t *topK) wants(d float64, id string) bool {
	return !t.full() || byDistance(Candidate{RealtorID: id, DistanceKM: d}, t.items[0]) < 0
}

func (t *topK) add(c Candidate) {
	if t.limit <= 0 {
		t.items = append(t.items, c)
		return
	}
	if !t.full() {
		t.items = append(t.items, c)
		for i := len(t.items) - 1; i > 0; { // sift up
			parent := (i - 1) / 2
			if byDistance(t.items[i], t.items[parent]) <= 0 {
				break
			}
			t.items[i], t.items[parent] = t.items[parent], t.items[i]
			i = parent
		}
		return
	}
	t.items[0] = c
	for i := 0; ; { // sift down
		l, r, big := 2*i+1, 2*i+2, i
		if l < len(t.items) && byDistance(t.items[l], t.items[big]) > 0 {
			big = l
		}
		if r < len(t.items) && byDistance(t.items[r], t.items[big]) > 0 {
			big = r
		}
		if big == i {
			break
		}
		t.items[i], t.items[big] = t.items[big], t.items[i]
		i = big
	}
}

func (t *topK) sorted() []Candidate {
	out := t.items
	if out == nil {
		out = []Candidate{}
	}
	slices.SortFunc(out, byDistance)
	return out
}

// blockedLocked returns the first tour (by id) other than except that
// blocks [start, end) for the realtor, or "".
func (m *Memory) blockedLocked(realtorID, except string, start, end time.Time) string {
	blocker := ""
	for id, b := range m.bookings[realtorID] {
		if id != except && b.Blocks(start, end, m.opts.Buffer) && (blocker == "" || id < blocker) {
			blocker = id
		}
	}
	return blocker
}

// Reserve implements Index.
func (m *Memory) Reserve(ctx context.Context, realtorID, tourID string, start, end time.Time) error {
	start, end, err := checkHold(realtorID, tourID, start, end)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tours := m.bookings[realtorID]
	if old, ok := tours[tourID]; ok && old.Start.Equal(start) && old.End.Equal(end) {
		return nil
	}
	if other := m.blockedLocked(realtorID, tourID, start, end); other != "" {
		return fmt.Errorf("reserve realtor %s for tour %s: %w (tour %s)", realtorID, tourID, errTaken, other)
	}
	if tours == nil {
		tours = map[string]Booking{}
		m.bookings[realtorID] = tours
	}
	tours[tourID] = Booking{TourID: tourID, Start: start, End: end}
	return nil
}

// Release implements Index.
func (m *Memory) Release(ctx context.Context, realtorID, tourID string, start, end time.Time) error {
	start, end, err := checkRelease(realtorID, tourID, start, end)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tours := m.bookings[realtorID]
	old, ok := tours[tourID]
	if !ok || (!start.IsZero() && (!old.Start.Equal(start) || !old.End.Equal(end))) {
		return nil
	}
	delete(tours, tourID)
	if len(tours) == 0 {
		delete(m.bookings, realtorID)
	}
	return nil
}

// Bookings implements Index.
func (m *Memory) Bookings(ctx context.Context, realtorID string) ([]Booking, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := slices.Collect(maps.Values(m.bookings[realtorID]))
	sortBookings(out)
	return out, nil
}

func sortBookings(bs []Booking) {
	slices.SortFunc(bs, func(a, b Booking) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.TourID, b.TourID)
	})
}

// Prune implements Index.
func (m *Memory) Prune(ctx context.Context, before time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for rid, tours := range m.bookings {
		for id, b := range tours {
			if b.End.Before(before) {
				delete(tours, id)
				n++
			}
		}
		if len(tours) == 0 {
			delete(m.bookings, rid)
		}
	}
	return n, nil
}

// Reset implements Index.
func (m *Memory) Reset(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.realtors = map[string]*memRealtor{}
	m.eligible = nil
	m.bookings = map[string]map[string]Booking{}
	m.busy = map[string]memBusy{}
	return nil
}
