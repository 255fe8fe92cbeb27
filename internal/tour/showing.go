package tour

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// The homes' showing rules, their providers', as the listing service
// holds them now: a move keeps them as a checkout does, the open times
// offered for a move leave out what breaks them, and a provider who
// changes them sees the booked tours that break them (conflicts.go).

// ListingReader reads listings as they are now (clients.Listings).
type ListingReader interface {
	Get(ctx context.Context, id string) (clients.Listing, error)
}

// homeRules are the showing rules of homes by listing id; a home without
// an entry has none (its listing is gone, and its tours are cancelled
// with it).
type homeRules map[string]events.Showing

// rulesOf reads the current showing rules of the homes.
func (s *Service) rulesOf(ctx context.Context, listingIDs []string) (homeRules, error) {
	out := homeRules{}
	for _, id := range listingIDs {
		l, err := s.listings.Get(ctx, id)
		switch {
		case errors.Is(err, clients.ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("showing rules of listing %s: %w", id, peerFailure(err))
		}
		out[id] = l.Showing
	}
	return out, nil
}

// ShowingBreaks is the first showing rule a visit of the tour breaks
// under rules, booked at now (all but the most per day, which holds
// count): nil when it keeps them all.
func (t tour) ShowingBreaks(rules homeRules, now time.Time) *tourplan.ShowingError {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil
	}
	for _, st := range t.Stops {
		r, ok := rules[st.ListingID]
		if !ok {
			continue
		}
		if rule := tourplan.VisitBreaks(r, st.Arrive, st.Leave, loc, now); rule != "" {
			return &tourplan.ShowingError{Rule: rule, ListingID: st.ListingID, Message: tourplan.RuleMessage(rule, r)}
		}
	}
	return nil
}

// FullOn reports whether a home of the tour already has its most showings
// on the local day of its visit, by counts.
func (t tour) FullOn(rules homeRules, counts tourplan.DayCounts) bool {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return false
	}
	for _, st := range t.Stops {
		if counts.Full(st.ListingID, rules[st.ListingID], st.Arrive, loc) {
			return true
		}
	}
	return false
}

// DayLimits are the most showings a day of the tour's homes that have one,
// over each home's local day of its visit, for the hold of a move.
func (t tour) DayLimits(rules homeRules) []clients.DayLimit {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil
	}
	var out []clients.DayLimit
	for _, st := range t.Stops {
		if most := rules[st.ListingID].MaxPerDay; most > 0 {
			y, m, d := st.Arrive.In(loc).Date()
			out = append(out, clients.DayLimit{ListingID: st.ListingID, Max: most,
				From: time.Date(y, m, d, 0, 0, 0, 0, loc).UTC(), To: time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC()})
		}
	}
	return out
}

// fullDays counts the showings per local day of the tour's homes that
// have a most per day, its own left out, over days days from the date of
// first (plus one, for a route past midnight).
func (s *Service) fullDays(ctx context.Context, t tour, rules homeRules, first time.Time, days int) (tourplan.DayCounts, error) {
	var ids []string
	for _, st := range t.Stops {
		if rules[st.ListingID].MaxPerDay > 0 {
			ids = append(ids, st.ListingID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	counts, err := s.holds.ShowingDays(ctx, ids, t.TimeZone, first, min(days+1, clients.MaxShowingDays), t.ID)
	if err != nil {
		return nil, fmt.Errorf("showings per day: %w", peerFailure(err))
	}
	return counts, nil
}
