package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/availability"
	"github.com/openhouse/openhouse/internal/cart"
	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// indexSlots serves the cart's slot questions from an availability index
// in this process, as GET /availability/slots does.
type indexSlots struct{ index availability.Index }

func (s indexSlots) Slots(ctx context.Context, q clients.SlotQuery) ([]time.Time, error) {
	aq := availability.SlotQuery{Point: availability.Point{Lat: q.Points[0].Lat, Lng: q.Points[0].Lng}, Step: q.Step, Length: q.Length}
	for _, p := range q.Points[1:] {
		aq.Also = append(aq.Also, availability.Point{Lat: p.Lat, Lng: p.Lng})
	}
	for _, r := range q.Ranges {
		aq.Ranges = append(aq.Ranges, availability.StartRange{From: r.From, To: r.To})
	}
	return s.index.FreeStarts(ctx, aq)
}

type oneHome struct{ l clients.Listing }

func (o oneHome) Get(context.Context, string) (clients.Listing, error) { return o.l, nil }

type noPayments struct{}

func (noPayments) Charge(context.Context, string, clients.ChargeRequest) (clients.Payment, error) {
	panic("not charged in this test")
}

type noHolds struct{}

func (noHolds) PlaceHold(context.Context, clients.HoldRequest) (clients.Hold, error) {
	panic("not held in this test")
}
func (noHolds) ReleaseHold(context.Context, string) error { return nil }

func (noHolds) ShowingDays(context.Context, []string, string, time.Time, int, string) (map[string]map[string]int, error) {
	return nil, nil
}

// TestSlotsAcrossDaylightSaving: the week Chicago moves to daylight time
// (Sunday 14 March 2027, 02:00), a cart's open slots are right on the
// homes' clock (08:00 to 20:00 local every day) and on each realtor's own:
// one works 09:00-12:00 in Chicago, whose hours stay 09:00-12:00 local on
// both sides of the change; one works 13:00-14:00 in London (still on
// GMT), which is 07:00 in Chicago on Saturday (before the homes' day) and
// 08:00 from Sunday on.
func TestSlotsAcrossDaylightSaving(t *testing.T) {
	ctx := context.Background()
	chicago, _ := time.LoadLocation("America/Chicago")
	clk := clock.NewFake(time.Date(2027, 3, 11, 12, 0, 0, 0, time.UTC))
	index, err := availability.NewMemory(availability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	here := &availability.Point{Lat: 41.88, Lng: -87.63}
	for _, r := range []availability.Realtor{
		{ID: "chicago", TimeZone: "America/Chicago", WorkingHours: everyDay("09:00", "12:00")},
		{ID: "london", TimeZone: "Europe/London", WorkingHours: everyDay("13:00", "14:00")},
	} {
		r.Location, r.ServiceRadiusKM, r.Status, r.Verified, r.Active, r.UpdatedAt = here, 25, availability.StatusAvailable, true, true, clk.Now()
		if err := index.PutRealtor(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	db := storetest.OpenSQLite(t, "cart")
	if err := outbox.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st, err := cart.NewSQLStore(ctx, db, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	home := clients.Listing{ID: "loop", Title: "Loop loft", Status: "active", TimeZone: "America/Chicago",
		Location: events.GeoPoint{Lat: 41.8781, Lng: -87.6298}, TourFee: events.Money{Amount: 2500, Currency: "USD"}}
	svc, err := cart.New(st, cart.Peers{Listings: oneHome{home}, Payments: noPayments{}, Holds: noHolds{}, Slots: indexSlots{index}},
		cart.Config{Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Add(ctx, "cust", "loop"); err != nil {
		t.Fatal(err)
	}
	slots, err := svc.Slots(ctx, "cust", tourplan.SlotsQuery{From: time.Date(2027, 3, 13, 0, 0, 0, 0, time.UTC), Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, s := range slots.Items {
		local := s.Start.In(chicago)
		if _, off := s.Start.Zone(); off != func() int { _, o := local.Zone(); return o }() {
			t.Fatalf("slot %v is not given in the homes' offset", s.Start)
		}
		got[local.Format("Mon")] = append(got[local.Format("Mon")], local.Format("15:04"))
	}
	chicagoHours := []string{"09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00", "11:15", "11:30"}
	want := map[string][]string{
		"Sat": chicagoHours,
		"Sun": append([]string{"08:00", "08:15", "08:30"}, chicagoHours...),
		"Mon": append([]string{"08:00", "08:15", "08:30"}, chicagoHours...),
	}
	for day, w := range want {
		if len(got[day]) != len(w) {
			t.Fatalf("%s: %v, want %v", day, got[day], w)
		}
		for i := range w {
			if got[day][i] != w[i] {
				t.Fatalf("%s: %v, want %v", day, got[day], w)
			}
		}
	}
	if len(got) != 3 || slots.TimeZone != "America/Chicago" || slots.DurationMinutes != 30 {
		t.Fatalf("slots = %+v", slots)
	}
}

func everyDay(start, end string) []availability.WorkingHours {
	var out []availability.WorkingHours
	for d := 1; d <= 7; d++ {
		out = append(out, availability.WorkingHours{Weekday: d, Start: start, End: end})
	}
	return out
}
