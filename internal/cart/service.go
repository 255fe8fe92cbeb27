package cart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// ListingReader reads listings (clients.Listings over HTTP).
type ListingReader interface {
	Get(ctx context.Context, id string) (clients.Listing, error)
}

// Charger asks the payment service for a payment (clients.Payments). It
// must be idempotent by key.
type Charger interface {
	Charge(ctx context.Context, idempotencyKey string, req clients.ChargeRequest) (clients.Payment, error)
}

// Holder holds a realtor for a tour's window and gives a hold back
// (clients.Appointments). PlaceHold is idempotent by hold id and answers
// clients.ErrNoRealtor when nobody can be held.
type Holder interface {
	PlaceHold(ctx context.Context, req clients.HoldRequest) (clients.Hold, error)
	ReleaseHold(ctx context.Context, holdID string) error
	// ShowingDays counts homes' showings per local day of zone over days
	// days from first (clients.Holds.ShowingDays), so slots leave out the
	// days a home is full.
	ShowingDays(ctx context.Context, listingIDs []string, zone string, first time.Time, days int, exceptTour string) (map[string]map[string]int, error)
}

// SlotFinder answers at which starts some realtor can take a tour
// (clients.Availability).
type SlotFinder interface {
	Slots(ctx context.Context, q clients.SlotQuery) ([]time.Time, error)
}

// Config tunes the cart service.
type Config struct {
	// Rules are the tour's time rules (tourplan.Default if zero).
	Rules tourplan.Rules
	Clock clock.Clock
	Log   *slog.Logger
	// Lease is how long a checkout in progress is left to the request
	// working on it before a retry may resume it. Default 30s.
	Lease time.Duration
	// KeepKeys is how long idempotency keys are remembered. Default 48h
	// (Stripe keeps them 24h).
	KeepKeys time.Duration
	// Wait bounds how long a request waits for another one with the same
	// key to finish. Default 15s.
	Wait time.Duration
	// Poll is how often a waiting request looks again at a key another
	// process holds. Default 100ms.
	Poll time.Duration
}

// Service is the cart application.
type Service struct {
	store    Store
	listings ListingReader
	payments Charger
	holds    Holder
	slots    SlotFinder
	cfg      Config
	keys     *idempotency.Waiter
}

// Peers are the services the cart calls.
type Peers struct {
	Listings ListingReader
	Payments Charger
	Holds    Holder
	Slots    SlotFinder
}

// New builds the service.
func New(st Store, peers Peers, cfg Config) (*Service, error) {
	if st == nil || peers.Listings == nil || peers.Payments == nil || peers.Holds == nil || peers.Slots == nil {
		return nil, errors.New("cart: missing dependency")
	}
	if cfg.Rules == (tourplan.Rules{}) {
		cfg.Rules = tourplan.Default
	}
	if err := cfg.Rules.Validate(); err != nil {
		return nil, fmt.Errorf("cart: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Lease == 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.KeepKeys == 0 {
		cfg.KeepKeys = 48 * time.Hour
	}
	if cfg.Wait == 0 {
		cfg.Wait = 15 * time.Second
	}
	if cfg.Poll == 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	return &Service{store: st, listings: peers.Listings, payments: peers.Payments, holds: peers.Holds, slots: peers.Slots, cfg: cfg,
		keys: &idempotency.Waiter{Clock: cfg.Clock, Wait: cfg.Wait, Poll: cfg.Poll}}, nil
}

// Routes is the cart HTTP API as an authorization table.
func (s *Service) Routes() []auth.Route {
	customer := auth.Users(auth.RoleCustomer)
	return []auth.Route{
		{Pattern: "GET /cart", Rule: customer, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleGet),
			Doc: httpapi.Doc{Summary: "The caller's cart", Reply: cartView{}}},
		{Pattern: "POST /cart/items", Rule: customer, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleAdd), Body: addRequest{},
			Doc: httpapi.Doc{Summary: "Put a home in the cart", Reply: cartView{},
				Description: "The cart keeps the listing's title and tour fee as they are now, and follows later changes to them."}},
		{Pattern: "DELETE /cart/items/{listing_id}", Rule: customer, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleRemove),
			Doc: httpapi.Doc{Summary: "Take a home out of the cart", Reply: cartView{}}},
		{Pattern: "GET /cart/slots", Rule: customer, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleSlots),
			Doc: httpapi.Doc{Summary: "The open slots of the caller's cart", Reply: tourplan.Slots{}, Params: tourplan.SlotsParams{},
				Description: "Every start on the grid (OPENHOUSE_SLOT_STEP, 15 minutes) at which some realtor can show the whole route, in the homes' time zone, " +
					"from `from` (the homes' today by default) for `days` days, keeping each home's showing rules (its windows, blackouts, notice and visit length). It names no realtor; a home not shown now gives no slots and its `message`.",
				Errors: map[int]string{http.StatusUnprocessableEntity: "The cart is empty, or its homes cannot be toured together."}}},
		{Pattern: "POST /cart/checkout", Rule: customer, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleCheckout), Body: CheckoutRequest{},
			Doc: httpapi.Doc{Summary: "Pay for a tour of the cart's homes", Reply: CheckoutAnswer{}, Status: http.StatusCreated, Params: checkoutHeaders{},
				Description: "Holds a realtor for `scheduled_at` (an open slot of GET /cart/slots), then charges the tour fees; the tour starts `pending` and becomes `scheduled` once booked from the hold. " +
					"The same Idempotency-Key and body again return the first answer (201, 402 or 409 slot-taken alike; header `Idempotent-Replayed: true`) and charge nothing more. A cart checks out once, whatever the keys.",
				Errors: map[int]string{
					http.StatusBadRequest: "The body is malformed, or the Idempotency-Key header is missing or malformed.",
					http.StatusUnprocessableEntity: "An empty cart, a time in the past, homes more than one tour apart, the Idempotency-Key reused with another body, " +
						"or a visit that breaks a home's showing rules (type `urn:openhouse:problem:showing-rule`, with `rule` naming the broken field of the listing's `showing` " +
						"(mode, min_notice_minutes, windows, blackouts, max_per_day) and `listing_id` the home); nothing is held or charged.",
					http.StatusTooManyRequests: "Too many checkouts by this caller.",
				},
				Answers: []httpapi.Answer{
					{Status: http.StatusPaymentRequired, Why: "The payment was declined; the cart is kept and the realtor's hold given back.", Body: declinedProblem{}},
					{Status: http.StatusConflict, Why: "The start is not open (`slot-taken`, with `alternatives`, nothing charged); the cart is being checked out by another request (`checkout-in-progress`) or was already (`already-checked-out`), with its `order_id`; or a request with this key is still in progress.", Body: checkoutConflict{}},
				}}},
		{Pattern: "GET /carts", Rule: auth.Users(auth.RoleAdmin), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleList),
			Doc: httpapi.Doc{Summary: "Every cart, for review", Reply: httpapi.List[cartView]{}}},
	}
}

// Cart returns the customer's cart.
func (s *Service) Cart(ctx context.Context, customerID string) (Cart, error) {
	return s.store.Cart(ctx, customerID)
}

// Add puts a listing in the customer's cart, with the listing's details
// as the listing service shows them now.
func (s *Service) Add(ctx context.Context, customerID, listingID string) (Cart, error) {
	if listingID == "" || len(listingID) > 100 {
		return Cart{}, RuleError{"listing_id", "is required"}
	}
	l, err := s.listings.Get(ctx, listingID)
	if errors.Is(err, clients.ErrNotFound) {
		return Cart{}, RuleError{"listing_id", "no such listing"}
	}
	if err != nil {
		return Cart{}, fmt.Errorf("read listing %s: %w", listingID, peerFailure(err))
	}
	if l.Status != "" && l.Status != "active" {
		return Cart{}, RuleError{"listing_id", "this listing is not on the market"}
	}
	it := itemOf(l, s.cfg.Clock.Now())
	return s.store.AddItem(ctx, customerID, it, func(c Cart) error { return c.CanAdd(it) })
}

func itemOf(l clients.Listing, now time.Time) Item {
	return Item{ListingID: l.ID, ProviderID: l.ProviderID, Title: l.Title, Address: l.Address, TourFee: l.TourFee,
		Location: l.Location, TimeZone: l.TimeZone, Showing: l.Showing, AddedAt: now.UTC()}
}

// Remove takes a listing out of the customer's cart.
func (s *Service) Remove(ctx context.Context, customerID, listingID string) (Cart, error) {
	return s.store.RemoveItem(ctx, customerID, listingID)
}

// Run sweeps idempotency keys (and their checkouts) answered or abandoned
// more than KeepKeys ago, hourly on the service's clock, until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	for {
		if n, err := s.store.PruneCheckouts(ctx, s.cfg.Clock.Now().Add(-s.cfg.KeepKeys)); err != nil {
			s.cfg.Log.Warn("prune checkouts", "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("pruned old checkouts", "count", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cfg.Clock.After(time.Hour):
		}
	}
}

// Subscriptions: the cart follows listings so its snapshots stay true.
func (s *Service) Subscriptions() []bus.Subscription { return s.listingSubscriptions() }
