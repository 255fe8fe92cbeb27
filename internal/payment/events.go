package payment

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// What payment publishes (internal/events/payment.go, docs/events.md): one
// event per settled charge and per refund, each written to the outbox in
// the transaction that records the change. It consumes nothing.

// settledEvent announces a payment that just left pending, with the
// settlement's audit entry (payment.succeeded or payment.failed, before
// and after) on it rather than in an audit event of its own.
func settledEvent(ctx context.Context, p payment, before *paymentState, now time.Time) (bus.Event, error) {
	entry, err := audit.New(ctx, "payment", audit.Change{Action: "payment." + string(p.Status), ResourceType: "payment",
		ResourceID: p.ID, Before: before, After: paymentStateOf(p)}, now)
	if err != nil {
		return bus.Event{}, err
	}
	recorded := events.AuditRecorded(entry)
	if p.Status == statusSucceeded {
		return bus.NewEvent(ctx, events.TypePaymentSucceeded, p.ID, events.PaymentSucceeded{
			PaymentID: p.ID, OrderID: p.OrderID, CustomerID: p.CustomerID, Amount: p.Amount,
			SucceededAt: p.UpdatedAt, Audit: &recorded,
		}, now)
	}
	return bus.NewEvent(ctx, events.TypePaymentFailed, p.ID, events.PaymentFailed{
		PaymentID: p.ID, OrderID: p.OrderID, CustomerID: p.CustomerID, Amount: p.Amount,
		Reason: p.FailureReason, FailedAt: p.UpdatedAt, Audit: &recorded,
	}, now)
}

// refundedEvent announces refund r, already applied to p.
func refundedEvent(ctx context.Context, p payment, r Refund, now time.Time) (bus.Event, error) {
	return bus.NewEvent(ctx, events.TypePaymentRefunded, p.ID, events.PaymentRefunded{
		PaymentID: p.ID, RefundID: r.ID, OrderID: p.OrderID, CustomerID: p.CustomerID,
		Amount: r.Amount, TotalRefunded: p.Refunded, Status: string(p.Status),
		Reason: r.Reason, RequestedBy: r.RequestedBy, RefundedAt: r.UpdatedAt,
	}, now)
}
