package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// grouped starts n InGroupTx calls while another transaction holds the
// writer, waits until all n are queued, lets the writer go, and returns each
// call's error (or what it panicked with) by index.
func grouped(t *testing.T, db *store.DB, n int, fn func(i int, tx *sql.Tx) error) []any {
	t.Helper()
	ctx := context.Background()
	holding, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- db.InTx(ctx, func(tx *sql.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	out := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					out[i] = fmt.Sprint("panic: ", p)
				}
			}()
			if err := db.InGroupTx(ctx, func(tx *sql.Tx) error { return fn(i, tx) }); err != nil {
				out[i] = err
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for store.GroupWaiting(db) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls queued", store.GroupWaiting(db), n)
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	return out
}

func insert(tx *sql.Tx, id string) error {
	_, err := tx.Exec(`INSERT INTO things (id) VALUES ($1)`, id)
	return err
}

func ids(t *testing.T, db *store.DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM things`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	return out
}

// Calls waiting for the writer together commit in one transaction, each
// with its own outcome: a failing or panicking call is undone alone.
func TestGroupedCallsShareACommit(t *testing.T) {
	db := migrated(t, storetest.OpenSQLite)
	boom := errors.New("boom")
	before := store.Commits(db)
	out := grouped(t, db, 8, func(i int, tx *sql.Tx) error {
		if err := insert(tx, fmt.Sprint("t", i)); err != nil {
			return err
		}
		switch i {
		case 3:
			return boom
		case 5:
			panic("five")
		}
		return nil
	})
	// The holder's commit, then one for the eight.
	if n := store.Commits(db) - before; n != 2 {
		t.Errorf("%d commits for a holder and 8 waiting calls, want 2", n)
	}
	got := ids(t, db)
	for i := range 8 {
		id := fmt.Sprint("t", i)
		switch i {
		case 3:
			if !errors.Is(out[i].(error), boom) || got[id] {
				t.Errorf("failing call: %v, row kept %v", out[i], got[id])
			}
		case 5:
			if out[i] != "panic: five" || got[id] {
				t.Errorf("panicking call: %v, row kept %v", out[i], got[id])
			}
		default:
			if out[i] != nil || !got[id] {
				t.Errorf("call %d: %v, row kept %v", i, out[i], got[id])
			}
		}
	}
	// A uniqueness violation is ErrConflict, as from InTx.
	if err := db.InGroupTx(context.Background(), func(tx *sql.Tx) error { return insert(tx, "t0") }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate id: %v, want ErrConflict", err)
	}
}

// When the shared transaction is lost through no fault of theirs (here a
// call ends it with a bare ROLLBACK, as SQLite does itself when a
// statement is interrupted), the other calls run again alone and commit.
func TestGroupedCallsRunAloneWhenTheGroupFails(t *testing.T) {
	db := migrated(t, storetest.OpenSQLite)
	breakIt := errors.New("ended the transaction")
	var mu sync.Mutex
	runs := map[int]int{}
	out := grouped(t, db, 4, func(i int, tx *sql.Tx) error {
		mu.Lock()
		runs[i]++
		mu.Unlock()
		if err := insert(tx, fmt.Sprint("t", i)); err != nil {
			return err
		}
		if i == 1 {
			if _, err := tx.Exec(`ROLLBACK`); err != nil {
				return err
			}
			return breakIt
		}
		return nil
	})
	got := ids(t, db)
	for i := range 4 {
		id := fmt.Sprint("t", i)
		if i == 1 {
			if !errors.Is(out[i].(error), breakIt) || got[id] {
				t.Errorf("the breaking call: %v, row kept %v", out[i], got[id])
			}
			continue
		}
		if out[i] != nil || !got[id] {
			t.Errorf("call %d: %v, row kept %v (ran %d times)", i, out[i], got[id], runs[i])
		}
	}
}

// PostgreSQL runs each call in its own transaction (there is no single
// writer to share); the calls behave as InTx there.
func TestGroupTxContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		db := migrated(t, open)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.InGroupTx(ctx, func(tx *sql.Tx) error {
					if i%5 == 4 {
						return errors.New("refused")
					}
					return insert(tx, fmt.Sprint("t", i))
				})
			}()
		}
		wg.Wait()
		close(errs)
		failed := 0
		for err := range errs {
			if err != nil {
				failed++
			}
		}
		if got := ids(t, db); failed != 4 || len(got) != 16 {
			t.Errorf("%d failed, %d rows; want 4 and 16", failed, len(got))
		}
	})
}
