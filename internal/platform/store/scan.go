package store

import "database/sql"

// Scanner is one row to read: a *sql.Row or the current row of *sql.Rows.
type Scanner = interface{ Scan(dest ...any) error }

// ScanAll reads every row of a query with scan and closes them. It returns
// the query's error, err, when there is one, so a caller passes the query's
// results straight in: rows, err := db.QueryContext(...); ScanAll(rows, err, scanX).
func ScanAll[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
