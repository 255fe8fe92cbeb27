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
	// serialised per customer, deciding with the key's idempotency record
	// (scope "checkout:<customer>") in the same transaction. The key's own
	// checkout, if it exists: ErrKeyReused if hash is not its request's;
	// else returned with its answer (a replay), or in flight elsewhere
	// (not claimed, no answer), or, its lease over, claimed by this
	// caller until leaseUntil. Otherwise the customer's unfinished checkout
	// under another key, if any, since a cart checks out once whatever the
	// keys (c.Key tells which): claimed likewise only if its lease is over.
	// Otherwise start is called inside the transaction with the cart as it
	// is, and its result is stored as started under key with its record,
	// leased until leaseUntil, and claimed is true.
	ClaimCheckout(ctx context.Context, customerID, key, hash string, now, leaseUntil time.Time, start func(Cart) (Checkout, error)) (c Checkout, claimed bool, err error)
	// PlaceOrder records that checkout c's order is placed, storing its
	// event, in one transaction; once only (a resumed checkout that placed
	// it already changes nothing).
	PlaceOrder(ctx context.Context, c Checkout, order bus.Event) error
	// CompleteCheckout records a claimed checkout's answer a on its key
	// and, when emptyCart, removes its items from the cart, in one
	// transaction, and returns the answer recorded: the key's first one if
	// another request finished the checkout meanwhile (then nothing else
	// changes).
	CompleteCheckout(ctx context.Context, c Checkout, a Answer, emptyCart bool, now time.Time) (Answer, error)
	// ReleaseCheckout ends this caller's lease early (a peer could not be
	// reached), so a retry resumes at once.
	ReleaseCheckout(ctx context.Context, customerID, key string, now time.Time) error
	// LastPaid returns the customer's newest completed checkout that was
	// paid (answered 201) and started at or after since; ok is false if
	// there is none.
	LastPaid(ctx context.Context, customerID string, since time.Time) (c Checkout, ok bool, err error)
	// PruneCheckouts sweeps the idempotency records of checkouts answered
	// before cutoff or abandoned (lease over) before it, and the
	// checkouts created before cutoff whose record is gone.
	PruneCheckouts(ctx context.Context, cutoff time.Time) (int64, error)
}

// Checkout is one idempotent checkout: the cart's own row, and what its
// key's idempotency record says (RequestHash, Answer, LeaseUntil).
type Checkout struct {
	CustomerID  string
	Key         string
	RequestHash string
	OrderID     string
	Items       []Item // the cart when the checkout started
	Request     CheckoutRequest
	Ordered     bool    // its order is placed: a resumed checkout only charges
	Answer      *Answer // the answer given, once completed
	LeaseUntil  time.Time
	CreatedAt   time.Time
}

// Completed reports whether the checkout was answered.
func (c Checkout) Completed() bool { return c.Answer != nil }

// keyScope is the scope of a customer's checkout keys in the cart's
// idempotency table.
func keyScope(customerID string) string { return "checkout:" + customerID }
