package iam

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

func insertRefreshToken(ctx context.Context, tx *sql.Tx, t refreshToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)`,
		t.Hash, t.FamilyID, t.IssuedAt.UTC(), t.ExpiresAt.UTC(), store.NullTime(t.UsedAt))
	if err != nil {
		return fmt.Errorf("add refresh token: %w", err)
	}
	return nil
}

// StartRefreshFamily implements RefreshStore.
func (s *SQLStore) StartRefreshFamily(ctx context.Context, f refreshFamily, first refreshToken) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO refresh_families (id, user_id, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5)`,
			f.ID, f.UserID, f.CreatedAt.UTC(), f.ExpiresAt.UTC(), store.NullTime(f.RevokedAt))
		if err != nil {
			return fmt.Errorf("add refresh family: %w", err)
		}
		return insertRefreshToken(ctx, tx, first)
	})
}

// UseRefreshToken implements RefreshStore. It locks the token, then its
// family; the revocations lock families only, so no two transactions here
// wait on each other in a cycle.
func (s *SQLStore) UseRefreshToken(ctx context.Context, hash string, use func(u userAccount, f *refreshFamily, t *refreshToken) (*refreshToken, []bus.Event, error)) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var (
			t    refreshToken
			used store.Time
		)
		err := tx.QueryRowContext(ctx, `SELECT token_hash, family_id, issued_at, expires_at, used_at FROM refresh_tokens
			WHERE token_hash = $1 `+s.db.Dialect.ForUpdate, hash).Scan(&t.Hash, &t.FamilyID, &t.IssuedAt, &t.ExpiresAt, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("refresh token: %w", store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read refresh token: %w", err)
		}
		t.IssuedAt, t.ExpiresAt, t.UsedAt = t.IssuedAt.UTC(), t.ExpiresAt.UTC(), used.UTC()
		var (
			f       refreshFamily
			revoked store.Time
		)
		err = tx.QueryRowContext(ctx, `SELECT id, user_id, created_at, expires_at, revoked_at FROM refresh_families
			WHERE id = $1 `+s.db.Dialect.ForUpdate, t.FamilyID).Scan(&f.ID, &f.UserID, &f.CreatedAt, &f.ExpiresAt, &revoked)
		if err != nil {
			return fmt.Errorf("read refresh family %s: %w", t.FamilyID, err)
		}
		f.CreatedAt, f.ExpiresAt, f.RevokedAt = f.CreatedAt.UTC(), f.ExpiresAt.UTC(), revoked.UTC()
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, f.UserID))
		if err != nil {
			return err
		}
		next, events, err := use(u, &f, &t)
		if err != nil {
			return err
		}
		if err := outbox.AddAll(ctx, tx, events); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2`, store.NullTime(t.UsedAt), t.Hash); err != nil {
			return fmt.Errorf("save refresh token: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE id = $2`, store.NullTime(f.RevokedAt), f.ID); err != nil {
			return fmt.Errorf("save refresh family: %w", err)
		}
		if next == nil {
			return nil
		}
		return insertRefreshToken(ctx, tx, *next)
	})
}

// RevokeRefreshFamilyOf implements RefreshStore. The conditional update
// decides who revoked the family: of two concurrent sign-outs, one changes
// the row and announces it, the other changes nothing.
func (s *SQLStore) RevokeRefreshFamilyOf(ctx context.Context, hash string, at time.Time, announce func(f refreshFamily) ([]bus.Event, error)) (bool, error) {
	var (
		f     refreshFamily
		found bool
	)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT f.id, f.user_id, f.created_at, f.expires_at
			FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = $1`, hash).
			Scan(&f.ID, &f.UserID, &f.CreatedAt, &f.ExpiresAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find refresh family: %w", err)
		}
		found = true
		res, err := tx.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at.UTC(), f.ID)
		if err != nil {
			return fmt.Errorf("revoke refresh family %s: %w", f.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		f.CreatedAt, f.ExpiresAt, f.RevokedAt = f.CreatedAt.UTC(), f.ExpiresAt.UTC(), at.UTC()
		events, err := announce(f)
		if err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, events)
	})
	return found, err
}

// RevokeRefreshFamilies implements RefreshStore.
func (s *SQLStore) RevokeRefreshFamilies(ctx context.Context, userID string, at time.Time) (int, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, at.UTC(), userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("revoke refresh families of %s: %w", userID, err)
	}
	return int(n), nil
}

// PruneRefresh implements RefreshStore. A token never outlives its family,
// so an expired family's tokens are expired too and go first (the foreign
// key wants them gone before the family).
func (s *SQLStore) PruneRefresh(ctx context.Context, now time.Time, limit int) (int, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM refresh_tokens WHERE token_hash IN (
			SELECT token_hash FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)`,
		`DELETE FROM refresh_families WHERE id IN (
			SELECT f.id FROM refresh_families f WHERE f.expires_at < $1
			AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id) LIMIT $2)`,
	} {
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, q, now.UTC(), limit)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			total += n
			return err
		})
		if err != nil {
			return int(total), fmt.Errorf("prune refresh tokens: %w", err)
		}
	}
	return int(total), nil
}

var _ refreshStore = (*SQLStore)(nil)
