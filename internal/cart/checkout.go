package cart

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/usertext"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// CheckoutRequest is what the customer sends to POST /cart/checkout.
type CheckoutRequest struct {
	ScheduledAt   time.Time `json:"scheduled_at" doc:"When the tour starts: a future time, in any offset." example:"2026-12-02T15:00:00-06:00"`
	PaymentMethod string    `json:"payment_method" doc:"A payment method token; in the sandbox tok_visa succeeds and tok_chargeDeclined is declined." example:"tok_visa"`
}

// checkoutHeaders are the headers POST /cart/checkout reads.
type checkoutHeaders struct {
	IdempotencyKey string `header:"Idempotency-Key" required:"true" doc:"1 to 255 visible ASCII characters, new for each checkout; a retry sends the same." example:"9b2f6c1e-checkout-1"`
}

// declinedProblem is the 402 answer of a declined payment.
type declinedProblem struct {
	Type      string `json:"type" enum:"urn:openhouse:problem:payment-declined"`
	Title     string `json:"title"`
	Status    int    `json:"status" enum:"402"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance"`
	OrderID   string `json:"order_id" doc:"The order that was not paid."`
	PaymentID string `json:"payment_id" doc:"The declined payment."`
}

// checkoutConflict is a 409 answer of a checkout: a start that is not open
// (with alternatives), or a cart that another checkout has (with its order).
type checkoutConflict struct {
	Type         string               `json:"type" enum:"urn:openhouse:problem:slot-taken,urn:openhouse:problem:checkout-in-progress,urn:openhouse:problem:already-checked-out,urn:openhouse:problem:conflict"`
	Title        string               `json:"title"`
	Status       int                  `json:"status" enum:"409"`
	Detail       string               `json:"detail"`
	Instance     string               `json:"instance,omitempty"`
	Errors       []httpapi.FieldError `json:"errors,omitempty"`
	Alternatives []tourplan.Slot      `json:"alternatives,omitempty" doc:"slot-taken: up to 5 open slots nearest to the asked start; nothing was charged."`
	OrderID      string               `json:"order_id,omitempty" doc:"checkout-in-progress, already-checked-out: the order of the cart's checkout."`
}

// Answer is an HTTP answer kept for an idempotency key.
type Answer = idempotency.Answer

// checkout errors: the shared idempotency mechanism's.
var (
	ErrKeyReused  = idempotency.ErrKeyReused
	ErrInProgress = idempotency.ErrInFlight
	ErrBadKey     = idempotency.ErrBadKey
)

// CheckoutAnswer is the 201 body of a paid checkout.
type CheckoutAnswer struct {
	OrderID     string          `json:"order_id" doc:"The order; the tour is found with GET /tours?order_id=." example:"ord-3f2a"`
	Payment     clients.Payment `json:"payment"`
	TourStatus  string          `json:"tour_status" doc:"The tour waits for a realtor." enum:"pending"`
	Items       []checkoutItem  `json:"items"`
	Total       events.Money    `json:"total"`
	ScheduledAt time.Time       `json:"scheduled_at"`
}

type checkoutItem struct {
	ListingID string       `json:"listing_id"`
	Title     string       `json:"title"`
	TourFee   events.Money `json:"tour_fee"`
}

// RecentOrder is how long after a paid checkout a checkout of the emptied
// cart is answered as a repeat of that order (409 with its id) rather
// than as an empty cart: a second tab, a double click or a client that
// makes a new key per retry is told where its order is.
const RecentOrder = 10 * time.Minute

// Checkout pays for the customer's cart and requests the tour, once per
// idempotency key (the shared mechanism, internal/platform/idempotency):
// the same key with the same request gets the first answer (201, 402,
// 409 slot-taken, ...) and pays nothing more, whenever and however often
// it is repeated (also concurrently: a repeat waits for the first up to
// Config.Wait, then ErrInProgress; also after a crash); the same key with
// another request is refused. A request that breaks a rule (empty cart,
// bad time) uses up nothing and is not remembered.
//
// A cart checks out once, whatever the keys: while a checkout of the
// customer's cart is unfinished, a request with another key gets 409 with
// that checkout's order id and charges nothing; if that checkout was
// abandoned (its lease ran out), this request finishes it as it was asked
// first, and then answers 409 with its order.
func (s *Service) Checkout(ctx context.Context, customerID, key string, req CheckoutRequest) (Answer, error) {
	if !idempotency.ValidKey(key) {
		return Answer{}, ErrBadKey
	}
	if !usertext.IsToken(req.PaymentMethod, 255) {
		return Answer{}, RuleError{"payment_method", "is required: a payment method token of 1 to 255 printable ASCII characters"}
	}
	hash := requestHash(req)
	for {
		var (
			c       Checkout
			claimed bool
		)
		// Repeats of one key queue in this process; a key another
		// process holds is looked at again every Poll.
		unlock, err := s.keys.Claim(ctx, customerID+"\n"+key, func() (bool, error) {
			now := s.cfg.Clock.Now()
			var err error
			c, claimed, err = s.store.ClaimCheckout(ctx, customerID, key, hash, now, now.Add(s.cfg.Lease), func(cart Cart) (Checkout, error) {
				if err := cart.CheckTime(req.ScheduledAt, now, s.cfg.Rules); err != nil {
					return Checkout{}, err
				}
				return Checkout{OrderID: uuid.NewString(), Items: cart.Items, Request: req}, nil
			})
			// Busy: this key's own checkout, unanswered, held elsewhere.
			return err == nil && c.Key == key && !c.Completed() && !claimed, err
		})
		if errors.Is(err, ErrEmpty) {
			return s.emptyCart(ctx, customerID, s.cfg.Clock.Now())
		}
		if err != nil {
			return Answer{}, err
		}
		answer, again, err := s.checkout(ctx, c, claimed, key, req)
		unlock()
		if !again {
			return answer, err
		}
	}
}

// checkout goes on with a claim of ClaimCheckout: replays the key's
// answer, answers that another key's checkout is in progress, finishes an
// abandoned one (again: then this request starts over as its own), or
// pays for its own.
func (s *Service) checkout(ctx context.Context, c Checkout, claimed bool, key string, req CheckoutRequest) (answer Answer, again bool, err error) {
	if c.Key != key {
		if !claimed {
			return problemAnswer(http.StatusConflict, TypeCheckoutInProgress, "Checkout in progress",
				"this cart is being checked out by another request; its order is order_id", map[string]any{"order_id": c.OrderID}), false, nil
		}
		// Abandoned: finish it as first asked. Paid, this request is
		// its repeat; declined, the cart is kept and this request goes
		// on as its own.
		first, err := s.pay(ctx, c, c.Request)
		if err != nil {
			return Answer{}, false, err
		}
		if first.Status == http.StatusCreated {
			return alreadyCheckedOut(c.OrderID), false, nil
		}
		return Answer{}, true, nil
	}
	if c.Completed() {
		return *c.Answer, false, nil
	}
	answer, err = s.pay(ctx, c, req)
	return answer, false, err
}

// pay carries a claimed checkout through: a realtor held for the start
// (the appointment service chooses), the order placed (its event in the
// outbox: the tour is made from it once paid), then the card charged. A
// start nobody can be held for answers 409 slot-taken with the nearest
// open slots, charging nothing; a declined card gives the hold back at
// once. Each step may be repeated: the hold by its id (the order's), the
// order once per checkout, the charge by the payment service's
// idempotency (keyed by this checkout), so a resumed checkout finishes the
// first one's work instead of doing it again.
func (s *Service) pay(ctx context.Context, c Checkout, req CheckoutRequest) (Answer, error) {
	cart := Cart{CustomerID: c.CustomerID, Items: c.Items}
	total, err := cart.Total()
	if err != nil {
		return Answer{}, err
	}
	route := cart.Route(req.ScheduledAt, s.cfg.Rules)
	if !c.Ordered {
		answer, held, err := s.hold(ctx, c, cart, route)
		if err != nil {
			s.giveKeyBack(ctx, c)
			return Answer{}, err
		}
		if held.HoldID == "" {
			return s.complete(ctx, c, answer, false)
		}
		if err := s.placeOrder(ctx, c, cart, route, total, held); err != nil {
			s.giveKeyBack(ctx, c)
			return Answer{}, err
		}
	}
	ids := make([]string, len(c.Items))
	items := make([]checkoutItem, len(c.Items))
	for i, it := range c.Items {
		ids[i] = it.ListingID
		items[i] = checkoutItem{ListingID: it.ListingID, Title: it.Title, TourFee: it.TourFee}
	}
	payment, err := s.payments.Charge(ctx, "checkout:"+c.CustomerID+":"+c.Key, clients.ChargeRequest{
		OrderID: c.OrderID, CustomerID: c.CustomerID, Amount: total, PaymentMethod: req.PaymentMethod,
		ListingIDs: ids, ScheduledAt: req.ScheduledAt.UTC(),
	})
	var (
		declined *clients.Declined
		apiErr   *clients.APIError
		answer   Answer
		paid     bool
	)
	switch {
	case err == nil:
		body, _ := json.Marshal(CheckoutAnswer{OrderID: c.OrderID, Payment: payment, TourStatus: "pending",
			Items: items, Total: total, ScheduledAt: req.ScheduledAt.UTC()})
		answer, paid = Answer{Status: http.StatusCreated, ContentType: "application/json", Body: body}, true
	case errors.As(err, &declined):
		s.releaseHold(ctx, c.OrderID)
		answer = problemAnswer(http.StatusPaymentRequired, "urn:openhouse:problem:payment-declined", "Payment declined",
			"the payment was declined; your cart is kept", map[string]any{"order_id": c.OrderID, "payment_id": declined.PaymentID})
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnprocessableEntity:
		s.releaseHold(ctx, c.OrderID)
		answer = problemAnswer(http.StatusUnprocessableEntity, "urn:openhouse:problem:validation", "Validation failed",
			"the payment method was refused: "+apiErr.Problem.Detail, map[string]any{"order_id": c.OrderID,
				"errors": []map[string]string{{"field": "payment_method", "message": apiErr.Problem.Detail}}})
	default:
		// The payment service is down or answered oddly: the charge may or
		// may not have happened. Give the key back so the customer's retry
		// resumes at once; the payment's idempotency sorts out the rest.
		s.giveKeyBack(ctx, c)
		return Answer{}, fmt.Errorf("charge order %s: %w", c.OrderID, peerFailure(err))
	}
	return s.complete(ctx, c, answer, paid)
}

// hold asks the appointment service to hold a realtor for the route. Not
// held, answer is the 409 slot-taken to give (with alternatives).
func (s *Service) hold(ctx context.Context, c Checkout, cart Cart, route tourplan.Route) (answer Answer, held clients.Hold, err error) {
	if s.cfg.Rules.OnGrid(route.Start) {
		ids := make([]string, len(route.Stops))
		for i, st := range route.Stops {
			ids[i] = st.ListingID
		}
		limits, err := cart.DayLimits(route)
		if err != nil {
			return Answer{}, clients.Hold{}, err
		}
		held, err = s.holds.PlaceHold(ctx, clients.HoldRequest{HoldID: c.OrderID, CustomerID: c.CustomerID,
			ListingIDs: ids, Stops: route.Points(), StartsAt: route.Start, EndsAt: route.End, Limits: limits})
		if err == nil {
			return Answer{}, held, nil
		}
		var full clients.FullError
		if errors.As(err, &full) {
			it, _ := cart.item(full.ListingID)
			return problemAnswer(http.StatusUnprocessableEntity, TypeShowingRule, "Showing rule",
				tourplan.RuleMessage(tourplan.RuleMaxPerDay, it.Showing)+"; nothing was charged",
				map[string]any{"rule": tourplan.RuleMaxPerDay, "listing_id": full.ListingID}), clients.Hold{}, nil
		}
		if !errors.Is(err, clients.ErrNoRealtor) {
			return Answer{}, clients.Hold{}, fmt.Errorf("hold a realtor for order %s: %w", c.OrderID, peerFailure(err))
		}
	}
	alternatives, err := s.Alternatives(ctx, cart, route.Start)
	if err != nil {
		return Answer{}, clients.Hold{}, err
	}
	return problemAnswer(http.StatusConflict, TypeSlotTaken, "Slot taken",
		"that time is not open; alternatives are the nearest open slots", map[string]any{"alternatives": alternatives}), clients.Hold{}, nil
}

// placeOrder publishes the order (through the outbox, with the checkout
// marked ordered in the same transaction).
func (s *Service) placeOrder(ctx context.Context, c Checkout, cart Cart, route tourplan.Route, total events.Money, held clients.Hold) error {
	items := make(map[string]Item, len(cart.Items))
	for _, it := range cart.Items {
		items[it.ListingID] = it
	}
	now := s.cfg.Clock.Now().UTC()
	order := events.OrderPlaced{OrderID: c.OrderID, CustomerID: c.CustomerID, TimeZone: cart.Items[0].TimeZone,
		ScheduledAt: route.Start, EndsAt: route.End, Total: total, HoldID: held.HoldID, HoldExpiresAt: held.ExpiresAt, PlacedAt: now}
	for _, st := range route.Stops {
		it := items[st.ListingID]
		order.Stops = append(order.Stops, events.OrderStop{ListingID: it.ListingID, ProviderID: it.ProviderID, Title: it.Title,
			Address: it.Address, Location: it.Location, TourFee: it.TourFee, Showing: it.Showing, Arrive: st.Arrive, Leave: st.Leave})
	}
	ev, err := bus.NewEvent(ctx, events.TypeOrderPlaced, c.OrderID, order, now)
	if err != nil {
		return err
	}
	return s.store.PlaceOrder(ctx, c, ev)
}

// releaseHold gives a checkout's hold back at once; if that fails, the
// hold lapses on its own.
func (s *Service) releaseHold(ctx context.Context, holdID string) {
	if err := s.holds.ReleaseHold(context.WithoutCancel(ctx), holdID); err != nil {
		s.cfg.Log.WarnContext(ctx, "release hold; it will lapse", "hold_id", holdID, "err", err)
	}
}

// giveKeyBack ends this request's lease early (a peer could not be
// reached), so the customer's retry resumes at once.
func (s *Service) giveKeyBack(ctx context.Context, c Checkout) {
	if err := s.store.ReleaseCheckout(context.WithoutCancel(ctx), c.CustomerID, c.Key, s.cfg.Clock.Now()); err != nil {
		s.cfg.Log.Warn("release checkout", "err", err)
	}
}

// complete records a checkout's answer on its key (emptying the cart when
// paid) and returns the key's answer: this one, or the first if another
// request finished the checkout meanwhile.
func (s *Service) complete(ctx context.Context, c Checkout, answer Answer, paid bool) (Answer, error) {
	answer, err := s.store.CompleteCheckout(context.WithoutCancel(ctx), c, answer, paid, s.cfg.Clock.Now())
	if err != nil {
		return Answer{}, err
	}
	s.cfg.Log.InfoContext(ctx, "checkout", "order_id", c.OrderID, "customer_id", c.CustomerID, "status", answer.Status)
	return answer, nil
}

// emptyCart answers a checkout of an empty cart: a repeat of a recent paid
// order (409 naming it), or the rule's 422.
func (s *Service) emptyCart(ctx context.Context, customerID string, now time.Time) (Answer, error) {
	last, ok, err := s.store.LastPaid(ctx, customerID, now.Add(-RecentOrder))
	if err != nil {
		return Answer{}, err
	}
	if !ok {
		return Answer{}, ErrEmpty
	}
	return alreadyCheckedOut(last.OrderID), nil
}

func alreadyCheckedOut(orderID string) Answer {
	return problemAnswer(http.StatusConflict, TypeAlreadyCheckedOut, "Already checked out",
		"this cart was checked out and paid already; its order is order_id", map[string]any{"order_id": orderID})
}

// Problem types of checkout answers, beside httpapi's.
const (
	// TypeSlotTaken: the start is not open (taken, nobody works then, off
	// the grid); alternatives are the nearest open ones.
	TypeSlotTaken          = "urn:openhouse:problem:slot-taken"
	TypeCheckoutInProgress = "urn:openhouse:problem:checkout-in-progress"
	TypeAlreadyCheckedOut  = "urn:openhouse:problem:already-checked-out"
	// TypeShowingRule: a visit breaks a home's showing rules; rule names
	// which (a field of the listing's showing object) and listing_id the
	// home. Nothing was held or charged.
	TypeShowingRule = tourplan.TypeShowingRule
)

func problemAnswer(status int, typ, title, detail string, ext map[string]any) Answer {
	body := map[string]any{"type": typ, "title": title, "status": status, "detail": detail, "instance": "/cart/checkout"}
	for k, v := range ext {
		body[k] = v
	}
	raw, _ := json.Marshal(body)
	return Answer{Status: status, ContentType: httpapi.ProblemContentType, Body: raw}
}

// requestHash identifies a request's meaning for idempotency: the start
// as an instant and the payment method. (Not idempotency.Hash: records
// made before the mechanism was shared hold this hash.)
func requestHash(req CheckoutRequest) string {
	raw := fmt.Sprintf("%s\x00%s", req.ScheduledAt.UTC().Format(time.RFC3339Nano), req.PaymentMethod)
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}
