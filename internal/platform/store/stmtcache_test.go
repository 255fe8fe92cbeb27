package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"modernc.org/sqlite"
)

// openCaching opens a SQLite file through the statement-caching connector
// with a single connection, so that every query meets the same cache.
func openCaching(t *testing.T) (*sql.DB, *sqliteConnector) {
	t.Helper()
	inner, err := sqlite.NewConnector("file:" + filepath.Join(t.TempDir(), "cache.db") + "?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	c := &sqliteConnector{inner: inner}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := db.Exec(`INSERT INTO t (id, name) VALUES ($1, $2)`, i, fmt.Sprint("n", i)); err != nil {
			t.Fatal(err)
		}
	}
	return db, c
}

func names(t *testing.T, q interface {
	Query(string, ...any) (*sql.Rows, error)
}, query string, args ...any) []string {
	t.Helper()
	rows, err := q.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStatementIsPreparedOncePerConnection(t *testing.T) {
	db, c := openCaching(t)
	before := c.prepares.Load()
	for i := 1; i <= 5; i++ {
		got := names(t, db, `SELECT name FROM t WHERE id = $1`, i)
		if want := []string{fmt.Sprint("n", i)}; !slices.Equal(got, want) {
			t.Fatalf("id %d: got %v, want %v (a reused statement kept old bindings?)", i, got, want)
		}
	}
	if n := c.prepares.Load() - before; n != 1 {
		t.Fatalf("the same query text was prepared %d times on one connection, want 1", n)
	}
}

// A statement whose rows are still being read cannot serve the same query
// text again: the second query must run on a statement of its own.
func TestSameQueryWhileItsRowsAreOpen(t *testing.T) {
	db, _ := openCaching(t)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT name FROM t WHERE id >= $1 ORDER BY id`
	outer, err := tx.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var s string
		if err := outer.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
		if inner := names(t, tx, q, 4); !slices.Equal(inner, []string{"n4", "n5"}) {
			t.Fatalf("inner query: %v", inner)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if want := []string{"n1", "n2", "n3", "n4", "n5"}; !slices.Equal(got, want) {
		t.Fatalf("outer query read %v, want %v (the inner query reset its statement)", got, want)
	}
}

func TestEvictedStatementsArePreparedAgain(t *testing.T) {
	db, c := openCaching(t)
	for i := range stmtCacheSize + 20 {
		if got := names(t, db, fmt.Sprintf(`SELECT name FROM t WHERE id = $1 AND %d = %d`, i, i), 2); !slices.Equal(got, []string{"n2"}) {
			t.Fatalf("query %d: %v", i, got)
		}
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		if n := len(dc.(*cachingConn).stmts); n > stmtCacheSize {
			return fmt.Errorf("%d statements cached, more than %d", n, stmtCacheSize)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if c.prepares.Load() < stmtCacheSize+20 {
		t.Fatalf("prepared %d statements for %d query texts", c.prepares.Load(), stmtCacheSize+20)
	}
}

// SQLite re-prepares a statement whose tables changed; a cached SELECT *
// sees a column added after it was first prepared.
func TestCachedStatementSeesSchemaChange(t *testing.T) {
	db, _ := openCaching(t)
	cols := func() []string {
		rows, err := db.Query(`SELECT * FROM t WHERE id = 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		c, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := cols(); len(got) != 2 {
		t.Fatalf("columns %v", got)
	}
	if _, err := db.Exec(`ALTER TABLE t ADD COLUMN extra TEXT`); err != nil {
		t.Fatal(err)
	}
	if got := cols(); !slices.Equal(got, []string{"id", "name", "extra"}) {
		t.Fatalf("columns after ALTER TABLE: %v", got)
	}
}
