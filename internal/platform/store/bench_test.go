package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// BenchmarkConcurrentWrites measures write transactions on one SQLite
// database from 16 goroutines at once, as a service sees them when its
// HTTP handlers, event consumers and outbox relay all write: each
// transaction reads a counter and writes it back with a new row. It reports
// the latency percentiles of InTx (waiting for the writer included) and
// transactions per second. SQLite has one writer per file; how waiting
// writers queue decides the tail (see writelock.go). InGroupTx shares a
// commit between the writers waiting together (group.go).
func BenchmarkConcurrentWrites(b *testing.B) {
	b.Run("InTx", func(b *testing.B) { concurrentWrites(b, (*store.DB).InTx) })
	b.Run("InGroupTx", func(b *testing.B) { concurrentWrites(b, (*store.DB).InGroupTx) })
}

func concurrentWrites(b *testing.B, inTx func(db *store.DB, ctx context.Context, fn func(*sql.Tx) error) error) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, "things")
	if err := db.Migrate(ctx, "things", migrations, "."); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('c', 0)`); err != nil {
		b.Fatal(err)
	}
	const writers = 16
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, b.N)
		wg   sync.WaitGroup
	)
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/writers+1)
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					break
				}
				t0 := time.Now()
				err := inTx(db, ctx, func(tx *sql.Tx) error {
					var v int
					if err := tx.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'c'`).Scan(&v); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `UPDATE counters SET value = $1 WHERE name = 'c'`, v+1); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `INSERT INTO things (id, n) VALUES ($1, $2)`, fmt.Sprint("t", i), v)
					return err
				})
				if err != nil {
					b.Error(err)
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var v int
	if err := db.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'c'`).Scan(&v); err != nil {
		b.Fatal(err)
	}
	if v != b.N {
		b.Fatalf("counter %d after %d transactions: a write was lost", v, b.N)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
}
