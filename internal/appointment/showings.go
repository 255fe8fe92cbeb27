package appointment

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// A home's most showings a day (its provider's showing rules) is counted
// here, where holds are placed: PlaceHold refuses the one too many, and GET
// /appointments/showings tells the services that list open slots which
// days are full, so slots leave them out rather than offer a time that
// checkout or a move would refuse.

// showingsQuery is GET /appointments/showings's parameters.
type showingsQuery struct {
	ListingID  []string `query:"listing_id" doc:"A home; repeat for each, 1 to 10." example:"[\"lst_123\"]"`
	TimeZone   string   `query:"time_zone" doc:"The IANA zone whose days are counted (the homes')." example:"America/Chicago"`
	From       string   `query:"from" doc:"The first day, YYYY-MM-DD in that zone." example:"2026-12-04"`
	Days       int      `query:"days" doc:"How many days, 1 to 16; default 7." minimum:"1" maximum:"16" example:"7"`
	ExceptTour string   `query:"except_tour" doc:"A tour whose own showings are left out (a tour moving)." example:"tour_123"`
}

// ShowingDays counts the showings as (Store.Showings' answer) of each home
// per local day of loc, by home and day, the days with none left out.
func showingDays(as []appointment, listingIDs []string, loc *time.Location) []clients.ShowingDay {
	counts := map[[2]string]int{}
	for _, a := range as {
		day := a.StartsAt.In(loc).Format(time.DateOnly)
		for _, id := range listingIDs {
			if a.Visits(id) {
				counts[[2]string{id, day}]++
			}
		}
	}
	out := make([]clients.ShowingDay, 0, len(counts))
	for _, k := range slices.SortedFunc(maps.Keys(counts), func(x, y [2]string) int {
		return cmp.Or(strings.Compare(x[0], y[0]), strings.Compare(x[1], y[1]))
	}) {
		out = append(out, clients.ShowingDay{ListingID: k[0], Day: k[1], Count: counts[k]})
	}
	return out
}

// Visits reports whether the appointment's tour visits a home.
func (a appointment) Visits(listingID string) bool {
	return slices.Contains(a.ListingIDs, listingID)
}

func (s *Service) handleShowings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for name, vs := range q {
		switch {
		case name == "listing_id":
		case name != "time_zone" && name != "from" && name != "days" && name != "except_tour", len(vs) > 1:
			httpapi.WriteError(w, r, httpapi.BadQueryParam(name, "is not a parameter of this query, or is given twice"))
			return
		}
	}
	ids := q["listing_id"]
	if len(ids) == 0 || len(ids) > clients.MaxSearchPoints {
		httpapi.WriteError(w, r, httpapi.BadQueryParam("listing_id", "must name 1 to 10 homes"))
		return
	}
	for _, id := range ids {
		if id == "" || len(id) > 100 {
			httpapi.WriteError(w, r, httpapi.BadQueryParam("listing_id", "must be a listing id"))
			return
		}
	}
	zone := q.Get("time_zone")
	loc, err := time.LoadLocation(zone)
	if zone == "" || err != nil {
		httpapi.WriteError(w, r, httpapi.BadQueryParam("time_zone", "must be an IANA time zone such as America/Chicago"))
		return
	}
	first, err := time.ParseInLocation(time.DateOnly, q.Get("from"), loc)
	if err != nil || first.Year() < 2000 || first.Year() > 2200 {
		httpapi.WriteError(w, r, httpapi.BadQueryParam("from", "must be a date, YYYY-MM-DD"))
		return
	}
	days := 7
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > clients.MaxShowingDays {
			httpapi.WriteError(w, r, httpapi.BadQueryParam("days", "must be 1 to 16"))
			return
		}
		days = n
	}
	as, err := s.store.Showings(r.Context(), ids, first, first.AddDate(0, 0, days), q.Get("except_tour"), s.cfg.Clock.Now())
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, clients.ShowingDays{TimeZone: loc.String(), Items: showingDays(as, ids, loc)})
}
