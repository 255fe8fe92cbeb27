package appointment

import (
	"context"
	"errors"
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
)

// Availability finds and holds free realtors (clients.Availability).
type Availability interface {
	Search(ctx context.Context, points []events.GeoPoint, start, end time.Time, limit int) ([]clients.Candidate, error)
	Reserve(ctx context.Context, realtorID, tourID string, start, end time.Time) error
	Release(ctx context.Context, realtorID, tourID string, start, end time.Time) error
}

// Config tunes the appointment service.
type Config struct {
	// Buffer is the travel time kept free before and after each
	// appointment; it must equal availability's. Default 30 min.
	Buffer time.Duration
	// Retry is how often waiting tours are tried again. Default 30s.
	Retry time.Duration
	// HoldTTL is how long a hold lasts unbooked (a checkout whose process
	// died between hold and charge). Default 10 min.
	HoldTTL time.Duration
	// HoldSweep bounds how long a lapsed hold placed by another instance
	// waits to be released. Default 15s.
	HoldSweep time.Duration
	Clock     clock.Clock
	Log       *slog.Logger
	// Metrics, when set, receives openhouse_assignments_total (metrics.go).
	// Nil exports none.
	Metrics prometheus.Registerer
}

// Service is the appointment application.
type Service struct {
	store   Store
	avail   Availability
	cfg     Config
	metrics *metrics
}

// New builds the service.
func New(st Store, avail Availability, cfg Config) (*Service, error) {
	if st == nil || avail == nil {
		return nil, errors.New("appointment: missing dependency")
	}
	if cfg.Buffer == 0 {
		cfg.Buffer = 30 * time.Minute
	}
	if cfg.Retry == 0 {
		cfg.Retry = 30 * time.Second
	}
	if cfg.HoldTTL == 0 {
		cfg.HoldTTL = 10 * time.Minute
	}
	if cfg.HoldSweep == 0 {
		cfg.HoldSweep = 15 * time.Second
	}
	if cfg.HoldTTL < 10*time.Second || cfg.HoldTTL > 24*time.Hour || cfg.HoldSweep < 0 {
		return nil, errors.New("appointment: hold TTL must be between 10 seconds and 24 hours (OPENHOUSE_HOLD_TTL)")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{store: st, avail: avail, cfg: cfg, metrics: newMetrics(cfg.Metrics)}, nil
}

// Routes is the appointment HTTP API as an authorization table.
func (s *Service) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "GET /appointments", Rule: auth.Users(auth.RoleAdmin), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleList),
			Doc: httpapi.Doc{Summary: "List appointments", Reply: httpapi.List[appointmentView]{}, Params: appointmentQuery{}}},
		// The parties to an appointment: its customer and its realtor.
		{Pattern: "GET /appointments/{id}", Rule: auth.Users(auth.RoleCustomer, auth.RoleRealtor, auth.RoleAdmin), Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleGet),
			Doc: httpapi.Doc{Summary: "Get an appointment (admins, its realtor or its customer)", Reply: appointmentView{}}},
		{Pattern: "POST /appointments/{id}/confirm", Rule: auth.Users(auth.RoleRealtor), Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleConfirm),
			Doc: httpapi.Doc{Summary: "Confirm an assignment (its realtor)", Reply: appointmentView{},
				Description: "The customer is told that the realtor confirmed.",
				Errors:      map[int]string{http.StatusConflict: "The appointment was released."}}},
		{Pattern: "POST /appointments/{id}/decline", Rule: auth.Users(auth.RoleRealtor), Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleDecline),
			Doc: httpapi.Doc{Summary: "Decline an assignment (its realtor)", Reply: appointmentView{},
				Description: "The tour is assigned to another realtor.",
				Errors:      map[int]string{http.StatusConflict: "The appointment was released."}}},
		// Holds: the cart at checkout, the tour service when a tour moves.
		{Pattern: "POST /appointments/holds", Rule: auth.Services("cart", "tour"), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handlePlaceHold), Body: holdBody{},
			Doc: httpapi.Doc{Summary: "Hold a realtor for a tour's window (the cart at checkout, the tour service when a tour moves)", Reply: holdView{}, Status: http.StatusCreated,
				Description: "A free realtor whose area covers every home is held until `expires_at` (OPENHOUSE_HOLD_TTL); the tour is booked from the hold. " +
					"Asking again with the same `hold_id` and window answers the same hold. No realtor is named.",
				Answers: []httpapi.Answer{{Status: http.StatusConflict, Why: "No realtor is free for that window (slot taken), or the hold id names another window.", Body: holdConflict{}}}}},
		// Showings per day: the services that list open slots leave out a
		// home's full days (showings.go).
		{Pattern: "GET /appointments/showings", Rule: auth.Services("cart", "tour", "listing"), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleShowings),
			Doc: httpapi.Doc{Summary: "Showings per day of homes (the services that list open slots)", Reply: clients.ShowingDays{}, Params: showingsQuery{},
				Description: "How many holds (not lapsed) and bookings of each home start on each day of `time_zone`, as a hold's `limits` count them; days without any are left out. Names no realtor and no customer."}},
		// Schedules: iam, before it saves a realtor's time off or daily cap.
		{Pattern: "PUT /appointments/realtors/{id}/schedule", Rule: auth.Services("iam"), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handlePutSchedule), Body: clients.RealtorSchedule{},
			Doc: httpapi.Doc{Summary: "Record a realtor's time off and daily cap (iam, before it saves them)", Reply: clients.RealtorSchedule{},
				Description: "Checked and recorded under the realtor's lock, the one holds and bookings take: time off over a hold or booking that has not ended is refused, " +
					"listing them, and once recorded no hold or booking lands in it. The profile event iam publishes after saving carries the same schedule; the newest `at` wins.",
				Answers: []httpapi.Answer{{Status: http.StatusConflict, Why: "The time off covers tours the realtor holds or is booked for; nothing was recorded.", Body: scheduleConflict{}}}}},
		{Pattern: "GET /appointments/agenda", Rule: auth.Users(auth.RoleRealtor), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleAgenda),
			Doc: httpapi.Doc{Summary: "The caller's agenda (realtors): bookings, holds, busy blocks and time off", Reply: agendaView{}, Params: agendaQuery{},
				Description: "What assignment goes by, day by day in the realtor's zone: their tours (booked or being booked), the busy events of their own calendar and their time off."}},
		{Pattern: "DELETE /appointments/holds/{id}", Rule: auth.Services("cart", "tour"), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleReleaseHold),
			Doc: httpapi.Doc{Summary: "Give a hold back (a declined card, a failed move)", Description: "Giving back a hold that is gone or released already succeeds.",
				Errors: map[int]string{http.StatusConflict: "The hold was booked; it cannot be given back."}}},
	}
}

// Subscriptions: tours ask for realtors; realtors' profiles and busy
// blocks say when they may be booked, and changing may free some up.
func (s *Service) Subscriptions() []bus.Subscription {
	return []bus.Subscription{
		{Consumer: "appointment", Stream: "tour", Handlers: map[string]bus.Handler{
			events.TypeTourCreated:     s.onTourCreated,
			events.TypeTourRescheduled: s.onTourRescheduled,
			events.TypeTourCancelled:   s.onTourCancelled,
			events.TypeTourCompleted:   s.onTourCompleted,
		}},
		{Consumer: "appointment", Stream: "iam", Handlers: map[string]bus.Handler{
			events.TypeRealtorProfileChanged: s.onRealtorChanged,
			events.TypeRealtorBusyChanged:    s.onBusyChanged,
		}},
	}
}

// Run retries waiting tours every Retry, and releases holds as they
// lapse, until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	holds := make(chan struct{})
	go func() {
		defer close(holds)
		s.expireLoop(ctx)
	}()
	defer func() { <-holds }()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cfg.Clock.After(s.cfg.Retry):
		}
		if err := s.RetryWaiting(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("retry waiting tours", "err", err)
		}
	}
}
