package web

import (
	"encoding/json"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// about is what the live stream reads of an event's data, in the field
// names of the event catalogue (internal/events): the users it concerns (the
// customer and realtor of a tour or appointment, the customer of a payment,
// the provider of a listing, the user of an account or notification) and
// the ids of the resources it is about.
type about struct {
	UserID     string `json:"user_id"`
	CustomerID string `json:"customer_id"`
	RealtorID  string `json:"realtor_id"`
	ProviderID string `json:"provider_id"`
	Listing    *struct {
		ID         string `json:"id"`
		ProviderID string `json:"provider_id"`
	} `json:"listing"`

	TourID         string `json:"tour_id"`
	AppointmentID  string `json:"appointment_id"`
	PaymentID      string `json:"payment_id"`
	ListingID      string `json:"listing_id"`
	NotificationID string `json:"notification_id"`
}

// news is who may hear of an event and what it is about.
type news struct {
	// parties are the users the event is about; only they (and admins)
	// hear of it on the live stream. An event whose data names nobody, or
	// does not decode, is for admins only. The providers of the homes on a
	// tour's route are not parties to the tour (the API does not show them
	// tours either).
	parties []string
	// refs are the ids of the resources the event is about, by kind
	// ("tour_id": "..."), so that a client knows what to reload through the
	// API, which applies its own access rules.
	refs map[string]string
}

func newsOf(ev bus.Event) news {
	var a about
	if err := json.Unmarshal(ev.Data(), &a); err != nil {
		return news{}
	}
	n := news{refs: map[string]string{}}
	for _, id := range []string{a.UserID, a.CustomerID, a.RealtorID, a.ProviderID} {
		if id != "" {
			n.parties = append(n.parties, id)
		}
	}
	if a.Listing != nil {
		if a.Listing.ProviderID != "" {
			n.parties = append(n.parties, a.Listing.ProviderID)
		}
		if a.ListingID == "" {
			a.ListingID = a.Listing.ID
		}
	}
	for kind, id := range map[string]string{"tour_id": a.TourID, "appointment_id": a.AppointmentID,
		"payment_id": a.PaymentID, "listing_id": a.ListingID, "notification_id": a.NotificationID} {
		if id != "" {
			n.refs[kind] = id
		}
	}
	return n
}
