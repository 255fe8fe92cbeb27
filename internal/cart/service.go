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

// Config tunes the cart service.
type Config struct {
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
}

// Service is the cart application.
type Service struct {
	store    Store
	listings ListingReader
	payments Charger
	cfg      Config
}

// New builds the service.
func New(st Store, listings ListingReader, payments Charger, cfg Config) (*Service, error) {
	if st == nil || listings == nil || payments == nil {
		return nil, errors.New("cart: missing dependency")
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
	return &Service{store: st, listings: listings, payments: payments, cfg: cfg}, nil
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
		{Pattern: "POST /cart/checkout", Rule: customer, Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleCheckout), Body: CheckoutRequest{},
			Doc: httpapi.Doc{Summary: "Pay for a tour of the cart's homes", Reply: CheckoutAnswer{}, Status: http.StatusCreated, Params: checkoutHeaders{},
				Description: "Charges the tour fees and books a tour at `scheduled_at`; the tour starts `pending` and becomes `scheduled` once a realtor is assigned. " +
					"The same Idempotency-Key and body again return the same answer and charge nothing more.",
				Errors: map[int]string{
					http.StatusBadRequest:          "The body is malformed, or the Idempotency-Key header is missing or malformed.",
					http.StatusUnprocessableEntity: "An empty cart, a time in the past, homes more than one tour apart, or the Idempotency-Key reused with another body.",
					http.StatusConflict:            "A checkout with this key is still in progress.",
					http.StatusTooManyRequests:     "Too many checkouts by this caller.",
				},
				Answers: []httpapi.Answer{{Status: http.StatusPaymentRequired, Why: "The payment was declined; the cart is kept.", Body: declinedProblem{}}}}},
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
		return Cart{}, fmt.Errorf("read listing %s: %w", listingID, err)
	}
	if l.Status != "" && l.Status != "active" {
		return Cart{}, RuleError{"listing_id", "this listing is not on the market"}
	}
	it := itemOf(l, s.cfg.Clock.Now())
	return s.store.AddItem(ctx, customerID, it, func(c Cart) error { return c.CanAdd(it) })
}

func itemOf(l clients.Listing, now time.Time) Item {
	return Item{ListingID: l.ID, Title: l.Title, TourFee: l.TourFee, Location: l.Location, TimeZone: l.TimeZone, AddedAt: now.UTC()}
}

// Remove takes a listing out of the customer's cart.
func (s *Service) Remove(ctx context.Context, customerID, listingID string) (Cart, error) {
	return s.store.RemoveItem(ctx, customerID, listingID)
}

// Run prunes old idempotency keys hourly until ctx ends.
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
