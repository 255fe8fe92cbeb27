package appointment

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// TypeTimeOffConflict is the problem type of time off over booked tours.
const typeTimeOffConflict = clients.TypeTimeOffConflict

// scheduleConflict is the 409 of PUT /appointments/realtors/{id}/schedule.
type scheduleConflict struct {
	Type     string               `json:"type" enum:"urn:openhouse:problem:time-off-conflict"`
	Title    string               `json:"title"`
	Status   int                  `json:"status" enum:"409"`
	Detail   string               `json:"detail"`
	Instance string               `json:"instance,omitempty"`
	Tours    []clients.BookedTour `json:"tours" doc:"The holds and bookings the time off would cover."`
}

func bookedTours(as []appointment) []clients.BookedTour {
	out := make([]clients.BookedTour, len(as))
	for i, a := range as {
		out[i] = clients.BookedTour{TourID: a.TourID, StartsAt: a.StartsAt, EndsAt: a.EndsAt, Status: string(a.Status)}
	}
	return out
}

// handlePutSchedule is iam's call before it saves a realtor's time off or
// daily cap: the schedule is checked against the realtor's holds and
// bookings and recorded under their lock, so that no booking lands in new
// time off between iam's check and its event.
func (s *Service) handlePutSchedule(w http.ResponseWriter, r *http.Request) {
	realtorID := r.PathValue("id")
	if !usertext.IsToken(realtorID, 100) {
		httpapi.WriteError(w, r, httpapi.NotFound("no such realtor"))
		return
	}
	var b clients.RealtorSchedule
	if err := httpapi.Decode(w, r, &b); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if errs := validSchedule(b); len(errs) > 0 {
		httpapi.WriteError(w, r, httpapi.Validation(errs...))
		return
	}
	sch := schedule{TimeZone: b.TimeZone, MaxPerDay: b.MaxToursPerDay, ScheduleAt: b.At.UTC(), TimeOff: make([]span, len(b.TimeOff))}
	for i, t := range b.TimeOff {
		sch.TimeOff[i] = span{t.Start.UTC(), t.End.UTC()}
	}
	err := s.store.SetSchedule(r.Context(), realtorID, sch, true, s.cfg.Clock.Now())
	var conflict *ScheduleConflict
	switch {
	case errors.As(err, &conflict):
		detail := fmt.Sprintf("the time off covers %d tours the realtor is booked for", len(conflict.Tours))
		if len(conflict.Tours) == 1 {
			detail = "the time off covers a tour the realtor is booked for"
		}
		p := httpapi.Conflict(detail)
		p.Type, p.Title = typeTimeOffConflict, "Time off over booked tours"
		p.Extensions = map[string]any{"tours": bookedTours(conflict.Tours)}
		httpapi.WriteError(w, r, p)
	case err != nil:
		httpapi.WriteError(w, r, err)
	default:
		s.cfg.Log.InfoContext(r.Context(), "realtor schedule recorded", "realtor_id", realtorID, "time_off", len(sch.TimeOff), "max_per_day", sch.MaxPerDay)
		httpapi.WriteJSON(w, http.StatusOK, b)
	}
}

func validSchedule(b clients.RealtorSchedule) []httpapi.FieldError {
	var errs []httpapi.FieldError
	bad := func(field, msg string) { errs = append(errs, httpapi.FieldError{Field: field, Message: msg}) }
	if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "Local" {
		bad("time_zone", "must be an IANA time zone")
	}
	if b.MaxToursPerDay < 0 || b.MaxToursPerDay > 1000 {
		bad("max_tours_per_day", "must be 0 (no cap) to 1000")
	}
	if len(b.TimeOff) > 1000 {
		bad("time_off", "at most 1000 spans")
	}
	for i, t := range b.TimeOff {
		if t.Start.Unix() <= 0 || !t.End.After(t.Start) {
			bad("time_off["+strconv.Itoa(i)+"]", "start must be after 1970 and before end")
		}
	}
	if b.At.Unix() <= 0 {
		bad("at", "is required")
	}
	return errs
}

// agendaQuery is GET /appointments/agenda's parameters.
type agendaQuery struct {
	From string `query:"from" doc:"The first day, YYYY-MM-DD in the realtor's zone; default today." example:"2026-12-07"`
	Days int    `query:"days" doc:"How many days, 1 to 31; default 7." minimum:"1" maximum:"31" example:"7"`
}

// agendaItem is one thing on a realtor's agenda.
type agendaItem struct {
	Kind       string    `json:"kind" enum:"booking,hold,busy,time_off" doc:"booking: a tour assigned to them; hold: a tour being booked (a checkout's or a move's); busy: a busy event of their own calendar; time_off: their time off."`
	Start      time.Time `json:"start" doc:"In the realtor's zone."`
	End        time.Time `json:"end"`
	TourID     string    `json:"tour_id,omitempty"`
	Status     status    `json:"status,omitempty" enum:"held,scheduled,confirmed"`
	ListingIDs []string  `json:"listing_ids,omitempty"`
}

// agendaView is a realtor's agenda over some days.
type agendaView struct {
	TimeZone       string       `json:"time_zone" example:"America/Chicago"`
	From           time.Time    `json:"from" doc:"Local midnight of the first day."`
	To             time.Time    `json:"to"`
	MaxToursPerDay int          `json:"max_tours_per_day" doc:"0: no cap."`
	Items          []agendaItem `json:"items" doc:"By start."`
}

// handleAgenda answers a realtor's own agenda: their holds and bookings,
// the busy blocks of their own calendar and their time off, as this
// service enforces them.
func (s *Service) handleAgenda(w http.ResponseWriter, r *http.Request) {
	realtorID := caller(r).ID
	sch, err := s.store.Schedule(r.Context(), realtorID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	loc := sch.Location()
	q := r.URL.Query()
	for name, vs := range q {
		if (name != "from" && name != "days") || len(vs) > 1 {
			httpapi.WriteError(w, r, httpapi.BadQueryParam(name, "is not a parameter of this query, or is given twice"))
			return
		}
	}
	y, m, d := s.cfg.Clock.Now().In(loc).Date()
	first := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			httpapi.WriteError(w, r, httpapi.BadQueryParam("from", "must be a date, YYYY-MM-DD"))
			return
		}
		first = t
	}
	days := 7
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 31 {
			httpapi.WriteError(w, r, httpapi.BadQueryParam("days", "must be 1 to 31"))
			return
		}
		days = n
	}
	from, to := first, first.AddDate(0, 0, days)
	active, err := s.store.Agenda(r.Context(), realtorID, from, to)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out := agendaView{TimeZone: loc.String(), From: from, To: to, MaxToursPerDay: sch.MaxPerDay, Items: []agendaItem{}}
	for _, a := range active {
		kind := "booking"
		if a.Status == held {
			kind = "hold"
		}
		out.Items = append(out.Items, agendaItem{Kind: kind, Start: a.StartsAt.In(loc), End: a.EndsAt.In(loc), TourID: a.TourID, Status: a.Status, ListingIDs: a.ListingIDs})
	}
	for kind, spans := range map[string][]span{"busy": sch.Busy, "time_off": sch.TimeOff} {
		for _, sp := range spans {
			if sp.overlaps(from, to) {
				out.Items = append(out.Items, agendaItem{Kind: kind, Start: sp.Start.In(loc), End: sp.End.In(loc)})
			}
		}
	}
	sortAgenda(out.Items)
	httpapi.WriteJSON(w, http.StatusOK, out)
}

// sortAgenda orders items by start, then kind, then tour.
func sortAgenda(items []agendaItem) {
	slices.SortFunc(items, func(a, b agendaItem) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.TourID, b.TourID)
	})
}
