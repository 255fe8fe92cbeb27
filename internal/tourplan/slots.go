package tourplan

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Slot is one open start of a tour and when the tour would end, in the
// homes' time zone.
type Slot struct {
	Start time.Time `json:"start" doc:"When the tour would start, with the homes' UTC offset." example:"2026-12-04T10:00:00-06:00"`
	End   time.Time `json:"end" doc:"When it would end." example:"2026-12-04T11:09:00-06:00"`
}

// Slots answers "when can these homes be toured": GET /cart/slots and GET
// /listings/{id}/slots.
type Slots struct {
	TimeZone        string `json:"time_zone" doc:"The homes' IANA time zone." example:"America/Chicago"`
	DurationMinutes int    `json:"duration_minutes" doc:"How long the tour takes: the visits and the driving between the homes." example:"69"`
	Items           []Slot `json:"items" doc:"The open starts, ascending; none names or counts realtors."`
	// Message is set when a home is not shown now (showing mode none):
	// its provider's word on why.
	Message string `json:"message,omitempty" doc:"When a home is not being shown now: its provider's message, and there are no slots." example:"Back on the market after the renovation."`
}

// SlotsOf lists starts as slots of a tour of length in loc.
func SlotsOf(starts []time.Time, length time.Duration, loc *time.Location) Slots {
	out := Slots{TimeZone: loc.String(), DurationMinutes: int(length / time.Minute), Items: make([]Slot, len(starts))}
	for i, t := range starts {
		out.Items[i] = Slot{Start: t.In(loc), End: t.Add(length).In(loc)}
	}
	return out
}

// MaxSlotDays is how many days one slots query may cover; DefaultSlotDays
// is how many it covers unless asked.
const (
	MaxSlotDays     = 14
	DefaultSlotDays = 7
)

// SlotsQuery is a slots query's parameters: from (a date; zero for today)
// and days.
type SlotsQuery struct {
	From time.Time // a date (midnight UTC); zero for the homes' today
	Days int
}

// ParseSlotsQuery reads ?from=YYYY-MM-DD&days=N; any other parameter, or
// one given twice, is refused. It names the parameter at fault.
func ParseSlotsQuery(values url.Values) (SlotsQuery, string, error) {
	for name, vs := range values {
		if (name != "from" && name != "days") || len(vs) > 1 {
			return SlotsQuery{}, name, fmt.Errorf("is not a parameter of this query, or is given twice")
		}
	}
	q := SlotsQuery{Days: DefaultSlotDays}
	if v := values.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxSlotDays {
			return SlotsQuery{}, "days", fmt.Errorf("must be a whole number of days, 1 to %d", MaxSlotDays)
		}
		q.Days = n
	}
	if v := values.Get("from"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return SlotsQuery{}, "from", fmt.Errorf("must be a date such as 2026-03-09")
		}
		q.From = d
	}
	return q, "", nil
}

// FirstDay is the query's first day in loc: its date there, or today's.
func (q SlotsQuery) FirstDay(loc *time.Location, now time.Time) time.Time {
	if q.From.IsZero() {
		return now.In(loc)
	}
	return time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 12, 0, 0, 0, loc)
}

// Nearest are up to n of starts nearest to asked, nearest first (the
// earlier of two as near).
func Nearest(starts []time.Time, asked time.Time, n int) []time.Time {
	out := slices.Clone(starts)
	slices.SortStableFunc(out, func(a, b time.Time) int {
		da, db := a.Sub(asked).Abs(), b.Sub(asked).Abs()
		if da != db {
			if da < db {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
	return out[:min(len(out), n)]
}

// AlternativeDays is how far either side of a refused start alternatives
// are looked for, and MaxAlternatives how many are offered.
const (
	AlternativeDays = 3
	MaxAlternatives = 5
)

// SlotsParams are a slots query's parameters, as the API documents them.
type SlotsParams struct {
	From string `query:"from" doc:"The first day, a date in the homes' time zone; their today if left out." example:"2026-12-04"`
	Days int    `query:"days" doc:"How many days, 1 to 14; 7 if left out." example:"7"`
}
