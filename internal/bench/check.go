package bench

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/openhouse/openhouse/internal/demo"
)

// Correctness counts what must never happen, read back from the API with an
// admin token after the load.
type Correctness struct {
	// DoubleBookings is the number of pairs of active appointments of one
	// realtor whose times overlap.
	DoubleBookings int64 `json:"double_bookings"`
	// LostBookings is the number of checkouts answered 201 whose order has
	// no tour, or whose tour is still pending when the check gives up.
	LostBookings int64 `json:"lost_bookings"`
	// DuplicateCharges is the number of orders with more than one
	// succeeded payment (each extra payment counts once).
	DuplicateCharges int64 `json:"duplicate_charges"`
	// DuplicateTours is the number of tours beyond the first of an order:
	// a paid order applied twice.
	DuplicateTours int64 `json:"duplicate_tours"`
	// What was checked.
	Appointments int `json:"appointments_checked"`
	Tours        int `json:"tours_checked"`
	Payments     int `json:"payments_checked"`
}

// countDoubleBookings counts overlapping pairs of bookings (scheduled or
// confirmed appointments; holds are not bookings) per realtor.
func countDoubleBookings(apps []appointmentView) (pairs int64, active int) {
	byRealtor := map[string][]appointmentView{}
	for _, a := range apps {
		if a.Status != "scheduled" && a.Status != "confirmed" {
			continue
		}
		active++
		byRealtor[a.RealtorID] = append(byRealtor[a.RealtorID], a)
	}
	for _, list := range byRealtor {
		sort.Slice(list, func(i, j int) bool { return list[i].StartsAt.Before(list[j].StartsAt) })
		for i := range list {
			for j := i + 1; j < len(list) && list[j].StartsAt.Before(list[i].EndsAt); j++ {
				pairs++
			}
		}
	}
	return pairs, active
}

// countDuplicateCharges counts succeeded payments beyond the first per
// order.
func countDuplicateCharges(payments []paymentView) int64 {
	seen := map[string]int{}
	var dup int64
	for _, p := range payments {
		if p.Status != "succeeded" {
			continue
		}
		seen[p.OrderID]++
		if seen[p.OrderID] > 1 {
			dup++
		}
	}
	return dup
}

// countDuplicateTours counts tours beyond the first per order.
func countDuplicateTours(tours []tourView) int64 {
	seen := map[string]bool{}
	var dup int64
	for _, t := range tours {
		if seen[t.OrderID] {
			dup++
		}
		seen[t.OrderID] = true
	}
	return dup
}

// countLost counts orders with no tour or a tour still pending.
func countLost(orders []string, tours []tourView) (lost int64, pending []string) {
	byOrder := map[string]tourView{}
	for _, t := range tours {
		byOrder[t.OrderID] = t
	}
	for _, o := range orders {
		t, ok := byOrder[o]
		switch {
		case !ok || t.Status == "pending":
			lost++
			pending = append(pending, o)
		case t.Status == "scheduled", t.Status == "unassigned", t.Status == "cancelled", t.Status == "completed":
		default:
			lost++
			pending = append(pending, o)
		}
	}
	return lost, pending
}

// Check is Run's correctness check on demand, as the admin, of a system
// that was not necessarily loaded by this process (a restored one, say):
// every given order, and every order the system holds a succeeded payment
// for, must have a settled tour (it waits up to settle for them), and
// nothing may be double-booked, charged twice or toured twice.
func Check(ctx context.Context, baseURL, adminEmail, adminPassword string, orders []string, settle time.Duration) (Correctness, error) {
	a := newAPI(baseURL, 16)
	admin, err := demo.NewSeeder(baseURL, "", a.http).Login(adminEmail, adminPassword)
	if err != nil {
		return Correctness{}, fmt.Errorf("admin login: %w", err)
	}
	payments, err := listAll[paymentView](ctx, a, "/payments", admin)
	if err != nil {
		return Correctness{}, fmt.Errorf("read payments: %w", err)
	}
	all := slices.Clone(orders)
	for _, p := range payments {
		if p.Status == "succeeded" && !slices.Contains(all, p.OrderID) {
			all = append(all, p.OrderID)
		}
	}
	return checkCorrectness(ctx, a, admin, all, settle)
}

// checkCorrectness reads appointments, tours and payments as the admin.
// orders are the checkouts answered 201; the check waits up to settle for
// their tours to leave pending, re-reading the tours every 200 ms.
func checkCorrectness(ctx context.Context, a *api, adminToken string, orders []string, settle time.Duration) (Correctness, error) {
	var c Correctness
	deadline := time.Now().Add(settle)
	for {
		tours, err := listAll[tourView](ctx, a, "/tours", adminToken)
		if err != nil {
			return c, fmt.Errorf("read tours: %w", err)
		}
		var pending []string
		c.LostBookings, pending = countLost(orders, tours)
		c.DuplicateTours, c.Tours = countDuplicateTours(tours), len(tours)
		if len(pending) == 0 || !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(200 * time.Millisecond): // polling the API, not synchronising goroutines
		}
	}
	apps, err := listAll[appointmentView](ctx, a, "/appointments", adminToken)
	if err != nil {
		return c, fmt.Errorf("read appointments: %w", err)
	}
	c.DoubleBookings, c.Appointments = countDoubleBookings(apps)
	payments, err := listAll[paymentView](ctx, a, "/payments", adminToken)
	if err != nil {
		return c, fmt.Errorf("read payments: %w", err)
	}
	c.DuplicateCharges, c.Payments = countDuplicateCharges(payments), len(payments)
	return c, nil
}
