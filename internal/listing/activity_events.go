package listing

import (
	"context"
	"errors"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// activitySubscription follows the tour service's news of the homes'
// showings and feedback. Every tour event carries the whole tour, so each
// keeps its homes' showings at that version; the durable consumer reads
// the stream from its start, so the activity covers tours booked before
// it existed.
func (s *Service) activitySubscription() bus.Subscription {
	return bus.Subscription{
		Consumer: consumer,
		Stream:   "tour",
		Handlers: map[string]bus.Handler{
			events.TypeTourCreated:           s.onTourNews,
			events.TypeTourRescheduled:       s.onTourNews,
			events.TypeTourScheduled:         s.onTourNews,
			events.TypeTourUnassigned:        s.onTourNews,
			events.TypeTourCancelled:         s.onTourNews,
			events.TypeTourCompleted:         s.onTourNews,
			events.TypeTourApprovalRequested: s.onTourNews,
			events.TypeTourStopApproved:      s.onTourNews,
			events.TypeNoShowMarked:          s.onTourNews,
			events.TypeTourStopDeclined:      s.onTourStopDeclined,
			events.TypeFeedbackSubmitted:     s.onFeedbackSubmitted,
		},
	}
}

// onTourNews keeps the showings of the tour's homes as the event says.
func (s *Service) onTourNews(ctx context.Context, ev bus.Event) error {
	var t events.Tour
	if err := ev.DataAs(&t); err != nil {
		return malformed(ev, err)
	}
	if t.TourID == "" {
		return malformed(ev, errors.New("no tour_id"))
	}
	return s.store.SaveShowings(ctx, showingsOf(t))
}

// onTourStopDeclined: the declined home's showing is declined; the homes
// left keep the tour's state.
func (s *Service) onTourStopDeclined(ctx context.Context, ev bus.Event) error {
	var e events.TourStopDeclined
	if err := ev.DataAs(&e); err != nil {
		return malformed(ev, err)
	}
	if e.TourID == "" || e.ListingID == "" {
		return malformed(ev, errors.New("no tour_id or listing_id"))
	}
	showings := showingsOf(e.Tour)
	showings = append(showings, showing{TourID: e.TourID, ListingID: e.ListingID, Status: showingDeclined,
		Start: e.ScheduledAt.UTC(), End: e.EndsAt.UTC(), Version: e.Version})
	return s.store.SaveShowings(ctx, showings)
}

// onFeedbackSubmitted keeps the visitor's feedback, without who they are.
func (s *Service) onFeedbackSubmitted(ctx context.Context, ev bus.Event) error {
	var e events.FeedbackSubmitted
	if err := ev.DataAs(&e); err != nil {
		return malformed(ev, err)
	}
	if e.TourID == "" || e.ListingID == "" {
		return malformed(ev, errors.New("no tour_id or listing_id"))
	}
	return s.store.SaveOpinion(ctx, opinion{TourID: e.TourID, ListingID: e.ListingID, Author: authorOf(e.AuthorRole), Rating: e.Rating,
		Interest: e.Interest, PriceOpinion: e.PriceOpinion, Comment: e.Comment, At: e.UpdatedAt.UTC()})
}
