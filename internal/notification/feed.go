package notification

import (
	"fmt"
	"slices"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/openhouse/openhouse/internal/events"
)

// The calendar feeds (GET /calendar/{token}.ics): each user's tours as an
// RFC 5545 calendar their phone subscribes to. The feed is a projection of
// what this service already keeps from the tour events (the newest
// snapshot of each tour), the listing events (addresses) and iam's
// calendar-token events (whose feed a token opens); nothing is asked of
// another service when a calendar app polls.

// Feed roles: how a user takes part in a tour, which decides what their
// feed shows of it.
const (
	feedCustomer = "customer" // their own tour
	feedRealtor  = "realtor"  // their assignment: route, addresses, customer's name
	feedProvider = "provider" // showings of their homes: times and home only
)

// cancelledShownFor is how long a cancelled tour (or one a realtor is no
// longer assigned to) stays in a feed as STATUS:CANCELLED, so subscribed
// calendars remove it, before it leaves the feed.
const cancelledShownFor = 30 * 24 * time.Hour

// pastShownFor is how long after it ended a tour stays in a feed.
const pastShownFor = 90 * 24 * time.Hour

// feedEntry is one tour in one user's feed.
type feedEntry struct {
	Role string
	// Active is false once the user no longer takes part (a realtor whose
	// assignment moved to someone else).
	Active    bool
	ChangedAt time.Time // when Active or the tour last changed
	Tour      events.Tour
}

// Place is what a feed says of a home: its title and postal address, kept
// from the listing events.
type place struct {
	ListingID  string
	ProviderID string
	Title      string
	Address    string
}

// feedData is everything one feed is made of.
type feedData struct {
	UserID  string
	Entries []feedEntry
	Places  map[string]place  // by listing id
	Names   map[string]string // user id -> display name
}

// Cancelled reports whether the entry shows as cancelled to its user.
func (e feedEntry) Cancelled() bool { return !e.Active || e.Tour.Status == "cancelled" }

// Shown reports whether the entry is still in the feed at now.
func (e feedEntry) Shown(now time.Time) bool {
	if e.Cancelled() {
		return now.Sub(e.ChangedAt) <= cancelledShownFor
	}
	return now.Sub(e.Tour.EndsAt) <= pastShownFor
}

// feedEvent is one VEVENT before rendering.
type feedEvent struct {
	uid, summary, location, description string
	start, end                          time.Time
	zone                                *time.Location
	sequence                            int
	status                              ics.ObjectStatus
	changed                             time.Time
	lat, lng                            float64
	geo                                 bool
}

// buildFeed renders d as of now. UIDs are stable (the tour id, plus the
// listing id for a provider's showing), SEQUENCE is the tour's version, so
// every change raises it; times carry the homes' zone (TZID) with a
// VTIMEZONE for it.
func buildFeed(d feedData, now time.Time) []byte {
	cal := ics.NewCalendarFor("openhouse")
	cal.SetProductId("-//openhouse//calendar feed//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName("openhouse tours")
	cal.SetRefreshInterval("PT15M")
	cal.SetXPublishedTTL("PT15M")

	var evs []feedEvent
	for _, e := range d.Entries {
		if e.Shown(now) {
			evs = append(evs, entryEvents(d, e)...)
		}
	}
	slices.SortFunc(evs, func(a, b feedEvent) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return strings.Compare(a.uid, b.uid)
	})

	// One VTIMEZONE per zone used, spanning every event in it.
	type span struct{ from, to time.Time }
	spans := map[string]*span{}
	var zones []*time.Location
	for _, ev := range evs {
		if ev.zone == time.UTC {
			continue
		}
		sp, ok := spans[ev.zone.String()]
		if !ok {
			sp = &span{ev.start, ev.end}
			spans[ev.zone.String()] = sp
			zones = append(zones, ev.zone)
		}
		sp.from, sp.to = minTime(sp.from, ev.start), maxTime(sp.to, ev.end)
	}
	for _, loc := range zones {
		sp := spans[loc.String()]
		// From a year before the first event: the observance in force then
		// and every change up to the last one cover all the events.
		addTimezone(cal, loc, sp.from.AddDate(-1, 0, 0).Truncate(24*time.Hour), sp.to.AddDate(0, 0, 1))
	}
	for _, ev := range evs {
		v := cal.AddEvent(ev.uid)
		v.SetDtStampTime(ev.changed)
		v.SetModifiedAt(ev.changed)
		if ev.zone == time.UTC {
			v.SetStartAt(ev.start)
			v.SetEndAt(ev.end)
		} else {
			v.SetProperty(ics.ComponentPropertyDtStart, ev.start.In(ev.zone).Format("20060102T150405"), ics.WithTZID(ev.zone.String()))
			v.SetProperty(ics.ComponentPropertyDtEnd, ev.end.In(ev.zone).Format("20060102T150405"), ics.WithTZID(ev.zone.String()))
		}
		v.SetSequence(ev.sequence)
		v.SetStatus(ev.status)
		v.SetSummary(ev.summary)
		if ev.location != "" {
			v.SetLocation(ev.location)
		}
		if ev.geo {
			v.SetGeo(ev.lat, ev.lng)
		}
		if ev.description != "" {
			v.SetDescription(ev.description)
		}
		v.SetProperty(ics.ComponentPropertyTransp, "OPAQUE")
	}
	return []byte(cal.Serialize())
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// entryEvents are the VEVENTs of one entry: the whole tour for its
// customer and realtor, one per home of theirs for a provider.
func entryEvents(d feedData, e feedEntry) []feedEvent {
	t := e.Tour
	zone := zoneFor(t.TimeZone)
	status := ics.ObjectStatusConfirmed
	switch {
	case e.Cancelled():
		status = ics.ObjectStatusCancelled
	case t.Status != "scheduled" && t.Status != "completed":
		status = ics.ObjectStatusTentative // still waiting for a realtor or an approval
	}
	placeAt := func(s events.TourStop) place {
		p, ok := d.Places[s.ListingID]
		if !ok {
			p = place{ListingID: s.ListingID, Title: s.Title}
		}
		if p.Title == "" {
			p.Title = s.Title
		}
		if p.Title == "" {
			p.Title = "Home " + s.ListingID
		}
		return p
	}
	where := func(p place) string {
		if p.Address == "" {
			return p.Title
		}
		return p.Address
	}
	if e.Role == feedProvider {
		var out []feedEvent
		for _, s := range t.Stops {
			if s.ProviderID != d.UserID {
				continue
			}
			p := placeAt(s)
			start, end := s.Arrive, s.Leave
			if start.IsZero() || !end.After(start) {
				start, end = t.ScheduledAt, t.EndsAt
			}
			out = append(out, feedEvent{uid: t.TourID + "-" + s.ListingID + "@openhouse", summary: "Showing: " + p.Title,
				location: where(p), start: start, end: end, zone: zone, sequence: t.Version, status: status, changed: e.ChangedAt,
				lat: s.Location.Lat, lng: s.Location.Lng, geo: true,
				description: "A buyer's tour visits this home.\n" + where(p)})
		}
		return out
	}
	ev := feedEvent{uid: t.TourID + "@openhouse", start: t.ScheduledAt, end: t.EndsAt, zone: zone, sequence: t.Version,
		status: status, changed: e.ChangedAt}
	if !ev.end.After(ev.start) {
		ev.end = ev.start.Add(time.Hour)
	}
	var b strings.Builder
	ev.summary = "Home tour"
	if len(t.Stops) > 0 {
		first := placeAt(t.Stops[0])
		ev.summary += ": " + first.Title
		if n := len(t.Stops) - 1; n > 0 {
			ev.summary += fmt.Sprintf(" and %d more", n)
		}
		ev.location = where(first)
		ev.lat, ev.lng, ev.geo = t.Stops[0].Location.Lat, t.Stops[0].Location.Lng, true
	}
	switch e.Role {
	case feedRealtor:
		if name := d.Names[t.CustomerID]; name != "" {
			fmt.Fprintf(&b, "Customer: %s\n", name)
		}
	case feedCustomer:
		if name := d.Names[t.RealtorID]; name != "" && t.RealtorID != "" {
			fmt.Fprintf(&b, "Your realtor: %s\n", name)
		}
	}
	if len(t.Stops) > 0 {
		b.WriteString("Route:\n")
		for i, s := range t.Stops {
			p := placeAt(s)
			at := ""
			if !s.Arrive.IsZero() {
				at = s.Arrive.In(zone).Format("15:04") + " "
			}
			fmt.Fprintf(&b, "%d. %s%s", i+1, at, p.Title)
			if p.Address != "" {
				fmt.Fprintf(&b, ", %s", p.Address)
			}
			b.WriteString("\n")
		}
	}
	ev.description = strings.TrimSuffix(b.String(), "\n")
	return []feedEvent{ev}
}

// placeOf is what a feed keeps of a listing.
func placeOf(l events.Listing) place {
	a := l.Address
	var parts []string
	for _, s := range []string{a.Line1, a.City, strings.TrimSpace(a.Region + " " + a.PostalCode), a.Country} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return place{ListingID: l.ID, ProviderID: l.ProviderID, Title: l.Title, Address: strings.Join(parts, ", ")}
}

// feedParties are the users whose feeds show a tour, and as what.
func feedParties(t events.Tour) map[string]string {
	out := map[string]string{}
	for _, s := range t.Stops {
		if s.ProviderID != "" {
			out[s.ProviderID] = feedProvider
		}
	}
	if t.RealtorID != "" {
		out[t.RealtorID] = feedRealtor
	}
	if t.CustomerID != "" {
		out[t.CustomerID] = feedCustomer
	}
	return out
}
