package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// fakeAdminAPI serves canned lists, two items a page, and checks the
// admin token.
func fakeAdminAPI(t *testing.T, lists map[string][]any) *api {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer admin-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		items, ok := lists[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		to := min(from+2, len(items))
		body := map[string]any{"items": items[from:to]}
		if to < len(items) {
			body["next_cursor"] = strconv.Itoa(to)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return newAPI(srv.URL, 4)
}

func TestCheckCorrectness(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, time.UTC) }
	app := func(id, realtor string, from, to time.Time, status string) any {
		return appointmentView{ID: id, RealtorID: realtor, StartsAt: from, EndsAt: to, Status: status}
	}
	pay := func(id, order, status string) any { return paymentView{ID: id, OrderID: order, Status: status} }
	tour := func(id, order, status string) any { return tourView{ID: id, OrderID: order, Status: status} }
	clean := map[string][]any{
		"/appointments": {
			app("a1", "r1", at(10, 0), at(11, 0), "scheduled"),
			app("a2", "r1", at(11, 0), at(12, 0), "confirmed"), // back to back is not an overlap
			app("a3", "r2", at(10, 0), at(11, 0), "scheduled"),
			app("a4", "r1", at(10, 30), at(11, 30), "released"), // released: not a booking
		},
		"/payments": {pay("p1", "o1", "succeeded"), pay("p2", "o2", "succeeded"), pay("p3", "o3", "failed"), pay("p4", "o3", "succeeded")},
		"/tours":    {tour("t1", "o1", "scheduled"), tour("t2", "o2", "unassigned"), tour("t3", "o3", "cancelled")},
	}
	broken := map[string][]any{
		"/appointments": append(append([]any{}, clean["/appointments"]...),
			app("a5", "r2", at(10, 59), at(12, 0), "scheduled"), // overlaps a3
			app("a6", "r1", at(9, 0), at(13, 0), "scheduled"),   // overlaps a1 and a2
		),
		"/payments": append(append([]any{}, clean["/payments"]...), pay("p5", "o1", "succeeded"), pay("p6", "o1", "succeeded"), pay("p7", "o2", "refunded")),
		// o2 has no tour, o3's is stuck, o1 was toured twice
		"/tours": {tour("t1", "o1", "scheduled"), tour("t3", "o3", "pending"), tour("t4", "o1", "scheduled")},
	}
	tests := []struct {
		name  string
		lists map[string][]any
		want  Correctness
	}{
		{"clean", clean, Correctness{Appointments: 3, Tours: 3, Payments: 4}},
		{"broken", broken, Correctness{DoubleBookings: 3, LostBookings: 2, DuplicateCharges: 2, DuplicateTours: 1, Appointments: 5, Tours: 3, Payments: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fakeAdminAPI(t, tt.lists)
			got, err := checkCorrectness(context.Background(), a, "admin-token", []string{"o1", "o2", "o3"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got.Failed() != (tt.name == "broken") {
				t.Fatalf("Failed() = %v", got.Failed())
			}
		})
	}
	if _, err := checkCorrectness(context.Background(), fakeAdminAPI(t, clean), "not-admin", nil, 0); err == nil {
		t.Fatal("a 401 from the API is not an error")
	}
}
