package web

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

func TestNewsOfCatalogueEvents(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tour := events.Tour{TourID: "t1", CustomerID: "cust", RealtorID: "real", PaymentID: "pay",
		Stops: []events.TourStop{{ListingID: "l1", ProviderID: "prov"}}}
	appt := events.Appointment{AppointmentID: "a1", TourID: "t1", RealtorID: "real", CustomerID: "cust"}
	listing := events.Listing{ID: "l1", ProviderID: "prov"}
	tests := []struct {
		typ     string
		data    any
		parties []string
		refs    map[string]string
	}{
		// A tour's customer and realtor, never the providers on its route.
		{events.TypeTourScheduled, events.TourScheduled{Tour: tour, At: now}, []string{"cust", "real"},
			map[string]string{"tour_id": "t1", "payment_id": "pay"}},
		{events.TypeAppointmentScheduled, events.AppointmentScheduled{Appointment: appt}, []string{"cust", "real"},
			map[string]string{"tour_id": "t1", "appointment_id": "a1"}},
		{events.TypePaymentRefunded, events.PaymentRefunded{PaymentID: "pay", CustomerID: "cust"}, []string{"cust"},
			map[string]string{"payment_id": "pay"}},
		{events.TypeListingCreated, events.ListingCreated{Listing: listing}, []string{"prov"},
			map[string]string{"listing_id": "l1"}},
		{events.TypeListingDeleted, events.ListingDeleted{ListingID: "l1", ProviderID: "prov"}, []string{"prov"},
			map[string]string{"listing_id": "l1"}},
		{events.TypeNotificationSent, events.NotificationSent{NotificationID: "n1", UserID: "cust", TourID: "t1"}, []string{"cust"},
			map[string]string{"notification_id": "n1", "tour_id": "t1"}},
		// The admin who verified is not a party; the verified user is.
		{events.TypeUserVerified, events.UserVerified{UserID: "prov", By: "admin"}, []string{"prov"}, map[string]string{}},
		{events.TypeRealtorProfileChanged, events.RealtorProfileChanged{RealtorID: "real"}, []string{"real"}, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			ev, err := bus.NewEvent(context.Background(), tc.typ, "subject", tc.data, now)
			if err != nil {
				t.Fatal(err)
			}
			n := newsOf(ev)
			got := slices.Clone(n.parties)
			slices.Sort(got)
			if !slices.Equal(got, tc.parties) {
				t.Errorf("parties = %v, want %v", got, tc.parties)
			}
			for k, v := range tc.refs {
				if n.refs[k] != v {
					t.Errorf("refs[%s] = %q, want %q (refs %v)", k, n.refs[k], v, n.refs)
				}
			}
			if len(n.refs) != len(tc.refs) {
				t.Errorf("refs = %v, want %v", n.refs, tc.refs)
			}
		})
	}
}
