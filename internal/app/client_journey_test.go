package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/openhouse/openhouse/internal/app/apiclient"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
)

// TestGeneratedClientBooksATour drives the booking journey with the Go
// client oapi-codegen generated from docs/openapi.json
// (internal/app/apiclient), against a running server, as an integrator
// would: register a customer, a provider and a realtor (an admin verifies
// the latter two), the realtor's working profile, a listing, a search, the
// cart, a checkout, the tour becoming scheduled, the realtor confirming it
// and the customer being told. Its exchanges are also checked against the
// document. (GET /cart/slots joins the journey once that route is served.)
func TestGeneratedClientBooksATour(t *testing.T) {
	cfg := withServiceSecrets(backends(t)["embedded"])
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	_, c := startApp(t, cfg)
	ctx := context.Background()
	api, err := apiclient.NewClientWithResponses(c.base, apiclient.WithHTTPClient(apidoctest.Client(t)))
	if err != nil {
		t.Fatal(err)
	}
	as := func(token string) apiclient.RequestEditorFn {
		return func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}
	}
	login := func(email, password string) string {
		t.Helper()
		r, err := api.PostIamLoginWithResponse(ctx, apiclient.LoginRequest{Email: email, Password: password})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("login %s: %v %d %s", email, err, r.StatusCode(), r.Body)
		}
		return r.JSON200.AccessToken
	}
	admin := login(cfg.AdminEmail, cfg.AdminPassword)
	register := func(role apiclient.RegisterRequestRole) (id, token string) {
		t.Helper()
		email := fmt.Sprintf("%s@example.com", role)
		r, err := api.PostIamRegisterWithResponse(ctx, apiclient.RegisterRequest{Email: openapi_types.Email(email), Password: "a decent passphrase", Name: "Ada " + string(role), Role: role})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("register %s: %v %d %s", role, err, r.StatusCode(), r.Body)
		}
		if role != apiclient.RegisterRequestRoleCustomer {
			v, err := api.PatchIamUsersByIdWithResponse(ctx, r.JSON201.Id, apiclient.AdminUpdateRequest{Verified: new(true)}, as(admin))
			if err != nil || v.JSON200 == nil || !v.JSON200.Verified {
				t.Fatalf("verify %s: %v %d %s", role, err, v.StatusCode(), v.Body)
			}
		}
		return r.JSON201.Id, login(email, "a decent passphrase")
	}
	customerID, customer := register(apiclient.RegisterRequestRoleCustomer)
	_, provider := register(apiclient.RegisterRequestRoleProvider)
	realtorID, realtor := register(apiclient.RegisterRequestRoleRealtor)

	hours := []apiclient.WorkingHours{}
	for day := 1; day <= 7; day++ {
		hours = append(hours, apiclient.WorkingHours{Weekday: day, Start: "08:00", End: "20:00"})
	}
	status := apiclient.UpdateMeRequestStatusAvailable
	if r, err := api.PatchIamMeWithResponse(ctx, apiclient.UpdateMeRequest{
		Location: &apiclient.IamGeoPoint{Lat: 41.88, Lng: -87.63}, ServiceRadiusKm: new(30.0),
		TimeZone: new("America/Chicago"), WorkingHours: &hours, Status: &status}, as(realtor)); err != nil || r.JSON200 == nil {
		t.Fatalf("realtor profile: %v %d %s", err, r.StatusCode(), r.Body)
	}

	var listingID string
	eventually(t, "the listing service to accept the verified provider", 10*time.Second, func() bool {
		r, err := api.PostListingsWithResponse(ctx, apiclient.ListingBody{
			Title: "Loop loft", Description: new("Two bedrooms by the river."), TimeZone: "America/Chicago",
			Address:  apiclient.AddressBody{Line1: "1 Main St", City: "Chicago", Region: new("IL"), PostalCode: new("60601"), Country: "US"},
			Location: apiclient.LocationBody{Lat: 41.8781, Lng: -87.6298},
			Price:    apiclient.MoneyBody{Amount: 45000000, Currency: "USD"}, TourFee: apiclient.MoneyBody{Amount: 2500, Currency: "USD"},
			Bedrooms: 2, Bathrooms: 1,
		}, as(provider))
		if err != nil {
			t.Fatal(err)
		}
		if r.JSON201 != nil {
			listingID = r.JSON201.Id
		}
		return r.JSON201 != nil
	})

	near := "41.88,-87.63"
	search, err := api.GetListingsWithResponse(ctx, &apiclient.GetListingsParams{Near: &near}, as(customer))
	if err != nil || search.JSON200 == nil || len(search.JSON200.Items) != 1 || search.JSON200.Items[0].Id != listingID {
		t.Fatalf("search near the home: %v %d %s", err, search.StatusCode(), search.Body)
	}
	if r, err := api.PostCartItemsWithResponse(ctx, apiclient.AddRequest{ListingId: listingID}, as(customer)); err != nil || r.JSON200 == nil {
		t.Fatalf("add to cart: %v %d %s", err, r.StatusCode(), r.Body)
	}
	cart, err := api.GetCartWithResponse(ctx, as(customer))
	if err != nil || cart.JSON200 == nil || len(cart.JSON200.Items) != 1 || cart.JSON200.Total.Amount != 2500 {
		t.Fatalf("cart: %v %d %s", err, cart.StatusCode(), cart.Body)
	}

	// The open slots first, as a client would: the realtor's profile
	// reaches availability over the bus, so tomorrow at 10:00 opens soon.
	start := tomorrowAt(10)
	day, days := start.Format(time.DateOnly), 1
	eventually(t, "tomorrow 10:00 among the cart's open slots", 20*time.Second, func() bool {
		r, err := api.GetCartSlotsWithResponse(ctx, &apiclient.GetCartSlotsParams{From: &day, Days: &days}, as(customer))
		if err != nil || r.JSON200 == nil {
			t.Fatalf("slots: %v %d %s", err, r.StatusCode(), r.Body)
		}
		for _, s := range r.JSON200.Items {
			if s.Start.Equal(start) {
				return r.JSON200.TimeZone == "America/Chicago" && r.JSON200.DurationMinutes == 30
			}
		}
		return false
	})
	paid, err := api.PostCartCheckoutWithResponse(ctx, &apiclient.PostCartCheckoutParams{IdempotencyKey: "journey-1"},
		apiclient.CheckoutRequest{ScheduledAt: start, PaymentMethod: "tok_visa"}, as(customer))
	if err != nil || paid.JSON201 == nil || paid.JSON201.Payment.Status != "succeeded" {
		t.Fatalf("checkout: %v %d %s", err, paid.StatusCode(), paid.Body)
	}
	orderID := paid.JSON201.OrderId

	var tourID string
	eventually(t, "the tour to be scheduled with the realtor", 20*time.Second, func() bool {
		r, err := api.GetToursWithResponse(ctx, &apiclient.GetToursParams{OrderId: &orderID}, as(customer))
		if err != nil || r.JSON200 == nil {
			t.Fatalf("tours: %v %d %s", err, r.StatusCode(), r.Body)
		}
		if len(r.JSON200.Items) != 1 {
			return false
		}
		tr := r.JSON200.Items[0]
		if tr.Status == apiclient.TourStatusScheduled {
			if tr.RealtorId == nil || *tr.RealtorId != realtorID || tr.CustomerId != customerID || !tr.ScheduledAt.Equal(start) {
				t.Fatalf("scheduled tour: %+v", tr)
			}
			tourID = tr.Id
			return true
		}
		return false
	})

	// The realtor finds the assignment in their records and confirms it.
	var appointmentID string
	eventually(t, "the assignment in the realtor's records", 10*time.Second, func() bool {
		me, err := api.GetIamMeWithResponse(ctx, as(realtor))
		if err != nil || me.JSON200 == nil {
			t.Fatalf("me: %v %d %s", err, me.StatusCode(), me.Body)
		}
		for _, rec := range me.JSON200.Records.Appointments {
			if rec != nil && (*rec)["tour_id"] == tourID {
				appointmentID, _ = (*rec)["appointment_id"].(string)
			}
		}
		return appointmentID != ""
	})
	confirmed, err := api.PostAppointmentsByIdConfirmWithResponse(ctx, appointmentID, as(realtor))
	if err != nil || confirmed.JSON200 == nil || confirmed.JSON200.Status != apiclient.AppointmentStatusConfirmed {
		t.Fatalf("confirm: %v %d %s", err, confirmed.StatusCode(), confirmed.Body)
	}
	eventually(t, "the customer to be told that the realtor confirmed", 15*time.Second, func() bool {
		inbox, err := api.GetNotificationsWithResponse(ctx, &apiclient.GetNotificationsParams{}, as(customer))
		if err != nil || inbox.JSON200 == nil {
			t.Fatalf("inbox: %v %d %s", err, inbox.StatusCode(), inbox.Body)
		}
		for _, n := range inbox.JSON200.Items {
			if n.TourId == tourID && n.Kind == apiclient.TourConfirmed {
				return true
			}
		}
		return false
	})
}

// tomorrowAt is hour o'clock tomorrow in Chicago.
func tomorrowAt(hour int) time.Time {
	return at(1, hour).Truncate(time.Second)
}
