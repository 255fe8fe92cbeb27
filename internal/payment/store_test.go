package payment

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/idempotency/idempotencytest"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestStoreContract is the behaviour every Store must show; it runs on
// SQLite and (with OPENHOUSE_TEST_DATABASE_URL) PostgreSQL.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		newStore := func(t *testing.T) (*SQLStore, *store.DB) {
			db := open(t, "payment")
			if err := outbox.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			s, err := NewSQLStore(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			// Migrating twice (a second instance starting) is harmless.
			if _, err := NewSQLStore(ctx, db); err != nil {
				t.Fatal(err)
			}
			return s, db
		}
		mkPayment := func(id, cust string, at time.Time) payment {
			in := validInput()
			in.CustomerID = cust
			in.ListingIDs = []string{"l-1", "l-2"}
			in.ScheduledAt = time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
			return newPayment(id, in, "key-"+id, at)
		}
		create := func(t *testing.T, s Store, ps ...payment) {
			t.Helper()
			err := s.Update(ctx, func(tx storeTx) error {
				for _, p := range ps {
					if err := tx.CreatePayment(p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		t.Run("payment round trip", func(t *testing.T) {
			s, _ := newStore(t)
			p := mkPayment("p-1", "c-1", t0.Add(123456*time.Nanosecond))
			create(t, s, p)
			got, err := s.Payment(ctx, "p-1")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, p) {
				t.Fatalf("read back\n%+v\nwrote\n%+v", got, p)
			}
			p.Status, p.GatewayRef, p.FailureReason, p.UpdatedAt = statusFailed, "ref", "card_declined", t0.Add(time.Minute)
			if err := s.Update(ctx, func(tx storeTx) error { return tx.SavePayment(p) }); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Payment(ctx, "p-1"); !reflect.DeepEqual(got, p) {
				t.Fatalf("after save\n%+v\nwant\n%+v", got, p)
			}
		})

		t.Run("not found and duplicates", func(t *testing.T) {
			s, _ := newStore(t)
			if _, err := s.Payment(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Payment(nope) = %v, want ErrNotFound", err)
			}
			p := mkPayment("p-1", "c-1", t0)
			create(t, s, p)
			err := s.Update(ctx, func(tx storeTx) error { return tx.CreatePayment(p) })
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("duplicate CreatePayment = %v, want ErrConflict", err)
			}
			err = s.Update(ctx, func(tx storeTx) error {
				if _, err := tx.Refund("nope"); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("Refund(nope) = %v", err)
				}
				if _, err := tx.Key("s", "nope"); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("Key(nope) = %v", err)
				}
				if err := tx.SavePayment(mkPayment("ghost", "c", t0)); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("SavePayment(ghost) = %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("an error rolls everything back", func(t *testing.T) {
			s, db := newStore(t)
			boom := errors.New("boom")
			err := s.Update(ctx, func(tx storeTx) error {
				if err := tx.CreatePayment(mkPayment("p-1", "c-1", t0)); err != nil {
					return err
				}
				ev, err := bus.NewEvent(ctx, events.TypePaymentSucceeded, "p-1", map[string]string{}, t0)
				if err != nil {
					return err
				}
				if err := tx.Publish(ev); err != nil {
					return err
				}
				if err := tx.CreateKey(keyRecord{Scope: "s", Key: "k", RequestHash: "h", ResourceID: "p-1", CreatedAt: t0}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Update = %v, want boom", err)
			}
			var n int
			if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM payments) + (SELECT COUNT(*) FROM outbox) + (SELECT COUNT(*) FROM idempotency_keys)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Fatalf("%d rows survived a rolled-back Update", n)
			}
			if err := s.Update(ctx, func(tx storeTx) error {
				ev, _ := bus.NewEvent(ctx, events.TypePaymentSucceeded, "p-1", map[string]string{}, t0)
				return tx.Publish(ev)
			}); err != nil {
				t.Fatal(err)
			}
			if n := len(outboxtest.OfType(t, db, events.TypePaymentSucceeded)); n != 1 {
				t.Fatalf("outbox rows after Publish = %d, want 1", n)
			}
		})

		t.Run("idempotency records", func(t *testing.T) {
			s, _ := newStore(t)
			rec := keyRecord{Scope: "charge:service:cart", Key: "k-1", RequestHash: "h1", ResourceID: "p-1",
				LeaseUntil: t0.Add(time.Minute), CreatedAt: t0}
			if err := s.Update(ctx, func(tx storeTx) error { return tx.CreateKey(rec) }); err != nil {
				t.Fatal(err)
			}
			err := s.Update(ctx, func(tx storeTx) error { return tx.CreateKey(rec) })
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("duplicate CreateKey = %v, want ErrConflict", err)
			}
			other := rec
			other.Scope = "charge:service:other"
			if err := s.Update(ctx, func(tx storeTx) error { return tx.CreateKey(other) }); err != nil {
				t.Fatalf("same key in another scope: %v", err)
			}
			read := func() keyRecord {
				var got keyRecord
				if err := s.Update(ctx, func(tx storeTx) (err error) { got, err = tx.Key(rec.Scope, rec.Key); return }); err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got := read(); !reflect.DeepEqual(got, rec) {
				t.Fatalf("read\n%+v\nwant\n%+v", got, rec)
			}
			body := []byte("{\"id\":\"p-1\"}\n\x00\xff")
			rec.Answer = &recordedAnswer{Status: 201, ContentType: "application/json", Body: body}
			rec.LeaseUntil, rec.CompletedAt = time.Time{}, t0.Add(time.Second)
			if err := s.Update(ctx, func(tx storeTx) error { return tx.SaveKey(rec) }); err != nil {
				t.Fatal(err)
			}
			if got := read(); !reflect.DeepEqual(got, rec) {
				t.Fatalf("answered record\n%+v\nwant\n%+v", got, rec)
			}
		})

		t.Run("the shared idempotency suite on payment's table", func(t *testing.T) {
			_, db := newStore(t)
			idempotencytest.Run(t, db)
		})

		t.Run("prune keeps young and unanswered keys", func(t *testing.T) {
			s, _ := newStore(t)
			answer := &recordedAnswer{Status: 201, ContentType: "application/json", Body: []byte("{}")}
			recs := []keyRecord{
				{Scope: "s", Key: "old-answered", RequestHash: "h", ResourceID: "r", CreatedAt: t0, Answer: answer, CompletedAt: t0},
				{Scope: "s", Key: "old-in-flight", RequestHash: "h", ResourceID: "r", CreatedAt: t0, LeaseUntil: t0},
				{Scope: "s", Key: "young", RequestHash: "h", ResourceID: "r", CreatedAt: t0.Add(25 * time.Hour), Answer: answer, CompletedAt: t0},
			}
			if err := s.Update(ctx, func(tx storeTx) error {
				for _, r := range recs {
					if err := tx.CreateKey(r); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			n, err := s.PruneKeys(ctx, t0.Add(24*time.Hour))
			if err != nil || n != 1 {
				t.Fatalf("PruneKeys = %d, %v; want 1", n, err)
			}
			err = s.Update(ctx, func(tx storeTx) error {
				if _, err := tx.Key("s", "old-answered"); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("old answered key: %v", err)
				}
				for _, k := range []string{"old-in-flight", "young"} {
					if _, err := tx.Key("s", k); err != nil {
						return fmt.Errorf("%s: %v", k, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("refunds and the pending sum", func(t *testing.T) {
			s, _ := newStore(t)
			p := mkPayment("p-1", "c-1", t0)
			create(t, s, p)
			r1 := newRefund("r-1", p, usd(100), "", "admin-1", t0)
			r2 := newRefund("r-2", p, usd(250), "tour cancelled", "service:tour", t0.Add(time.Second))
			var pending int64
			err := s.Update(ctx, func(tx storeTx) error {
				if err := tx.CreateRefund(r1); err != nil {
					return err
				}
				if err := tx.CreateRefund(r2); err != nil {
					return err
				}
				r1.Status, r1.GatewayRef = refundSucceeded, "re-1"
				if err := tx.SaveRefund(r1); err != nil {
					return err
				}
				got, err := tx.Refund("r-2")
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, r2) {
					return fmt.Errorf("Refund read\n%+v\nwant\n%+v", got, r2)
				}
				pending, err = tx.PendingRefunds("p-1")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if pending != 250 {
				t.Fatalf("PendingRefunds = %d, want 250 (only r-2 is pending)", pending)
			}
			list, err := s.Refunds(ctx, "p-1")
			if err != nil || len(list) != 2 || !reflect.DeepEqual(list[0], r1) || list[1].ID != "r-2" {
				t.Fatalf("Refunds = %+v, %v", list, err)
			}
			stale, err := s.StaleRefunds(ctx, t0.Add(time.Hour), 10)
			if err != nil || len(stale) != 1 || stale[0].ID != "r-2" {
				t.Fatalf("StaleRefunds = %+v, %v; want r-2 only", stale, err)
			}
			if stale, _ := s.StaleRefunds(ctx, t0, 10); len(stale) != 0 {
				t.Fatalf("StaleRefunds before anything was updated = %+v", stale)
			}
		})

		t.Run("list order, filters and pages", func(t *testing.T) {
			s, _ := newStore(t)
			var all []payment
			for i := 0; i < 7; i++ {
				cust := "c-a"
				if i%2 == 1 {
					cust = "c-b"
				}
				// Two payments share each instant, so the id breaks ties.
				all = append(all, mkPayment(fmt.Sprintf("p-%d", i), cust, t0.Add(time.Duration(i/2)*time.Second)))
			}
			all[3].Status = statusFailed
			create(t, s, all...)
			var ids []string
			var after *position
			for {
				page, err := s.Payments(ctx, query{Limit: 3, After: after})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range page {
					ids = append(ids, p.ID)
				}
				if len(page) < 3 {
					break
				}
				last := page[len(page)-1]
				after = &position{CreatedAt: last.CreatedAt, ID: last.ID}
			}
			want := []string{"p-6", "p-5", "p-4", "p-3", "p-2", "p-1", "p-0"}
			if !reflect.DeepEqual(ids, want) {
				t.Fatalf("paged ids = %v, want %v", ids, want)
			}
			byCustomer, _ := s.Payments(ctx, query{Limit: 10, CustomerID: "c-b"})
			byStatus, _ := s.Payments(ctx, query{Limit: 10, Status: statusFailed})
			both, _ := s.Payments(ctx, query{Limit: 10, Status: statusPending, CustomerID: "c-b"})
			if len(byCustomer) != 3 || len(byStatus) != 1 || byStatus[0].ID != "p-3" || len(both) != 2 {
				t.Fatalf("filters: customer %d, status %d, both %d", len(byCustomer), len(byStatus), len(both))
			}
			stale, err := s.StalePayments(ctx, t0.Add(2*time.Second), t0.Add(-time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			var staleIDs []string
			for _, p := range stale {
				staleIDs = append(staleIDs, p.ID)
			}
			if !reflect.DeepEqual(staleIDs, []string{"p-0", "p-1", "p-2"}) { // p-3 failed
				t.Fatalf("StalePayments = %v", staleIDs)
			}
			if stale, _ := s.StalePayments(ctx, t0.Add(time.Hour), t0.Add(time.Second), 10); len(stale) != 3 {
				t.Fatalf("StalePayments created after t0+1s = %d, want 3 (p-4, p-5, p-6)", len(stale))
			}
		})

		t.Run("concurrent read-modify-write loses nothing", func(t *testing.T) {
			s, _ := newStore(t)
			p := mkPayment("p-1", "c-1", t0)
			p.Amount = usd(1000)
			p.Status = statusSucceeded
			create(t, s, p)
			const workers, each = 6, 5
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						errs <- s.Update(ctx, func(tx storeTx) error {
							p, err := tx.Payment("p-1")
							if err != nil {
								return err
							}
							if err := p.ApplyRefund(usd(1), t0); err != nil {
								return err
							}
							return tx.SavePayment(p)
						})
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got, _ := s.Payment(ctx, "p-1")
			if got.Refunded.Amount != workers*each {
				t.Fatalf("refunded = %d, want %d", got.Refunded.Amount, workers*each)
			}
		})
	})
}
