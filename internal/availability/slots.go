package availability

import (
	"fmt"
	"time"
)

// SlotQuery asks at which starts some realtor can take a tour.
type SlotQuery struct {
	// Point is the first home.
	Point Point
	// Also are the other homes: the realtor's own radius must cover each
	// (as Query.Also). At most MaxSearchPoints-1.
	Also []Point
	// Ranges are the starts to consider: From, From+Step, ... up to To
	// (inclusive); From is on the caller's grid. Ranges do not overlap and
	// come in order. The caller has already applied the homes' rules (day
	// bounds in the homes' zone, minimum notice, showing windows), so the
	// index only answers "is some realtor free".
	Ranges []StartRange
	// Step is the grid, e.g. 15 minutes: MinSlotStep to MaxSlotStep.
	Step time.Duration
	// Length is the tour's length: the realtor must work and be free for
	// [start, start+Length). Above 0, at most MaxWindow.
	Length time.Duration
}

// StartRange is a run of starts: From, From+Step, ... up to To inclusive.
type StartRange struct {
	From, To time.Time
}

// Bounds of a SlotQuery.
const (
	// MaxSlotStarts is the most candidate starts one query may name, all
	// ranges together: two weeks of a 5-minute grid, or six weeks of a
	// 15-minute one, with room to spare.
	maxSlotStarts = 4096
	minSlotStep   = time.Minute
	maxSlotStep   = 24 * time.Hour
)

// slotRule names what is wrong with q, if anything: the part ("lat",
// "from", "to", "step" or "length"), the range it is in (-1 when not a
// range's), and the message. q is in the index's precision (normalSlots).
func (q SlotQuery) slotRule() (part string, i int, msg string) {
	if len(q.Also) >= maxSearchPoints {
		return "lat", -1, fmt.Sprintf("may name at most %d points", maxSearchPoints)
	}
	if !q.Point.valid() {
		return "lat", -1, "every point must be latitude -90 to 90 and longitude -180 to 180"
	}
	for _, p := range q.Also {
		if !p.valid() {
			return "lat", -1, "every point must be latitude -90 to 90 and longitude -180 to 180"
		}
	}
	if q.Step < minSlotStep || q.Step > maxSlotStep {
		return "step", -1, fmt.Sprintf("must be from %s to %s", fmtDuration(minSlotStep), fmtDuration(maxSlotStep))
	}
	if q.Length <= 0 || q.Length > maxWindow {
		return "length", -1, fmt.Sprintf("must be above 0 and at most %s", fmtDuration(maxWindow))
	}
	n := 0
	for k, r := range q.Ranges {
		switch {
		case r.From.Unix() <= 0:
			return "from", k, "must be after 1970"
		case r.To.Before(r.From):
			return "to", k, "must not be before from"
		case k > 0 && !r.From.After(q.Ranges[k-1].To):
			return "from", k, "must be after the previous range's to: ranges come in order and do not overlap"
		}
		n += int(r.To.Sub(r.From)/q.Step) + 1
		if n > maxSlotStarts {
			return "to", k, fmt.Sprintf("makes more than %d starts in all", maxSlotStarts)
		}
	}
	return "", -1, ""
}

// fmtDuration writes whole minutes and hours as "15m", "12h" (not
// time.Duration's "15m0s").
func fmtDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// normalSlots puts q in the index's precision (times, step and length to
// the millisecond) and validates it.
func normalSlots(q SlotQuery) (SlotQuery, error) {
	q.Step = q.Step.Truncate(time.Millisecond)
	q.Length = q.Length.Truncate(time.Millisecond)
	rs := make([]StartRange, len(q.Ranges))
	for k, r := range q.Ranges {
		rs[k] = StartRange{From: millis(r.From), To: millis(r.To)}
	}
	q.Ranges = rs
	if part, k, msg := q.slotRule(); part != "" {
		if k >= 0 {
			return q, fmt.Errorf("%w: range %d: %s %s", errInvalid, k, part, msg)
		}
		return q, fmt.Errorf("%w: %s %s", errInvalid, part, msg)
	}
	return q, nil
}

// starts lists q's candidate starts in Unix milliseconds, ascending.
func (q SlotQuery) starts() []int64 {
	var out []int64
	step := q.Step.Milliseconds()
	for _, r := range q.Ranges {
		for s, to := r.From.UnixMilli(), r.To.UnixMilli(); s <= to; s += step {
			out = append(out, s)
		}
	}
	return out
}
