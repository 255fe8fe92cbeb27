package tour

import (
	"context"
	"errors"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// onTourCompleted asks the completed tour's customer and realtor for
// feedback. The requests are rows keyed by tour and person, so a
// redelivered tour.completed (or one handled again after a restart) asks
// nobody twice.
func (s *Service) onTourCompleted(ctx context.Context, ev bus.Event) error {
	c, err := bus.DataOf[events.TourCompleted](ev)
	if err != nil {
		return err
	}
	_, err = s.RequestFeedback(ctx, c.TourID)
	if errors.Is(err, errNotFound) {
		return bus.Permanent(err)
	}
	return err
}

// RequestFeedback asks the parties of completed tour id who were not asked
// yet for feedback on its homes (one feedback.requested each) and returns
// the requests made now.
func (s *Service) RequestFeedback(ctx context.Context, id string) ([]feedbackRequest, error) {
	now := s.cfg.Clock.Now()
	made, err := s.store.RequestFeedback(ctx, id, func(t tour) []feedbackRequest { return t.FeedbackAsks(now) },
		func(t tour, r feedbackRequest) (bus.Event, error) {
			return s.event(ctx, events.TypeFeedbackRequested, t, func(e events.Tour) any {
				return events.FeedbackRequested{Tour: e, UserID: r.UserID, Role: string(r.Party), RequestedAt: r.RequestedAt}
			})
		})
	if err == nil && len(made) > 0 {
		s.cfg.Log.InfoContext(ctx, "feedback requested", "tour_id", id, "requests", len(made))
	}
	return made, err
}

// partyOf is the caller's part in t: customers and realtors act as
// themselves; anyone else (admins, providers) has none.
func partyOf(p auth.Principal, t tour) party {
	switch p.Role {
	case auth.RoleCustomer:
		return t.PartyOf(p.ID, partyCustomer)
	case auth.RoleRealtor:
		return t.PartyOf(p.ID, partyRealtor)
	}
	return ""
}

// PutFeedback keeps the caller's opinion o of the tour's home listingID,
// replacing theirs if any: the tour's customer or assigned realtor, once
// the tour ended (errNotEnded before; errNoShow for a customer who did not
// come; errNotFound for anyone else or a home not on the route). Saying
// the same again changes nothing and publishes nothing.
func (s *Service) PutFeedback(ctx context.Context, id, listingID string, p auth.Principal, o opinion) (feedback, error) {
	now := s.cfg.Clock.Now()
	return s.store.PutFeedback(ctx, id, listingID, p.ID, func(t tour, old *feedback) (feedback, *bus.Event, error) {
		party := partyOf(p, t)
		if err := t.MayGiveFeedback(party, listingID, now); err != nil {
			return feedback{}, nil, err
		}
		f, changed := give(old, t.ID, listingID, p.ID, party, o, now)
		if !changed {
			return f, nil, nil
		}
		var provider string
		for _, st := range t.Stops {
			if st.ListingID == listingID {
				provider = st.ProviderID
			}
		}
		ev, err := s.event(ctx, events.TypeFeedbackSubmitted, t, func(e events.Tour) any {
			return events.FeedbackSubmitted{Tour: e, ListingID: listingID, ProviderID: provider, AuthorRole: string(party),
				Rating: f.Rating, Interest: string(f.Interest), PriceOpinion: string(f.PriceOpinion), Comment: f.Comment,
				CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
		})
		return f, &ev, err
	})
}

// MyFeedback is what the caller was asked and has said about tour id:
// whether they are asked now (false once withdrawn by a no-show) and their
// feedback per home. errNotFound unless they are its customer or realtor.
func (s *Service) MyFeedback(ctx context.Context, id string, p auth.Principal) (tour, bool, []feedback, error) {
	t, err := s.store.Get(ctx, id)
	if err != nil {
		return tour{}, false, nil, err
	}
	party := partyOf(p, t)
	if party == "" {
		return tour{}, false, nil, errNotFound
	}
	reqs, err := s.store.FeedbackRequests(ctx, id)
	if err != nil {
		return tour{}, false, nil, err
	}
	asked := false
	for _, r := range reqs {
		if r.UserID == p.ID && !(r.Party == partyCustomer && !t.NoShowAt.IsZero()) {
			asked = true
		}
	}
	mine, err := s.store.Feedback(ctx, id, p.ID)
	return t, asked, mine, err
}

// MarkNoShow records, for the tour's assigned realtor, that the customer
// did not come, once the tour started (errNotStarted before): the
// customer's feedback request is withdrawn (no_show.marked). Anyone else:
// errNotFound. Marking again answers the same tour.
func (s *Service) MarkNoShow(ctx context.Context, id string, p auth.Principal) (tour, error) {
	now := s.cfg.Clock.Now()
	return s.store.Update(ctx, id, "", func(t *tour) ([]bus.Event, error) {
		realtor := ""
		if p.Role == auth.RoleRealtor {
			realtor = p.ID
		}
		changed, err := t.MarkNoShow(realtor, now)
		if err != nil || !changed {
			return nil, err
		}
		ev, err := s.event(ctx, events.TypeNoShowMarked, *t, func(e events.Tour) any {
			return events.NoShowMarked{Tour: e, MarkedBy: p.ID, MarkedAt: now.UTC()}
		})
		return []bus.Event{ev}, err
	})
}
