package cart

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/openhouse/openhouse/internal/platform/idempotency"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestKeysMoveToTheSharedTable: checkouts made before the shared
// idempotency mechanism keep their keys through migration 00005: a
// completed one replays its answer byte for byte (backslashes and
// non-ASCII included), a started one is still leased, a new body under an
// old key is refused.
func TestKeysMoveToTheSharedTable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		db := open(t, "cart")
		before := fstest.MapFS{}
		for _, name := range []string{"00001_carts.sql", "00002_checkout_request.sql", "00003_orders.sql", "00004_showing.sql"} {
			raw, err := fs.ReadFile(migrationFiles, "migrations/"+name)
			if err != nil {
				t.Fatal(err)
			}
			before[name] = &fstest.MapFile{Data: raw}
		}
		if err := db.Migrate(ctx, "cart", before, "."); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		req := CheckoutRequest{ScheduledAt: t0.Add(24 * time.Hour), PaymentMethod: "tok_visa"}
		paid := `{"order_id":"o-1","detail":"caf\u00e9 é \\ \"q\""}`
		for _, row := range []struct {
			key, order, state string
			status            int
			response          string
			lease             time.Time
		}{
			{"done", "o-1", "completed", 201, paid, t0.Add(30 * time.Second)},
			{"taken", "o-2", "completed", 409, `{"type":"urn:openhouse:problem:slot-taken"}`, t0.Add(30 * time.Second)},
			{"running", "o-3", "started", 0, "", t0.Add(time.Hour)},
		} {
			if _, err := db.ExecContext(ctx, `INSERT INTO checkouts (customer_id, idem_key, request_hash, order_id, items, state, status_code, response, lease_until, created_at, request)
				VALUES ('cust', $1, $2, $3, '[]', $4, $5, $6, $7, $8, '{}')`,
				row.key, requestHash(req), row.order, row.state, row.status, row.response, row.lease, t0); err != nil {
				t.Fatal(err)
			}
		}
		st, err := NewSQLStore(ctx, db, func() time.Time { return t0 })
		if err != nil {
			t.Fatal(err)
		}
		claim := func(key string, r CheckoutRequest) (Checkout, bool, error) {
			return st.ClaimCheckout(ctx, "cust", key, requestHash(r), t0.Add(time.Minute), t0.Add(2*time.Minute),
				func(Cart) (Checkout, error) { return Checkout{}, errors.New("started anew") })
		}
		c, claimed, err := claim("done", req)
		if err != nil || claimed || c.Answer == nil || c.Answer.Status != 201 || string(c.Answer.Body) != paid ||
			c.Answer.ContentType != "application/json" || !c.Answer.Replayed || c.OrderID != "o-1" {
			t.Fatalf("done = %+v %v, %v", c, claimed, err)
		}
		c, _, err = claim("taken", req)
		if err != nil || c.Answer == nil || c.Answer.Status != 409 || c.Answer.ContentType != "application/problem+json" {
			t.Fatalf("taken = %+v, %v", c, err)
		}
		if c, claimed, err := claim("running", req); err != nil || claimed || c.Answer != nil || !c.LeaseUntil.Equal(t0.Add(time.Hour)) {
			t.Fatalf("running = %+v %v, %v; want still leased", c, claimed, err)
		}
		other := req
		other.PaymentMethod = "tok_mastercard"
		if _, _, err := claim("done", other); !errors.Is(err, idempotency.ErrKeyReused) {
			t.Fatalf("an old key with a new body = %v, want ErrKeyReused", err)
		}
		last, ok, err := st.LastPaid(ctx, "cust", t0)
		if err != nil || !ok || last.Key != "done" {
			t.Fatalf("LastPaid = %+v %v, %v", last, ok, err)
		}
	})
}
