package tour

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// The tour service keeps the newest name of each realtor, whatever order
// the news arrives in and however often it is repeated, on each engine.
func TestRealtorNamesKeepTheNewestChange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		st, err := NewSQLStore(ctx, open(t, "tour"), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		for _, r := range []realtorName{
			{ID: "r-1", Name: "Rita", ChangedAt: at},
			{ID: "r-1", Name: "Rita Moreno", ChangedAt: at.Add(time.Minute)},
			{ID: "r-1", Name: "Rita (late, older news)", ChangedAt: at.Add(30 * time.Second)},
			{ID: "r-1", Name: "Rita (same instant)", ChangedAt: at.Add(time.Minute)},
			{ID: "r-2", Name: "Rob", ChangedAt: at},
			{ID: "r-2", Name: "Rob", ChangedAt: at}, // a redelivery
		} {
			if err := st.SaveRealtor(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.RealtorNames(ctx, []string{"r-1", "r-2", "r-1", "r-unknown"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"r-1": "Rita Moreno", "r-2": "Rob"}; !maps.Equal(got, want) {
			t.Fatalf("names = %v, want %v", got, want)
		}
		if got, err := st.RealtorNames(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("names of nobody = %v, %v", got, err)
		}
	})
}
