// Package idempotencytest is the contract suite of an idempotency_keys
// table: the idempotency package runs it on a table of its own, and each
// service that keeps one (cart, payment) runs it on its database as its
// store migrated it, on SQLite and on PostgreSQL.
package idempotencytest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// Run checks db's idempotency_keys table against the contract: records
// round-trip (answers byte for byte), a key is created once, Decide on a
// locked record lets exactly one of many concurrent claimers resume it,
// and Prune sweeps what it should and nothing else.
func Run(t *testing.T, db *store.DB) {
	ctx := context.Background()
	tab := idempotency.NewTable(db)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	get := func(t *testing.T, scope, key string) (idempotency.Record, error) {
		var r idempotency.Record
		err := db.InTx(ctx, func(tx *sql.Tx) (err error) { r, err = tab.Get(ctx, tx, scope, key); return })
		return r, err
	}
	write := func(t *testing.T, fn func(tx *sql.Tx) error) error { return db.InTx(ctx, fn) }

	t.Run("round trip", func(t *testing.T) {
		if _, err := get(t, "s", "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing key = %v, want ErrNotFound", err)
		}
		rec := idempotency.Record{Scope: "charge:service:cart", Key: "k-1", RequestHash: "h1", ResourceID: "p-1",
			LeaseUntil: t0.Add(time.Minute), CreatedAt: t0}
		if err := write(t, func(tx *sql.Tx) error { return tab.Create(ctx, tx, rec) }); err != nil {
			t.Fatal(err)
		}
		if err := write(t, func(tx *sql.Tx) error { return tab.Create(ctx, tx, rec) }); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second Create = %v, want ErrConflict", err)
		}
		other := rec
		other.Scope = "charge:service:other"
		if err := write(t, func(tx *sql.Tx) error { return tab.Create(ctx, tx, other) }); err != nil {
			t.Fatalf("the same key in another scope = %v", err)
		}
		got, err := get(t, rec.Scope, rec.Key)
		if err != nil || got.RequestHash != "h1" || got.ResourceID != "p-1" || !got.LeaseUntil.Equal(rec.LeaseUntil) ||
			!got.CreatedAt.Equal(t0) || got.Answer != nil || !got.CompletedAt.IsZero() {
			t.Fatalf("read back %+v, %v", got, err)
		}
		// An answer with bytes JSON text would not survive unchanged.
		body := []byte("{\"a\":\"\\u00e9 \\\\ é\"}\n\x00\xff")
		got.Complete(idempotency.Answer{Status: 402, ContentType: "application/problem+json", Body: body, Location: "/x", Replayed: true}, t0.Add(time.Second))
		if err := write(t, func(tx *sql.Tx) error { return tab.Save(ctx, tx, got) }); err != nil {
			t.Fatal(err)
		}
		done, err := get(t, rec.Scope, rec.Key)
		if err != nil || done.Answer == nil || done.Answer.Status != 402 || done.Answer.ContentType != "application/problem+json" ||
			string(done.Answer.Body) != string(body) || done.Answer.Location != "" || done.Answer.Replayed ||
			!done.LeaseUntil.IsZero() || !done.CompletedAt.Equal(t0.Add(time.Second)) {
			t.Fatalf("answered record read back %+v (answer %+v), %v", done, done.Answer, err)
		}
		v, err := done.Decide("h1", t0)
		if v != idempotency.Replay || err != nil || !done.Answer.Replayed {
			t.Fatalf("Decide on an answered record = %v, %v", v, err)
		}
		if _, err := done.Decide("h2", t0); !errors.Is(err, idempotency.ErrKeyReused) {
			t.Fatalf("Decide with another hash = %v, want ErrKeyReused", err)
		}
		missing := idempotency.Record{Scope: "s", Key: "never", CreatedAt: t0}
		if err := write(t, func(tx *sql.Tx) error { return tab.Save(ctx, tx, missing) }); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Save of a missing record = %v, want ErrNotFound", err)
		}
		if err := write(t, func(tx *sql.Tx) error { return tab.Delete(ctx, tx, other.Scope, other.Key) }); err != nil {
			t.Fatal(err)
		}
		if _, err := get(t, other.Scope, other.Key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after Delete = %v", err)
		}
	})

	t.Run("one claimer resumes", func(t *testing.T) {
		// A record whose holder died (lease over): of 8 concurrent
		// claimers, each deciding in its own transaction on the locked
		// record, exactly one resumes; the others see it busy.
		rec := idempotency.Record{Scope: "s", Key: "abandoned", RequestHash: "h", ResourceID: "r",
			LeaseUntil: t0.Add(-time.Second), CreatedAt: t0.Add(-time.Minute)}
		if err := write(t, func(tx *sql.Tx) error { return tab.Create(ctx, tx, rec) }); err != nil {
			t.Fatal(err)
		}
		const n = 8
		verdicts := make([]idempotency.Verdict, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					r, err := tab.Get(ctx, tx, rec.Scope, rec.Key)
					if err != nil {
						return err
					}
					verdicts[i], err = r.Decide("h", t0)
					if err != nil || verdicts[i] != idempotency.Resume {
						return err
					}
					r.Lease(t0.Add(time.Minute))
					return tab.Save(ctx, tx, r)
				})
				if err != nil {
					t.Errorf("claimer %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		count := map[idempotency.Verdict]int{}
		for _, v := range verdicts {
			count[v]++
		}
		if count[idempotency.Resume] != 1 || count[idempotency.Busy] != n-1 {
			t.Fatalf("verdicts %v: want 1 resume and %d busy", count, n-1)
		}
		// Released, the next one resumes at once.
		err := write(t, func(tx *sql.Tx) error {
			r, err := tab.Get(ctx, tx, rec.Scope, rec.Key)
			if err != nil {
				return err
			}
			r.Release(t0)
			return tab.Save(ctx, tx, r)
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := get(t, rec.Scope, rec.Key)
		if v, derr := r.Decide("h", t0); err != nil || derr != nil || v != idempotency.Resume {
			t.Fatalf("after Release: %v, %v, %v", v, err, derr)
		}
	})

	t.Run("prune", func(t *testing.T) {
		answer := &idempotency.Answer{Status: 201, ContentType: "application/json", Body: []byte("{}")}
		recs := map[string]idempotency.Record{
			"old-answered":   {CreatedAt: t0.Add(-48 * time.Hour), Answer: answer, CompletedAt: t0.Add(-48 * time.Hour)},
			"new-answered":   {CreatedAt: t0.Add(-time.Hour), Answer: answer, CompletedAt: t0.Add(-time.Hour)},
			"old-abandoned":  {CreatedAt: t0.Add(-48 * time.Hour), LeaseUntil: t0.Add(-47 * time.Hour)},
			"old-in-flight":  {CreatedAt: t0.Add(-48 * time.Hour), LeaseUntil: t0.Add(time.Minute)},
			"new-abandonned": {CreatedAt: t0.Add(-time.Hour), LeaseUntil: t0.Add(-time.Hour)},
		}
		for k, r := range recs {
			r.Scope, r.Key, r.RequestHash, r.ResourceID = "prune", k, "h", "r-"+k
			if err := write(t, func(tx *sql.Tx) error { return tab.Create(ctx, tx, r) }); err != nil {
				t.Fatal(err)
			}
		}
		kept := func() map[string]bool {
			out := map[string]bool{}
			for k := range recs {
				if _, err := get(t, "prune", k); err == nil {
					out[k] = true
				}
			}
			return out
		}
		// Answered records only (payment's way).
		n, err := tab.Prune(ctx, t0.Add(-24*time.Hour), time.Time{})
		if err != nil || n != 1 || fmt.Sprint(kept()) != "map[new-abandonned:true new-answered:true old-abandoned:true old-in-flight:true]" {
			t.Fatalf("Prune(answered) = %d, %v; kept %v", n, err, kept())
		}
		// And abandoned ones (the cart's way): a live lease is never swept.
		n, err = tab.Prune(ctx, t0.Add(-24*time.Hour), t0.Add(-24*time.Hour))
		if err != nil || n != 1 || fmt.Sprint(kept()) != "map[new-abandonned:true new-answered:true old-in-flight:true]" {
			t.Fatalf("Prune(abandoned) = %d, %v; kept %v", n, err, kept())
		}
	})
}
