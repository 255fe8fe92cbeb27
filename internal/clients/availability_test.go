package clients_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/availability"
	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// noWatch feeds the availability service nothing: the test fills its
// index directly.
type noWatch struct{}

func (noWatch) Watch(context.Context, string, []string, func(bus.Event)) (func(), error) {
	return func() {}, nil
}

// serviceToken is a TokenSource of one service identity.
type serviceToken string

func (s serviceToken) Token(context.Context) (string, error) { return string(s), nil }

// availabilityAPI serves the real availability routes on an in-memory
// index, behind the real authentication, and returns the index and a
// token issuer.
func availabilityAPI(t *testing.T) (string, availability.Index, func(auth.Principal) serviceToken) {
	t.Helper()
	idx, err := availability.NewMemory(availability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := availability.New(idx, noWatch{}, availability.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv, issuer := authtest.Serve(t, svc.Routes(), nil)
	return srv.URL, idx, func(p auth.Principal) serviceToken {
		tok, _, err := issuer.Issue(p)
		if err != nil {
			t.Fatal(err)
		}
		return serviceToken(tok)
	}
}

// TestAvailabilitySlots calls GET /availability/slots through the client,
// as the cart does.
func TestAvailabilitySlots(t *testing.T) {
	url, idx, token := availabilityAPI(t)
	chicago, _ := time.LoadLocation("America/Chicago")
	at := func(hh, mm int) time.Time { return time.Date(2026, 12, 1, hh, mm, 0, 0, chicago) }
	home := events.GeoPoint{Lat: 41.8781, Lng: -87.6298}
	ctx := context.Background()
	var hours []availability.WorkingHours
	for d := 1; d <= 7; d++ {
		hours = append(hours, availability.WorkingHours{Weekday: d, Start: "09:00", End: "17:00"})
	}
	if err := idx.PutRealtor(ctx, availability.Realtor{ID: "r", Location: &availability.Point{Lat: 41.89, Lng: -87.63}, ServiceRadiusKM: 10,
		TimeZone: "America/Chicago", WorkingHours: hours, Status: availability.StatusAvailable, Verified: true, Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := idx.Reserve(ctx, "r", "tour", at(12, 0), at(13, 0)); err != nil {
		t.Fatal(err)
	}
	cart := clients.NewAvailability(url, nil, token(auth.ServicePrincipal("cart")), clients.Options{})
	got, err := cart.Slots(ctx, clients.SlotQuery{Points: []events.GeoPoint{home, home}, Length: time.Hour,
		Ranges: []clients.StartRange{{From: at(8, 0), To: at(10, 0)}, {From: at(13, 0), To: at(17, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	// 09:00 to 10:00, then from 13:30 (the hold and its 30-minute buffer)
	// to 16:00, every 15 minutes.
	var want []time.Time
	for s := at(9, 0); !s.After(at(10, 0)); s = s.Add(15 * time.Minute) {
		want = append(want, s)
	}
	for s := at(13, 30); !s.After(at(16, 0)); s = s.Add(15 * time.Minute) {
		want = append(want, s)
	}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("slots:\n got  %v\n want %v", got, want)
	}
	got, err = cart.Slots(ctx, clients.SlotQuery{Points: []events.GeoPoint{home}, Length: 90 * time.Minute, Step: time.Hour,
		Ranges: []clients.StartRange{{From: at(14, 0), To: at(17, 0)}}})
	if err != nil || !slices.EqualFunc(got, []time.Time{at(14, 0), at(15, 0)}, time.Time.Equal) {
		t.Fatalf("slots every hour: %v, %v", got, err)
	}
	if got, err := cart.Slots(ctx, clients.SlotQuery{Points: []events.GeoPoint{home}, Length: time.Hour}); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("no ranges: %v, %v", got, err)
	}

	_, err = cart.Slots(ctx, clients.SlotQuery{Points: []events.GeoPoint{home}, Length: 13 * time.Hour,
		Ranges: []clients.StartRange{{From: at(8, 0), To: at(10, 0)}}})
	var apiErr *clients.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || len(apiErr.Problem.Errors) != 1 || apiErr.Problem.Errors[0].Field != "length" {
		t.Fatalf("a 13-hour tour: %v, want a 400 naming length", err)
	}
	notification := clients.NewAvailability(url, nil, token(auth.ServicePrincipal("notification")), clients.Options{})
	_, err = notification.Slots(ctx, clients.SlotQuery{Points: []events.GeoPoint{home}, Length: time.Hour,
		Ranges: []clients.StartRange{{From: at(8, 0), To: at(10, 0)}}})
	if !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Fatalf("as the notification service: %v, want 403", err)
	}
}

// TestSearchBoundsAreTheAPIs: the client's bounds are the ones the
// availability API enforces, so a caller within them is never refused.
func TestSearchBoundsAreTheAPIs(t *testing.T) {
	if clients.MaxSearchLimit != httpapi.MaxLimit {
		t.Errorf("MaxSearchLimit = %d, the API's page bound is %d", clients.MaxSearchLimit, httpapi.MaxLimit)
	}
}
