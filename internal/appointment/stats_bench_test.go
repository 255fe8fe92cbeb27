package appointment

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// BenchmarkStats10k measures the booking history an assignment reads to
// rank its candidates: Stats of 20 realtors over a store holding 10,000
// appointments of 50 realtors (a tenth released, a twentieth held), spread
// over 20 weeks. Its cost should not grow with the history.
func BenchmarkStats10k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchStats(b, storetest.OpenSQLite(b, "stats")) })
	b.Run("postgres", func(b *testing.B) { benchStats(b, storetest.OpenPostgres(b, "stats")) })
}

func benchStats(b *testing.B, db *store.DB) {
	ctx := context.Background()
	if err := outbox.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)
	st, err := NewSQLStore(ctx, db, func() time.Time { return t0 })
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20, 20))
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		for i := range 10_000 {
			start := t0.Add(time.Duration(rng.IntN(20*7*24)) * time.Hour)
			a := appointment{ID: fmt.Sprintf("a%05d", i), TourID: fmt.Sprintf("t%05d", i), RealtorID: fmt.Sprintf("r%02d", rng.IntN(50)),
				CustomerID: "c", ListingIDs: []string{"l"}, StartsAt: start, EndsAt: start.Add(time.Hour), Status: Scheduled,
				CreatedAt: start.Add(-48 * time.Hour), UpdatedAt: start.Add(-48 * time.Hour)}
			switch rng.IntN(20) {
			case 0, 1:
				a.Status, a.ReleaseReason = Released, "cancelled"
			case 2:
				a.Status, a.ExpiresAt = held, start
			}
			if err := insertAppointment(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%02d", i*2)
	}
	weekStart, weekEnd := weekOf(t0.Add(10 * 7 * 24 * time.Hour))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.Stats(ctx, ids, weekStart, weekEnd); err != nil {
			b.Fatal(err)
		}
	}
}
