package records

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// consumer is the durable name the records are kept under. It was iam's
// before the records left the iam package; durable names are API (a new
// one would replay every stream), so it stays.
const consumer = "iam"

// Subscriptions are the book's consumers of other services' news about
// users. Each maps an event to records and stores them through Store.Put,
// which applies an event once and keeps the newest news of each thing, so
// redeliveries and reordering change nothing.
func (b *Book) Subscriptions() []bus.Subscription {
	sub := func(stream string, handlers map[string]recordMapper) bus.Subscription {
		hs := make(map[string]bus.Handler, len(handlers))
		for typ, m := range handlers {
			hs[typ] = b.handler(m)
		}
		return bus.Subscription{Consumer: consumer, Stream: stream, Handlers: hs}
	}
	return []bus.Subscription{
		sub("listing", map[string]recordMapper{
			events.TypeListingCreated: listingCreatedRecords,
			events.TypeListingUpdated: listingUpdatedRecords,
			events.TypeListingDeleted: listingDeletedRecords,
		}),
		sub("payment", map[string]recordMapper{
			events.TypePaymentSucceeded: paymentSucceededRecords,
			events.TypePaymentFailed:    paymentFailedRecords,
			events.TypePaymentRefunded:  paymentRefundedRecords,
		}),
		sub("appointment", map[string]recordMapper{
			events.TypeAppointmentScheduled: appointmentRecords[events.AppointmentScheduled](func(e events.AppointmentScheduled) (events.Appointment, time.Time) {
				return e.Appointment, e.ScheduledAt
			}),
			events.TypeAppointmentConfirmed: appointmentRecords[events.AppointmentConfirmed](func(e events.AppointmentConfirmed) (events.Appointment, time.Time) {
				return e.Appointment, e.ConfirmedAt
			}),
			events.TypeAppointmentReleased: appointmentRecords[events.AppointmentReleased](func(e events.AppointmentReleased) (events.Appointment, time.Time) { return e.Appointment, e.ReleasedAt }),
		}),
		sub("notification", map[string]recordMapper{
			events.TypeNotificationSent: notificationRecords,
		}),
	}
}

// recordMapper turns one event into the records it implies.
type recordMapper func(ev bus.Event) ([]Record, error)

func (b *Book) handler(m recordMapper) bus.Handler {
	return func(ctx context.Context, ev bus.Event) error {
		recs, err := m(ev)
		if err != nil {
			return bus.Permanent(fmt.Errorf("%s %s: %w", ev.Type(), ev.ID(), err))
		}
		return b.store.Put(ctx, ev.ID(), recs)
	}
}

func record(userID string, kind Kind, ref string, at time.Time, summary any) (Record, error) {
	raw, err := json.Marshal(summary)
	return Record{UserID: userID, Kind: kind, RefID: ref, Summary: raw, ChangedAt: at.UTC()}, err
}

type listingSummary struct {
	ListingID string        `json:"listing_id"`
	Title     string        `json:"title,omitempty"`
	City      string        `json:"city,omitempty"`
	Price     *events.Money `json:"price,omitempty"`
	Status    string        `json:"status"`
	At        time.Time     `json:"updated_at"`
}

func listingRecord(l events.Listing) ([]Record, error) {
	r, err := record(l.ProviderID, Listing, l.ID, l.UpdatedAt, listingSummary{
		ListingID: l.ID, Title: l.Title, City: l.Address.City, Price: &l.Price, Status: l.Status, At: l.UpdatedAt.UTC()})
	return []Record{r}, err
}

func listingCreatedRecords(ev bus.Event) ([]Record, error) {
	e, err := bus.DataOf[events.ListingCreated](ev)
	if err != nil {
		return nil, err
	}
	return listingRecord(e.Listing)
}

func listingUpdatedRecords(ev bus.Event) ([]Record, error) {
	e, err := bus.DataOf[events.ListingUpdated](ev)
	if err != nil {
		return nil, err
	}
	return listingRecord(e.Listing)
}

func listingDeletedRecords(ev bus.Event) ([]Record, error) {
	e, err := bus.DataOf[events.ListingDeleted](ev)
	if err != nil {
		return nil, err
	}
	r, err := record(e.ProviderID, Listing, e.ListingID, e.DeletedAt,
		listingSummary{ListingID: e.ListingID, Status: "deleted", At: e.DeletedAt.UTC()})
	return []Record{r}, err
}

type paymentSummary struct {
	PaymentID string        `json:"payment_id"`
	OrderID   string        `json:"order_id"`
	Status    string        `json:"status"`
	Amount    *events.Money `json:"amount,omitempty"`
	Refunded  *events.Money `json:"refunded,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	At        time.Time     `json:"at"`
}

func paymentSucceededRecords(ev bus.Event) ([]Record, error) {
	e, err := bus.DataOf[events.PaymentSucceeded](ev)
	if err != nil {
		return nil, err
	}
	r, err := record(e.CustomerID, Payment, e.PaymentID, e.SucceededAt, paymentSummary{
		PaymentID: e.PaymentID, OrderID: e.OrderID, Status: "succeeded", Amount: &e.Amount, At: e.SucceededAt.UTC()})
	return []Record{r}, err
}

func paymentFailedRecords(ev bus.Event) ([]Record, error) {
	e, err := bus.DataOf[events.PaymentFailed](ev)
	if err != nil {
		return nil, err
	}
	r, err := record(e.CustomerID, Payment, e.PaymentID, e.FailedAt, paymentSummary{
		PaymentID: e.PaymentID, OrderID: e.OrderID, Status: "failed", Amount: &e.Amount, Reason: e.Reason, At: e.FailedAt.UTC()})
	return []Record{r}, err
}

func paymentRefundedRecords(ev bus.Event) ([]Record, error) {
	e, err := bus.DataOf[events.PaymentRefunded](ev)
	if err != nil {
		return nil, err
	}
	r, err := record(e.CustomerID, Payment, e.PaymentID, e.RefundedAt, paymentSummary{
		PaymentID: e.PaymentID, OrderID: e.OrderID, Status: e.Status, Refunded: &e.TotalRefunded,
		Reason: e.Reason, At: e.RefundedAt.UTC()})
	return []Record{r}, err
}

type appointmentSummary struct {
	AppointmentID string    `json:"appointment_id"`
	TourID        string    `json:"tour_id"`
	RealtorID     string    `json:"realtor_id"`
	CustomerID    string    `json:"customer_id"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Status        string    `json:"status"`
	At            time.Time `json:"at"`
}

// appointmentRecords records an appointment for both its customer and its
// realtor.
func appointmentRecords[T any](parts func(T) (events.Appointment, time.Time)) recordMapper {
	return func(ev bus.Event) ([]Record, error) {
		e, err := bus.DataOf[T](ev)
		if err != nil {
			return nil, err
		}
		a, at := parts(e)
		summary := appointmentSummary{AppointmentID: a.AppointmentID, TourID: a.TourID, RealtorID: a.RealtorID,
			CustomerID: a.CustomerID, StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(), Status: a.Status, At: at.UTC()}
		var out []Record
		for _, user := range []string{a.CustomerID, a.RealtorID} {
			r, err := record(user, Appointment, a.AppointmentID, at, summary)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
}

type notificationSummary struct {
	NotificationID string    `json:"notification_id"`
	Kind           string    `json:"kind"`
	TourID         string    `json:"tour_id"`
	Channel        string    `json:"channel"`
	SentAt         time.Time `json:"sent_at"`
}

func notificationRecords(ev bus.Event) ([]Record, error) {
	e, err := bus.DataOf[events.NotificationSent](ev)
	if err != nil {
		return nil, err
	}
	r, err := record(e.UserID, Notification, e.NotificationID, e.SentAt, notificationSummary{
		NotificationID: e.NotificationID, Kind: e.Kind, TourID: e.TourID, Channel: e.Channel, SentAt: e.SentAt.UTC()})
	return []Record{r}, err
}
