package app_test

import (
	"fmt"
	"testing"
	"time"
)

// TestMultiHomeTourGetsARealtorCoveringEveryHome: the appointment service
// asks availability once for all the homes of a tour, and the realtor it
// assigns covers each of them: not the one nearest the first home, whose
// 30 km area misses the second (35 km from them), but the one between.
func TestMultiHomeTourGetsARealtorCoveringEveryHome(t *testing.T) {
	for name, cfg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			cfg.AdminEmail, cfg.AdminPassword = "root-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", "the admin passphrase"
			_, c := startApp(t, cfg)
			w := newWorld(t, c, cfg.AdminEmail, cfg.AdminPassword)
			first := w.listing("Loop loft", 41.88, -87.63)
			second := w.listing("Evanston house", 42.105, -87.63) // 25 km north
			_, nearFirst := w.realtor(41.79, -87.63)              // 10 km south of the first
			_, between := w.realtor(41.99, -87.63)                // 12 and 13 km

			w.checkout(w.customer, []string{first, second}, tomorrowLocal(10), "multi-"+w.suffix)
			var tour map[string]any
			eventually(t, "the two-home tour to be scheduled", 15*time.Second, func() bool {
				ts := w.tours(w.customer)
				if len(ts) == 1 && ts[0]["status"] == "scheduled" {
					tour = ts[0]
					return true
				}
				return false
			})
			if tour["realtor_id"] != between {
				t.Fatalf("tour realtor = %v, want %s (between the homes), not %s (near the first only)", tour["realtor_id"], between, nearFirst)
			}
		})
	}
}
