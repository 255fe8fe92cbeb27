package tour

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// Refunder refunds payments, idempotently by key (clients.Payments).
type Refunder interface {
	Refund(ctx context.Context, paymentID, idempotencyKey string, req clients.RefundRequest) (clients.Payment, error)
}

// Holder holds a realtor for a tour's new window before it moves, and
// gives the hold back if the move fails (clients.Appointments).
type Holder interface {
	PlaceHold(ctx context.Context, req clients.HoldRequest) (clients.Hold, error)
	ReleaseHold(ctx context.Context, holdID string) error
	// ShowingDays counts homes' showings per local day of zone over days
	// days from first, leaving out tour exceptTour
	// (clients.Holds.ShowingDays).
	ShowingDays(ctx context.Context, listingIDs []string, zone string, first time.Time, days int, exceptTour string) (map[string]map[string]int, error)
}

// SlotFinder answers at which starts some realtor can take a tour
// (clients.Availability).
type SlotFinder interface {
	Slots(ctx context.Context, q clients.SlotQuery) ([]time.Time, error)
}

// Peers are the services the tour service calls.
type Peers struct {
	Payments Refunder
	Holds    Holder
	Slots    SlotFinder
	// Access reads homes' access for the assigned realtor (listing).
	Access AccessReader
	// Listings reads homes' showing rules as they are now (listing).
	Listings ListingReader
}

// Config tunes the tour service.
type Config struct {
	Rules Rules
	Clock clock.Clock
	Log   *slog.Logger
	// Sweep is how often the worker completes finished tours and gives up
	// on unassigned ones. Default 1 minute.
	Sweep time.Duration
	// AccessLead is how long before the realtor's stop at a home its
	// access opens to them. Default defaultAccessLead.
	AccessLead time.Duration
	// Metrics, when set, receives the time-to-schedule histogram and the
	// unassigned tours gauges (metrics.go). Nil exports none.
	Metrics prometheus.Registerer
}

// Service is the tour application.
type Service struct {
	store    Store
	payments Refunder
	holds    Holder
	slots    SlotFinder
	access   AccessReader
	listings ListingReader
	cfg      Config
	metrics  *metrics
}

// New builds the service.
func New(st Store, peers Peers, cfg Config) (*Service, error) {
	if st == nil || peers.Payments == nil || peers.Holds == nil || peers.Slots == nil || peers.Access == nil || peers.Listings == nil {
		return nil, errors.New("tour: missing dependency")
	}
	if cfg.Rules == (Rules{}) {
		cfg.Rules = DefaultRules
	}
	if err := cfg.Rules.Plan.Validate(); err != nil {
		return nil, fmt.Errorf("tour: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Sweep == 0 {
		cfg.Sweep = time.Minute
	}
	if cfg.AccessLead == 0 {
		cfg.AccessLead = defaultAccessLead
	}
	return &Service{store: st, payments: peers.Payments, holds: peers.Holds, slots: peers.Slots, access: peers.Access, listings: peers.Listings, cfg: cfg,
		metrics: newMetrics(cfg.Metrics, st, cfg.Clock, cfg.Log)}, nil
}

// Routes is the tour HTTP API as an authorization table. Which tour a
// caller may see or change is decided per tour (canSee, canChange).
func (s *Service) Routes() []auth.Route {
	// Providers see tours only through their homes' approvals
	// (approvals_http.go) and conflicts (conflicts.go); realtors see theirs but decline through
	// appointments rather than change them.
	parties := auth.Users(auth.RoleCustomer, auth.RoleRealtor, auth.RoleAdmin)
	changers := auth.Users(auth.RoleCustomer, auth.RoleAdmin)
	return append([]auth.Route{
		{Pattern: "GET /tours", Rule: parties, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleList),
			Doc: httpapi.Doc{Summary: "List tours: a customer's own, a realtor's assignments, every tour for admins", Reply: httpapi.List[tourView]{}, Params: tourQuery{}}},
		// The admin overview's figures (stats.go); a literal path, so it
		// is no tour id.
		{Pattern: "GET /tours/stats", Rule: auth.Users(auth.RoleAdmin), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleStats),
			Doc: httpapi.Doc{Summary: "The admin overview's tour figures", Reply: statsView{}, Params: statsQuery{},
				Description: "Tours booked per hour over the last hours (oldest first, every hour present), the time from payment to a realtor's assignment (p50, p99, from this process's histogram) and the tours waiting for a realtor.",
				Errors:      map[int]string{http.StatusNotFound: "This store keeps no statistics."}}},
		{Pattern: "GET /tours/{id}", Rule: parties, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleGet),
			Doc: httpapi.Doc{Summary: "Get a tour", Reply: tourView{}}},
		{Pattern: "GET /tours/{id}/slots", Rule: changers, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleSlots),
			Doc: httpapi.Doc{Summary: "The open times a tour could move to", Reply: tourplan.Slots{}, Params: tourplan.SlotsParams{},
				Description: "Every start on the grid at which some realtor can show the tour's homes in its order, in their time zone, from `from` (their today by default) for `days` days, no sooner than a reschedule may move it. Times overlapping the tour's own booking are left out. It names no realtor.",
				Errors:      map[int]string{http.StatusForbidden: tourChangeErrors[http.StatusForbidden]}}},
		{Pattern: "PATCH /tours/{id}", Rule: changers, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleReschedule), Body: rescheduleRequest{},
			Doc: httpapi.Doc{Summary: "Reschedule a tour", Reply: tourView{}, Errors: rescheduleErrors, Answers: rescheduleAnswers,
				Description: "A realtor is held for the new time first (the tour's own when free); the tour goes back to pending and is booked at the new time."}},
		{Pattern: "PUT /tours/{id}", Rule: changers, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleReschedule), Body: rescheduleRequest{},
			Doc: httpapi.Doc{Summary: "Reschedule a tour (the full editable body)", Reply: tourView{}, Errors: rescheduleErrors, Answers: rescheduleAnswers}},
		{Pattern: "DELETE /tours/{id}", Rule: changers, Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleCancel),
			Doc: httpapi.Doc{Summary: "Cancel a tour", Reply: tourView{}, Errors: tourChangeErrors,
				Description: "Releases the realtor, refunds under the cancellation rule and tells everyone. Answers the cancelled tour."}},
		s.accessRoute(),
		s.conflictsRoute(),
	}, append(s.answerRoutes(), s.feedbackRoutes()...)...)
}

// Subscriptions: paid cart orders become tours, appointments assign them,
// removed listings and suspended providers cancel them, realtors' profiles
// name who is coming, and the tour service refunds its own cancellations
// and declined homes and ask for feedback on completed tours.
func (s *Service) Subscriptions() []bus.Subscription {
	return []bus.Subscription{
		{Consumer: "tour", Stream: "cart", Handlers: map[string]bus.Handler{events.TypeOrderPlaced: s.onOrderPlaced}},
		{Consumer: "tour", Stream: "payment", Handlers: map[string]bus.Handler{
			events.TypePaymentSucceeded: s.onPaymentSucceeded,
			events.TypePaymentFailed:    s.onPaymentFailed,
		}},
		{Consumer: "tour", Stream: "appointment", Handlers: map[string]bus.Handler{
			events.TypeAppointmentScheduled:  s.onAppointmentScheduled,
			events.TypeAppointmentUnassigned: s.onAppointmentUnassigned,
			events.TypeAppointmentReleased:   s.onAppointmentReleased,
		}},
		{Consumer: "tour", Stream: "listing", Handlers: map[string]bus.Handler{events.TypeListingDeleted: s.onListingDeleted}},
		{Consumer: "tour", Stream: "iam", Handlers: map[string]bus.Handler{
			events.TypeUserStatusChanged:     s.onUserStatusChanged,
			events.TypeRealtorProfileChanged: s.onRealtorProfileChanged,
		}},
		{Consumer: "tour", Stream: "tour", Handlers: map[string]bus.Handler{
			events.TypeTourCancelled:    s.onTourCancelled,
			events.TypeTourStopDeclined: s.onTourStopDeclined,
			events.TypeTourCompleted:    s.onTourCompleted,
		}},
	}
}

// Run completes tours whose time is over, gives up on tours no realtor
// took and tells realtors their access opened, every Sweep, and declines
// homes not answered by their approval deadline at that deadline, until
// ctx ends.
func (s *Service) Run(ctx context.Context) error {
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("tour sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cfg.Clock.After(s.nextWake(ctx)):
		}
	}
}

// Sweep does one round of the worker's duties.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.cfg.Clock.Now()
	due, err := s.store.Due(ctx, now, 500)
	if err != nil {
		return err
	}
	for _, t := range due {
		switch {
		case t.Status == statusScheduled:
			_, err = s.store.Update(ctx, t.ID, "", func(t *tour) ([]bus.Event, error) {
				if !t.Complete(now) {
					return nil, nil
				}
				ev, err := s.event(ctx, events.TypeTourCompleted, *t, func(e events.Tour) any {
					return events.TourCompleted{Tour: e, CompletedAt: now.UTC()}
				})
				return []bus.Event{ev}, err
			})
		case t.Status == statusAwaitingApproval:
			err = s.ExpireApproval(ctx, t.ID)
		case t.GiveUp(now, s.cfg.Rules):
			_, err = s.cancel(ctx, t.ID, "", cancelBySystem, "no_realtor", "system")
		}
		if err != nil {
			return err
		}
	}
	return s.tellAccessOpened(ctx, now)
}
