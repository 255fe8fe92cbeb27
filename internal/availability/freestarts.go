package availability

import (
	"cmp"
	"math/bits"
	"slices"
	"time"
)

// freeStarts computes FreeStarts, one realtor at a time, for both indexes:
// the answer is the union over the realtors whose area covers the homes of
// the starts each can take, so it is a bitset over the candidate starts,
// and the work ends as soon as every start is in it (done).
//
// For one realtor, wants first compares the weekly hours it works (a bit
// mask per weekday of the local hours worked) with the hours each missing
// start's tour touches, at the cost of a few AND instructions: once the
// starts anyone can take are found, the starts left are mostly those
// nobody works, and most realtors end there. Then consider finds the
// working windows (each weekly window on each local day that has
// candidate starts, as instants: the realtor's wall clock, DST-correct)
// that could hold a start still missing; only then does take read the
// realtor's blocks and mark the starts that fit in a window between them.
//
// A start s fits a window [a, b] (its first and last instants) when
// a <= s and s+length <= b, and a block (from, to) when s+length <= from or
// s >= to. That is Search's rule (schedule.covers, Booking.Blocks) except
// where a window's own edge falls in the hour a zone's clocks skip or
// repeat: time.Date picks one instant for it, where Search compares the
// wall-clock readings of the tour's ends.
type freeStarts struct {
	starts  []int64  // candidate starts, Unix ms, ascending
	length  int64    // ms
	free    []uint64 // some realtor can take the start
	gone    []uint64 // no realtor can take it (settle); never free
	left    int      // starts neither free nor gone
	zones   map[*time.Location]*slotZone
	last    *slotZone
	windows []block // what consider found: working windows [from, to] as instants
	offers  int     // realtors considered, for when to refresh the need groups
}

// block is a span the realtor cannot be booked over: a tour [s, s+length)
// is blocked when it overlaps (from, to), in Unix ms. Holds widened by the
// index's buffer are blocks; so will be time off, busy times from the
// realtor's own calendar and the days they reach a daily cap of tours.
type block struct{ from, to int64 }

// blockOf is a booking as a block: widened by the buffer on both sides
// (Booking.Blocks).
func blockOf(start, end time.Time, buffer time.Duration) block {
	return block{start.UnixMilli() - buffer.Milliseconds(), end.UnixMilli() + buffer.Milliseconds()}
}

func sortBlocks(bs []block) {
	slices.SortFunc(bs, func(a, b block) int {
		return cmp.Compare(a.from, b.from)
	})
}

// newFreeStarts validates q and sets up its candidate starts.
func newFreeStarts(q SlotQuery) (*freeStarts, SlotQuery, error) {
	q, err := normalSlots(q)
	if err != nil {
		return nil, q, err
	}
	ss := q.starts()
	return &freeStarts{
		starts: ss, length: q.Length.Milliseconds(), left: len(ss),
		free:  make([]uint64, (len(ss)+63)/64),
		gone:  make([]uint64, (len(ss)+63)/64),
		zones: map[*time.Location]*slotZone{},
	}, q, nil
}

// done: every candidate start is free or gone; no realtor can add
// anything.
func (f *freeStarts) done() bool { return f.left == 0 }

// settle marks gone the starts neither free nor gone for which no
// realtor is left who can take them.
func (f *freeStarts) settle(noneLeft func(i int) bool) {
	for i := range f.starts {
		if !f.settled(i) && noneLeft(i) {
			f.gone[i/64] |= 1 << (i % 64)
			f.left--
		}
	}
}

// result lists the free starts, ascending, in UTC.
func (f *freeStarts) result() []time.Time {
	n := 0
	for _, w := range f.free {
		n += bits.OnesCount64(w)
	}
	out := make([]time.Time, 0, n)
	for i, s := range f.starts {
		if f.free[i/64]&(1<<(i%64)) != 0 {
			out = append(out, time.UnixMilli(s).UTC())
		}
	}
	return out
}

// wants reports whether a realtor of zone loc who works hours (the mask of
// local hours worked per ISO weekday, as memEntry keeps it) might take a
// start still missing: false means surely not. It costs a few AND
// instructions, so callers ask it before anything dearer (a distance).
func (f *freeStarts) wants(loc *time.Location, hours *[8]uint32) bool {
	if f.left == 0 {
		return false
	}
	f.offers++
	return f.zone(loc).mayCover(f, hours)
}

// consider looks at a realtor f wants, of zone loc with weekly windows
// sched, and reports whether one of their working windows could hold a
// start still missing; the caller then passes the realtor's blocks to
// take. It keeps the windows found for take.
func (f *freeStarts) consider(loc *time.Location, sched *schedule) bool {
	f.windows = f.windows[:0]
	z := f.zone(loc)
	for d := range z.days {
		day := &z.days[d]
		for _, w := range sched[day.weekday] {
			a, b := z.instant(day, w.From), z.instant(day, w.To)
			if lo, hi := f.fitting(a, b); lo < hi && f.anyMissing(lo, hi) {
				f.windows = append(f.windows, block{a, b})
			}
		}
	}
	return len(f.windows) > 0
}

// take marks free the starts of the considered windows that none of
// blocks (sorted by from) touches.
func (f *freeStarts) take(blocks []block) {
	for _, w := range f.windows {
		cur, b := w.from, w.to
		for _, bk := range blocks {
			if bk.to <= cur {
				continue
			}
			if bk.from >= b {
				break
			}
			if bk.from > cur {
				f.mark(cur, bk.from)
			}
			cur = bk.to
			if cur >= b {
				break
			}
		}
		if cur < b {
			f.mark(cur, b)
		}
	}
	f.windows = f.windows[:0]
}

// fitting returns the indexes [lo, hi) of the starts s with a <= s and
// s+length <= b.
func (f *freeStarts) fitting(a, b int64) (lo, hi int) {
	lo, _ = slices.BinarySearch(f.starts, a)
	hi, found := slices.BinarySearch(f.starts, b-f.length)
	if found {
		hi++
	}
	return lo, hi
}

// mark sets free every start that fits [a, b].
func (f *freeStarts) mark(a, b int64) {
	lo, hi := f.fitting(a, b)
	for i := lo; i < hi; {
		w, bit := i/64, uint(i%64)
		n := min(hi-i, 64-int(bit))
		m := ^uint64(0) >> (64 - uint(n)) << bit
		f.left -= bits.OnesCount64(m &^ (f.free[w] | f.gone[w]))
		f.free[w] |= m
		i += n
	}
}

// anyMissing reports whether a start in [lo, hi) is not free yet.
func (f *freeStarts) anyMissing(lo, hi int) bool {
	for i := lo; i < hi; {
		w, bit := i/64, uint(i%64)
		n := min(hi-i, 64-int(bit))
		m := ^uint64(0) >> (64 - uint(n)) << bit
		if (f.free[w]|f.gone[w])&m != m {
			return true
		}
		i += n
	}
	return false
}

// settled: free or gone.
func (f *freeStarts) settled(i int) bool { return (f.free[i/64]|f.gone[i/64])&(1<<(i%64)) != 0 }

// slotZone is the candidate starts as the wall clock of one zone shows
// them, computed once per query for the zones of the realtors it meets.
type slotZone struct {
	loc  *time.Location
	days []slotDay // the local days that have candidate starts
	// weekday and need, per start: the ISO weekday of its local day and the
	// local hours its tour touches (hourBits); weekday 0 when the tour
	// ends on a later local day, which no working window holds.
	weekday []int8
	need    []uint32
	// groups are the distinct (weekday, need) of the starts still missing
	// when they were last computed (a superset of those missing now):
	// what a realtor must work to be worth a closer look.
	groups    []needGroup
	groupLeft int // f.left when groups were computed
	groupAt   int // f.offers then
}

type needGroup struct {
	weekday int
	need    uint32
}

// slotDay is one local day of a zone: its civil date, ISO weekday and,
// when the zone's offset holds all day, the instant of its midnight, so
// that a time of that day is midnight plus its seconds.
type slotDay struct {
	y        int
	m        time.Month
	d        int
	weekday  int
	midnight int64 // Unix ms, when plain
	plain    bool
}

func (f *freeStarts) zone(loc *time.Location) *slotZone {
	if f.last != nil && f.last.loc == loc {
		return f.last
	}
	z := f.zones[loc]
	if z == nil {
		z = newSlotZone(loc, f.starts, f.length)
		f.zones[loc] = z
	}
	f.last = z
	return z
}

func newSlotZone(loc *time.Location, starts []int64, length int64) *slotZone {
	z := &slotZone{loc: loc, weekday: make([]int8, len(starts)), need: make([]uint32, len(starts)), groupLeft: -1}
	for i := 0; i < len(starts); {
		t := time.UnixMilli(starts[i]).In(loc)
		y, m, d := t.Date()
		midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
		next := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		day := slotDay{y: y, m: m, d: d, weekday: isoWeekday(t.Weekday()), midnight: midnight.UnixMilli()}
		// Plain: local midnight exists and one offset holds until the next.
		_, end := midnight.ZoneBounds()
		lm := midnight.In(loc)
		day.plain = lm.Hour() == 0 && lm.Minute() == 0 && lm.Second() == 0 && (end.IsZero() || !end.Before(next))
		z.days = append(z.days, day)
		j, _ := slices.BinarySearch(starts[i+1:], next.UnixMilli())
		i += 1 + j
	}
	for i, s := range starts {
		sp := localSpan(loc, time.UnixMilli(s), time.UnixMilli(s+length))
		if sp.To <= 86400 {
			z.weekday[i], z.need[i] = int8(sp.Weekday), hourBits(sp.From, sp.To)
		}
	}
	return z
}

// instant is the time of day sec (seconds after local midnight) of day.
func (z *slotZone) instant(day *slotDay, sec int) int64 {
	if day.plain {
		return day.midnight + int64(sec)*1000
	}
	return time.Date(day.y, day.m, day.d, sec/3600, sec%3600/60, sec%60, 0, z.loc).UnixMilli()
}

// mayCover reports whether a realtor of this zone who works hours could
// take some start still missing (false means surely not).
func (z *slotZone) mayCover(f *freeStarts, hours *[8]uint32) bool {
	for _, g := range z.needGroups(f) {
		if hours[g.weekday]&g.need == g.need {
			return true
		}
	}
	return false
}

// needGroups returns the zone's groups, computed again when enough starts
// were found since (a quarter of those then missing) or enough realtors
// looked at (32): stale groups only make mayCover say yes more often.
func (z *slotZone) needGroups(f *freeStarts) []needGroup {
	if z.groupLeft >= 0 && (z.groupLeft == f.left || (f.left*4 > z.groupLeft*3 && f.offers-z.groupAt < 32)) {
		return z.groups
	}
	return z.refreshGroups(f)
}

// refreshGroups computes the zone's groups from the starts missing now.
func (z *slotZone) refreshGroups(f *freeStarts) []needGroup {
	z.groupLeft, z.groupAt = f.left, f.offers
	keys := make([]uint64, 0, 64)
	for i := range f.starts {
		if z.weekday[i] != 0 && !f.settled(i) {
			keys = append(keys, uint64(z.weekday[i])<<32|uint64(z.need[i]))
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	z.groups = z.groups[:0]
	for _, k := range keys {
		z.groups = append(z.groups, needGroup{weekday: int(k >> 32), need: uint32(k)})
	}
	return z.groups
}
