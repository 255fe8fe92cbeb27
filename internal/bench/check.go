package bench

import (
	"context"
	"fmt"
	"sort"
	"time"
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
	// What was checked.
	Appointments int `json:"appointments_checked"`
	Tours        int `json:"tours_checked"`
	Payments     int `json:"payments_checked"`
}

// countDoubleBookings counts overlapping pairs of active (not released)
// appointments per realtor.
func countDoubleBookings(apps []appointmentView) (pairs int64, active int) {
	byRealtor := map[string][]appointmentView{}
	for _, a := range apps {
		if a.Status == "released" {
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
		c.Tours = len(tours)
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
