package availability

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A realtor's schedule beyond their weekly hours: time off (on the
// profile), the busy blocks of their own calendar (PutBusy) and a daily
// cap. Search and FreeStarts, on both indexes, leave a realtor out of a
// window that overlaps a span of time off or a busy block, or that starts
// on a local day (of the realtor's zone) on which they already hold
// MaxToursPerDay bookings. Reserve checks none of it: the appointment
// service, which enforces the same rules under its per-realtor lock,
// decided.

// checkSpans validates spans: at most MaxSpans, each after 1970 and
// non-empty.
func checkSpans(spans []Span) error {
	if len(spans) > maxSpans {
		return fmt.Errorf("at most %d spans", maxSpans)
	}
	for i, s := range spans {
		if s.Start.Unix() <= 0 || !s.End.After(s.Start) {
			return fmt.Errorf("span %d: start must be after 1970 and before end", i)
		}
	}
	return nil
}

// spanBlocks appends spans as blocks (not widened) to dst.
func spanBlocks(spans []Span, dst []block) []block {
	for _, s := range spans {
		dst = append(dst, block{s.Start.UnixMilli(), s.End.UnixMilli()})
	}
	return dst
}

// anyOverlap reports whether a block of bs overlaps [start, end) (ms).
func anyOverlap(bs []block, start, end int64) bool {
	for _, b := range bs {
		if b.from < end && b.to > start {
			return true
		}
	}
	return false
}

// localDay is the day of loc's wall clock that t (ms) falls on, as
// instants [from, to) in ms: 23 or 25 hours when the zone changes clocks.
func localDay(loc *time.Location, t int64) (from, to int64) {
	y, m, d := time.UnixMilli(t).In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UnixMilli(), time.Date(y, m, d+1, 0, 0, 0, 0, loc).UnixMilli()
}

// capBlocks appends to dst a block over every local day on which the
// bookings starting (starts, ms) reach limit: that day takes no more.
func capBlocks(loc *time.Location, limit int, starts []int64, dst []block) []block {
	if limit <= 0 || len(starts) < limit {
		return dst
	}
	days := map[int64]int{}
	ends := map[int64]int64{}
	for _, s := range starts {
		from, to := localDay(loc, s)
		days[from]++
		ends[from] = to
	}
	for from, n := range days {
		if n >= limit {
			dst = append(dst, block{from, ends[from]})
		}
	}
	return dst
}

// atCap reports whether the bookings starting (starts, ms) on the local
// day of start reach limit.
func atCap(loc *time.Location, limit int, starts []int64, start int64) bool {
	if limit <= 0 || len(starts) < limit {
		return false
	}
	from, to := localDay(loc, start)
	n := 0
	for _, s := range starts {
		if s >= from && s < to {
			n++
		}
	}
	return n >= limit
}

// spansText writes spans as the Redis index keeps them: "startMs:endMs,...".
func spansText(spans []Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = strconv.FormatInt(s.Start.UnixMilli(), 10) + ":" + strconv.FormatInt(s.End.UnixMilli(), 10)
	}
	return strings.Join(parts, ",")
}

// spansOf reads spansText.
func spansOf(s string) ([]Span, error) {
	bs, err := parseBlocks(s, 0, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Span, len(bs))
	for i, b := range bs {
		out[i] = Span{time.UnixMilli(b.from).UTC(), time.UnixMilli(b.to).UTC()}
	}
	return out, nil
}

// normalSpans are spans in the index's precision, sorted by start.
func normalSpans(spans []Span) []Span {
	out := make([]Span, len(spans))
	for i, s := range spans {
		out[i] = Span{millis(s.Start), millis(s.End)}
	}
	slices.SortFunc(out, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}
