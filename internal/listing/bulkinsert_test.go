package listing

import (
	"context"
	"database/sql"
)

// bulkInsert writes ls as they are, in one transaction, without provider
// checks or events: the benchmark's loader, which must put 100,000
// listings in place in seconds. One INSERT is prepared once and run for
// every batch. On PostgreSQL a batch is 500 rows (a round trip per batch is
// the cost); on SQLite it is one row, because SQLite treats $N as named
// parameters and binding many costs more than linear in their number (500
// rows per statement load 100,000 listings in ~40 s, one row in ~2.5 s).
func bulkInsert(ctx context.Context, s *SQLStore, ls []listing) error {
	batch := 1
	if s.db.Dialect.Name == "postgres" {
		batch = 500
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		full := len(ls) / batch * batch
		if full > 0 {
			stmt, err := tx.PrepareContext(ctx, insertSQL(batch))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for start := 0; start < full; start += batch {
				if _, err := stmt.ExecContext(ctx, insertArgs(ls[start:start+batch])...); err != nil {
					return err
				}
			}
		}
		if full < len(ls) {
			return insertListings(ctx, tx, ls[full:])
		}
		return nil
	})
}
