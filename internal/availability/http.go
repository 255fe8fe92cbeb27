package availability

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// MaxSearchRadiusKM bounds the radius_km query parameter.
const maxSearchRadiusKM = 1000

// searchParams are the query parameters GET /availability understands; any
// other is a 400, so a typo never silently widens a search.
var searchParams = map[string]bool{"lat": true, "lng": true, "radius_km": true, "start": true, "end": true, "limit": true}

func badParam(name, msg string) *httpapi.Problem {
	p := httpapi.BadRequest("query parameter " + name + " " + msg)
	p.Errors = []httpapi.FieldError{{Field: name, Message: msg}}
	return p
}

// parseSearch reads GET /availability's query; every failure is a 400
// naming the parameter.
func parseSearch(r *http.Request) (Query, error) {
	values := r.URL.Query()
	for name, vs := range values {
		if !searchParams[name] {
			return Query{}, badParam(name, "is not a parameter of this query")
		}
		if len(vs) > 1 && name != "lat" && name != "lng" {
			return Query{}, badParam(name, "may be given once")
		}
	}
	num := func(name string, lo, hi float64, required bool, msg string) (float64, error) {
		s := values.Get(name)
		if s == "" {
			if required {
				return 0, badParam(name, "is required; "+msg)
			}
			return 0, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= lo && v <= hi) { // also refuses NaN
			return 0, badParam(name, msg)
		}
		return v, nil
	}
	var q Query
	var err error
	if q.Point, q.Also, err = parsePoints(values); err != nil {
		return Query{}, err
	}
	radiusMsg := fmt.Sprintf("must be a number of kilometres above 0 and at most %d", maxSearchRadiusKM)
	if q.MaxDistanceKM, err = num("radius_km", 0, maxSearchRadiusKM, false, radiusMsg); err != nil {
		return Query{}, err
	}
	if values.Has("radius_km") && q.MaxDistanceKM == 0 {
		return Query{}, badParam("radius_km", radiusMsg)
	}
	at := func(name string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339Nano, values.Get(name))
		if err != nil {
			return time.Time{}, badParam(name, "must be an RFC 3339 time such as 2026-03-09T15:00:00Z")
		}
		return t, nil
	}
	switch s, e := values.Get("start"), values.Get("end"); {
	case s == "" && e == "":
	case s == "":
		return Query{}, badParam("start", "is required with end")
	case e == "":
		return Query{}, badParam("end", "is required with start")
	default:
		if q.Start, err = at("start"); err != nil {
			return Query{}, err
		}
		if q.End, err = at("end"); err != nil {
			return Query{}, err
		}
		if field, msg := windowRule(q.Start, q.End); field != "" {
			return Query{}, badParam(field, msg)
		}
	}
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return Query{}, err
	}
	q.Limit = page.Limit
	return q, nil
}

// parsePoints reads the lat and lng parameters: one pair, or several for a
// tour of several homes (lat=..&lng=..&lat=..&lng=..: the nth lat goes with
// the nth lng), the first being the point the answer is ordered by. With
// several, the failing one is named by its position, as lat[1].
func parsePoints(values url.Values) (Point, []Point, error) {
	lats, lngs := values["lat"], values["lng"]
	switch {
	case len(lats) == 0:
		return Point{}, nil, badParam("lat", "is required; must be a latitude from -90 to 90")
	case len(lngs) == 0:
		return Point{}, nil, badParam("lng", "is required; must be a longitude from -180 to 180")
	case len(lats) > len(lngs):
		return Point{}, nil, badParam("lat", fmt.Sprintf("is given %d times and lng %d: one of each per point", len(lats), len(lngs)))
	case len(lngs) > len(lats):
		return Point{}, nil, badParam("lng", fmt.Sprintf("is given %d times and lat %d: one of each per point", len(lngs), len(lats)))
	case len(lats) > maxSearchPoints:
		return Point{}, nil, badParam("lat", fmt.Sprintf("may name at most %d points", maxSearchPoints))
	}
	name := func(n string, i int) string {
		if len(lats) == 1 {
			return n
		}
		return fmt.Sprintf("%s[%d]", n, i)
	}
	ps := make([]Point, len(lats))
	for i := range lats {
		lat, err := strconv.ParseFloat(lats[i], 64)
		if err != nil || !(lat >= -90 && lat <= 90) { // also refuses NaN
			return Point{}, nil, badParam(name("lat", i), "must be a latitude from -90 to 90")
		}
		lng, err := strconv.ParseFloat(lngs[i], 64)
		if err != nil || !(lng >= -180 && lng <= 180) {
			return Point{}, nil, badParam(name("lng", i), "must be a longitude from -180 to 180")
		}
		ps[i] = Point{Lat: lat, Lng: lng}
	}
	return ps[0], ps[1:], nil
}

// slotParams are the query parameters GET /availability/slots understands.
var slotParams = map[string]bool{"lat": true, "lng": true, "from": true, "to": true, "step": true, "length": true}

// DefaultSlotStep is the grid of GET /availability/slots without step.
const defaultSlotStep = 15 * time.Minute

// parseSlots reads GET /availability/slots's query: the homes as
// GET /availability's lat and lng; the ranges of starts as from and to,
// repeated and paired in order (the nth from with the nth to), RFC 3339;
// step and length as Go durations ("15m", "1h30m"). Every failure is a 400
// naming the parameter (from[1] for the second range's from when there are
// several).
func parseSlots(r *http.Request) (SlotQuery, error) {
	values := r.URL.Query()
	for name, vs := range values {
		if !slotParams[name] {
			return SlotQuery{}, badParam(name, "is not a parameter of this query")
		}
		if len(vs) > 1 && (name == "step" || name == "length") {
			return SlotQuery{}, badParam(name, "may be given once")
		}
	}
	var q SlotQuery
	var err error
	if q.Point, q.Also, err = parsePoints(values); err != nil {
		return SlotQuery{}, err
	}
	froms, tos := values["from"], values["to"]
	switch {
	case len(froms) == 0:
		return SlotQuery{}, badParam("from", "is required: the first start, RFC 3339")
	case len(tos) == 0:
		return SlotQuery{}, badParam("to", "is required: the last start, RFC 3339")
	case len(froms) != len(tos):
		return SlotQuery{}, badParam("to", fmt.Sprintf("is given %d times and from %d: one of each per range", len(tos), len(froms)))
	case len(froms) > maxSlotStarts:
		return SlotQuery{}, badParam("from", fmt.Sprintf("may name at most %d ranges", maxSlotStarts))
	}
	name := func(n string, i int) string {
		if len(froms) == 1 || i < 0 {
			return n
		}
		return fmt.Sprintf("%s[%d]", n, i)
	}
	q.Ranges = make([]StartRange, len(froms))
	for i := range froms {
		for _, v := range []struct {
			name string
			raw  string
			into *time.Time
		}{{"from", froms[i], &q.Ranges[i].From}, {"to", tos[i], &q.Ranges[i].To}} {
			t, err := time.Parse(time.RFC3339Nano, v.raw)
			if err != nil {
				return SlotQuery{}, badParam(name(v.name, i), "must be an RFC 3339 time such as 2026-03-09T15:00:00Z")
			}
			*v.into = t
		}
	}
	duration := func(param string, def time.Duration) (time.Duration, error) {
		s := values.Get(param)
		if s == "" {
			if def == 0 {
				return 0, badParam(param, "is required: a duration such as 90m or 1h30m")
			}
			return def, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, badParam(param, "must be a duration such as 15m or 1h30m")
		}
		return d, nil
	}
	if q.Step, err = duration("step", defaultSlotStep); err != nil {
		return SlotQuery{}, err
	}
	if q.Length, err = duration("length", 0); err != nil {
		return SlotQuery{}, err
	}
	q, err = normalSlots(q)
	if err != nil {
		part, i, msg := q.slotRule()
		return SlotQuery{}, badParam(name(part, i), msg)
	}
	return q, nil
}

// handleSlots answers GET /availability/slots: {items: [start, ...]}, the
// starts at which some realtor can take the tour, in UTC, ascending. It
// names no realtor and counts none.
func (s *Service) handleSlots(w http.ResponseWriter, r *http.Request) {
	q, err := parseSlots(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	starts, err := s.index.FreeStarts(r.Context(), q)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(starts, ""))
}

// slotsQuery are GET /availability/slots's parameters; any other is a 400.
type slotsQuery struct {
	Lat    []float64 `query:"lat" required:"true" doc:"Latitude of each home, -90 to 90." example:"[41.8781]"`
	Lng    []float64 `query:"lng" required:"true" doc:"Longitude of each home, -180 to 180." example:"[-87.6298]"`
	From   []string  `query:"from" required:"true" doc:"The first start of each range, RFC 3339 (paired in order with to)." example:"[\"2026-12-02T14:00:00Z\"]"`
	To     []string  `query:"to" required:"true" doc:"The last start of each range, RFC 3339." example:"[\"2026-12-02T23:00:00Z\"]"`
	Step   string    `query:"step" doc:"The grid of starts, a duration (default 15m)." example:"15m"`
	Length string    `query:"length" required:"true" doc:"How long the tour takes, a duration." example:"1h30m"`
}

// searchQuery are GET /availability's parameters; any other is a 400.
type searchQuery struct {
	Lat      []float64 `query:"lat" required:"true" doc:"Latitude of each point, -90 to 90." example:"[41.8781]"`
	Lng      []float64 `query:"lng" required:"true" doc:"Longitude of each point, -180 to 180." example:"[-87.6298]"`
	RadiusKM float64   `query:"radius_km" doc:"Only realtors within this many km." example:"30"`
	Start    time.Time `query:"start" doc:"With end: only realtors free from this time." example:"2026-12-02T15:00:00Z"`
	End      time.Time `query:"end" doc:"With start: until this time." example:"2026-12-02T16:00:00Z"`
	Limit    int       `query:"limit" doc:"How many realtors, 20 by default, at most 100." example:"20"`
}

type candidateView struct {
	RealtorID       string  `json:"realtor_id"`
	DistanceKM      float64 `json:"distance_km"`
	Status          Status  `json:"status" enum:"available,unavailable"`
	TimeZone        string  `json:"time_zone"`
	ServiceRadiusKM float64 `json:"service_radius_km"`
}

func (s *Service) handleSearch(w http.ResponseWriter, r *http.Request) {
	q, err := parseSearch(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	cands, err := s.index.Search(r.Context(), q)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	items := make([]candidateView, len(cands))
	for i, c := range cands {
		items[i] = candidateView{
			RealtorID:       c.RealtorID,
			DistanceKM:      math.Round(c.DistanceKM*1000) / 1000,
			Status:          c.Status,
			TimeZone:        c.TimeZone,
			ServiceRadiusKM: c.ServiceRadiusKM,
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(items, ""))
}

// patchRequest is PATCH /availability/{realtor_id}'s body.
type patchRequest struct {
	Action string     `json:"action" enum:"reserve,release"`
	TourID string     `json:"tour_id"`
	Start  *time.Time `json:"start"`
	End    *time.Time `json:"end"`
}

// Validate implements httpapi.Validator: a 422 names each field.
func (p patchRequest) Validate() []httpapi.FieldError {
	var errs []httpapi.FieldError
	add := func(field, msg string) {
		errs = append(errs, httpapi.FieldError{Field: field, Message: msg})
	}
	if p.Action != "reserve" && p.Action != "release" {
		add("action", "must be reserve or release")
	}
	if !usertext.IsToken(p.TourID, maxIDLength) {
		add("tour_id", fmt.Sprintf("is required: an id of at most %d printable ASCII characters", maxIDLength))
	}
	switch {
	case p.Start == nil && p.End == nil:
		if p.Action == "reserve" {
			add("start", "is required to reserve")
			add("end", "is required to reserve")
		}
	case p.Start == nil:
		add("start", "is required with end")
	case p.End == nil:
		add("end", "is required with start")
	default:
		if field, msg := windowRule(*p.Start, *p.End); field != "" {
			add(field, msg)
		}
	}
	return errs
}

type bookingView struct {
	RealtorID string     `json:"realtor_id"`
	TourID    string     `json:"tour_id"`
	Start     *time.Time `json:"start,omitempty"`
	End       *time.Time `json:"end,omitempty"`
	Status    string     `json:"status" enum:"reserved,released"`
}

func (s *Service) handlePatch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("realtor_id")
	var req patchRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if _, err := s.index.Realtor(r.Context(), id); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	var start, end time.Time
	if req.Start != nil {
		start, end = millis(*req.Start), millis(*req.End)
	}
	v := bookingView{RealtorID: id, TourID: req.TourID}
	if !start.IsZero() {
		v.Start, v.End = &start, &end
	}
	var err error
	if req.Action == "reserve" {
		err = s.index.Reserve(r.Context(), id, req.TourID, start, end)
		v.Status = "reserved"
	} else {
		err = s.index.Release(r.Context(), id, req.TourID, start, end)
		v.Status = "released"
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}

type pointView struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

type hoursView struct {
	Weekday int    `json:"weekday"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

type slotView struct {
	TourID string    `json:"tour_id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

type realtorView struct {
	RealtorID       string      `json:"realtor_id"`
	Eligible        bool        `json:"eligible"`
	Status          Status      `json:"status"`
	Verified        bool        `json:"verified"`
	Active          bool        `json:"active"`
	Location        *pointView  `json:"location,omitempty"`
	ServiceRadiusKM float64     `json:"service_radius_km"`
	TimeZone        string      `json:"time_zone"`
	WorkingHours    []hoursView `json:"working_hours"`
	UpdatedAt       time.Time   `json:"updated_at"`
	Bookings        []slotView  `json:"bookings"`
}

// handleRealtor shows what the index holds for one realtor: an operator's
// view, to compare with the appointment service's database.
func (s *Service) handleRealtor(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("realtor_id")
	rt, err := s.index.Realtor(r.Context(), id)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	bs, err := s.index.Bookings(r.Context(), id)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	v := realtorView{
		RealtorID: rt.ID, Eligible: rt.Eligible() && rt.Validate() == nil, Status: rt.Status, Verified: rt.Verified, Active: rt.Active,
		ServiceRadiusKM: rt.ServiceRadiusKM, TimeZone: rt.TimeZone, UpdatedAt: rt.UpdatedAt,
		WorkingHours: make([]hoursView, len(rt.WorkingHours)), Bookings: make([]slotView, len(bs)),
	}
	if rt.Location != nil {
		v.Location = &pointView{Lat: rt.Location.Lat, Lng: rt.Location.Lng}
	}
	for i, h := range rt.WorkingHours {
		v.WorkingHours[i] = hoursView(h)
	}
	for i, b := range bs {
		v.Bookings[i] = slotView(b)
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}
