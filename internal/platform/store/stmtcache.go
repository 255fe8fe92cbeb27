package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
)

// stmtCacheSize bounds the prepared statements one SQLite connection keeps.
// A service runs a few dozen distinct queries; statements whose text varies
// (IN lists of varying length) take the remaining places and are evicted.
const stmtCacheSize = 256

// sqliteConnector opens SQLite connections that keep their prepared
// statements. database/sql prepares, runs and finalizes a statement for
// every QueryContext and ExecContext; with the pure-Go SQLite the parse is
// most of the cost of a short query (docs/performance.md). A connection here prepares each query text once
// and resets the statement after use, as SQLite intends.
type sqliteConnector struct {
	inner driver.Connector
	// prepares counts statements actually prepared, for tests.
	prepares atomic.Int64
}

func (c *sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteDriverConn)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the SQLite driver's connection lacks the context methods")
	}
	return &cachingConn{sqliteDriverConn: inner, stmts: map[string]*cachedStmt{}, prepares: &c.prepares}, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.inner.Driver() }

// sqliteDriverConn is what the SQLite driver's connection offers and
// cachingConn passes on.
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// cachingConn is a SQLite connection with a cache of prepared statements by
// query text. database/sql uses a connection from one goroutine at a time,
// so the cache needs no lock. A statement still being read (its rows not
// closed, as when a transaction queries inside a loop over another query
// of the same text) is busy; the query then runs uncached.
type cachingConn struct {
	sqliteDriverConn
	stmts    map[string]*cachedStmt
	prepares *atomic.Int64
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool
}

// take returns the connection's statement for query, prepared if needed,
// and marks it busy; nil when it is busy already or cannot be kept.
func (c *cachingConn) take(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		s.busy = true
		return s, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.prepares.Add(1)
	typed, ok := st.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		st.Close()
		return nil, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		for q, old := range c.stmts { // evict one idle statement, any
			if !old.busy {
				old.stmt.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	s := &cachedStmt{stmt: typed, busy: true}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteDriverConn.ExecContext(ctx, query, args)
	}
	defer func() { s.busy = false }()
	return s.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteDriverConn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		s.busy = false
		return nil, err
	}
	return &cachedRows{Rows: rows, stmt: s}, nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	for q, s := range c.stmts {
		s.stmt.Close()
		delete(c.stmts, q)
	}
	return c.sqliteDriverConn.Close()
}

// cachedRows frees its statement for the next query when closed (the
// driver resets it then).
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}
