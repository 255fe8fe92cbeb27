package cart

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Store keeps carts and checkouts. It is safe for concurrent use.
type Store interface {
	// Cart returns a customer's cart (empty if they never added anything).
	Cart(ctx context.Context, customerID string) (Cart, error)
	// AddItem adds it to the cart if check accepts the cart as it is,
	// atomically; adding a listing already there changes nothing.
	AddItem(ctx context.Context, customerID string, it Item, check func(Cart) error) (Cart, error)
	// RemoveItem removes a listing; ErrNotInCart if it is not there.
	RemoveItem(ctx context.Context, customerID, listingID string) (Cart, error)
	// Carts pages through non-empty carts for admins, by customer id.
	Carts(ctx context.Context, afterCustomer string, limit int) ([]Cart, error)
	// RefreshListing rewrites every cart's snapshot of a listing; DropListing
	// removes it from every cart. Each applies an event id once.
	RefreshListing(ctx context.Context, eventID string, it Item) error
	DropListing(ctx context.Context, eventID, listingID string) error

	// ClaimCheckout finds or starts the checkout for (customer, key),
	// serialised per customer. The checkout returned is the key's own if
	// it exists; otherwise the customer's unfinished (started) checkout
	// under another key, if any, since a cart checks out once whatever the
	// keys (c.Key tells which); otherwise start is called inside the
	// transaction with the cart as it is and its result is stored as
	// started under key, leased until leaseUntil, and claimed is true. For
	// an existing checkout claimed is true only if it was started and its
	// lease had expired (now), in which case the lease is renewed for this
	// caller.
	ClaimCheckout(ctx context.Context, customerID, key string, now, leaseUntil time.Time, start func(Cart) (Checkout, error)) (c Checkout, claimed bool, err error)
	// PlaceOrder records that checkout c's order is placed, storing its
	// event, in one transaction; once only (a resumed checkout that placed
	// it already changes nothing).
	PlaceOrder(ctx context.Context, c Checkout, order bus.Event) error
	// CompleteCheckout stores the answer of a claimed checkout and, when
	// emptyCart, removes its items from the cart, in one transaction.
	CompleteCheckout(ctx context.Context, c Checkout, emptyCart bool) error
	// ReleaseCheckout ends this caller's lease early (the payment service
	// could not be reached), so a retry resumes at once.
	ReleaseCheckout(ctx context.Context, customerID, key string, now time.Time) error
	// LastPaid returns the customer's newest completed checkout that was
	// paid (answered 201) and started at or after since; ok is false if
	// there is none.
	LastPaid(ctx context.Context, customerID string, since time.Time) (c Checkout, ok bool, err error)
	// PruneCheckouts forgets checkouts created before cutoff.
	PruneCheckouts(ctx context.Context, cutoff time.Time) (int64, error)
}

// Checkout is one idempotent checkout.
type Checkout struct {
	CustomerID  string
	Key         string
	RequestHash string
	OrderID     string
	Items       []Item // the cart when the checkout started
	Request     CheckoutRequest
	Ordered     bool // its order is placed: a resumed checkout only charges
	Completed   bool
	StatusCode  int    // the answer given, once completed
	Response    []byte // its body
	LeaseUntil  time.Time
	CreatedAt   time.Time
}
