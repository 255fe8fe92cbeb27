package appointment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestMostShowingsPerDayUnderRace: a home that takes at most 3 showings a
// day, 12 checkouts racing for it on one day through two instances, with
// a realtor free for each: exactly 3 are held and 9 refused as full (the
// count is taken under the home's lock). Another day is not counted, and
// a lapsed hold gives its place back.
func TestMostShowingsPerDayUnderRace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := open(t, "limits")
		realtors := make([]string, 12)
		for i := range realtors {
			realtors[i] = fmt.Sprintf("r%d", i)
		}
		avail := &liar{realtors: realtors}
		instances := []*fixture{newFixture(t, db, avail), newFixture(t, db, avail)}
		chicago, _ := time.LoadLocation("America/Chicago")
		day := func(d int) dayLimit {
			return dayLimit{ListingID: "home_1", Max: 3,
				From: time.Date(2026, 11, d, 0, 0, 0, 0, chicago), To: time.Date(2026, 11, d+1, 0, 0, 0, 0, chicago)}
		}
		hold := func(id string, start time.Time, limit dayLimit) holdRequest {
			h := holdFor(id, start)
			h.ListingIDs = []string{"home_1"}
			h.Limits = []dayLimit{limit}
			return h
		}
		var (
			wg         sync.WaitGroup
			mu         sync.Mutex
			held, full int
		)
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Date(2026, 11, 27, 9+i/2, 0, 0, 0, chicago)
				_, err := instances[i%2].svc.PlaceHold(context.Background(), hold(fmt.Sprint("order-", i), start, day(27)))
				mu.Lock()
				defer mu.Unlock()
				var f fullError
				switch {
				case err == nil:
					held++
				case errors.As(err, &f) && f.ListingID == "home_1":
					full++
				default:
					t.Errorf("hold %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if held != 3 || full != 9 {
			t.Fatalf("%d held, %d full; want 3 and 9", held, full)
		}
		ctx := context.Background()
		f := instances[0]
		// The next day is another count; a home id with a LIKE wildcard
		// counts only itself.
		if _, err := f.svc.PlaceHold(ctx, hold("next-day", time.Date(2026, 11, 28, 10, 0, 0, 0, chicago), day(28))); err != nil {
			t.Fatalf("another day: %v", err)
		}
		other := hold("other-home", time.Date(2026, 11, 27, 10, 0, 0, 0, chicago), dayLimit{ListingID: "home%1", Max: 1,
			From: day(27).From, To: day(27).To})
		other.ListingIDs = []string{"home%1"}
		if _, err := f.svc.PlaceHold(ctx, other); err != nil {
			t.Fatalf("a home whose id holds %%: %v", err)
		}
		// The showings per day that slots read count as the holds do.
		counts := func() []clients.ShowingDay {
			t.Helper()
			as, err := f.store.Showings(ctx, []string{"home_1", "home%1"}, day(26).From, day(29).From, "", f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return showingDays(as, []string{"home_1", "home%1"}, chicago)
		}
		want := []clients.ShowingDay{{ListingID: "home%1", Day: "2026-11-27", Count: 1},
			{ListingID: "home_1", Day: "2026-11-27", Count: 3}, {ListingID: "home_1", Day: "2026-11-28", Count: 1}}
		if got := counts(); !slices.Equal(got, want) {
			t.Fatalf("showing days %v, want %v", got, want)
		}
		// The holds lapse: the day has room again.
		for _, in := range instances {
			in.clock.Advance(time.Hour)
		}
		if got := counts(); len(got) != 0 {
			t.Fatalf("showing days after the holds lapsed: %v, want none", got)
		}
		if _, err := f.svc.PlaceHold(ctx, hold("after-lapse", time.Date(2026, 11, 27, 16, 0, 0, 0, chicago), day(27))); err != nil {
			t.Fatalf("after the holds lapsed: %v", err)
		}
	})
}
