package store

import (
	"fmt"
	"net/url"
	"strconv"
)

// defaultMaxConns is the PostgreSQL pool size of one service in one process.
const defaultMaxConns = 16

// poolSize takes the max_conns parameter out of a postgres:// URL: the
// connections one service in one process may hold. A deployment of many
// processes on one server divides the server's max_connections between them
// (16 processes x 16 would exhaust PostgreSQL's default of 100). The
// parameter is removed because PostgreSQL would take it for a setting.
func poolSize(rawURL string) (int, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, "", fmt.Errorf("store: parse OPENHOUSE_DATABASE_URL: %w", err)
	}
	q := u.Query()
	v := q.Get("max_conns")
	if v == "" {
		return defaultMaxConns, rawURL, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, "", fmt.Errorf("store: OPENHOUSE_DATABASE_URL: max_conns=%q must be a positive number", v)
	}
	q.Del("max_conns")
	u.RawQuery = q.Encode()
	return n, u.String(), nil
}
