package iam

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/audit"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// SQLKeyStore keeps token signing keys in iam's database, so tokens stay
// valid across restarts and every iam instance signs with keys the others
// publish. The private keys are stored as they are: protect the database
// (and its backups) as you would the keys; encrypting them under a key from
// the environment is a listed follow-up in docs/security.md.
type SQLKeyStore struct {
	db *store.DB
}

// NewSQLKeyStore returns the key store on iam's (migrated) database.
func NewSQLKeyStore(db *store.DB) *SQLKeyStore { return &SQLKeyStore{db: db} }

// LoadKeys implements auth.KeyStore.
func (s *SQLKeyStore) LoadKeys(ctx context.Context) ([]auth.Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, private_key, created_at, retire_at FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	defer rows.Close()
	var keys []auth.Key
	for rows.Next() {
		var (
			k       auth.Key
			priv    []byte
			retired store.Time
		)
		if err := rows.Scan(&k.ID, &priv, &k.CreatedAt, &retired); err != nil {
			return nil, fmt.Errorf("load signing keys: %w", err)
		}
		if len(priv) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("signing key %s has %d bytes, want %d", k.ID, len(priv), ed25519.PrivateKeySize)
		}
		k.Private = ed25519.PrivateKey(priv)
		k.CreatedAt = k.CreatedAt.UTC()
		if retired.Valid {
			k.RetireAt = retired.Time.UTC()
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// SaveKey implements auth.KeyStore.
func (s *SQLKeyStore) SaveKey(ctx context.Context, k auth.Key) error {
	var retire any
	if !k.RetireAt.IsZero() {
		retire = k.RetireAt.UTC()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO signing_keys (id, private_key, created_at, retire_at) VALUES ($1, $2, $3, $4)`,
		k.ID, []byte(k.Private), k.CreatedAt.UTC(), retire)
	if err != nil {
		return fmt.Errorf("save signing key: %w", s.db.Translate(err))
	}
	if rot := rotationFrom(ctx); rot != nil {
		rot.newKeyID = k.ID
	}
	return nil
}

// RetireKey implements auth.KeyStore. Retiring the old key is the step
// that completes a rotation, so when ctx carries one (Service.RotateKeys)
// its audit entry commits in the same transaction.
func (s *SQLKeyStore) RetireKey(ctx context.Context, id string, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE signing_keys SET retire_at = $1 WHERE id = $2`, at.UTC(), id)
		if err != nil {
			return fmt.Errorf("retire signing key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("retire signing key %s: %w", id, auth.ErrUnknownKey)
		}
		rot := rotationFrom(ctx)
		if rot == nil {
			return nil
		}
		end := at.UTC()
		return audit.Add(ctx, tx, "iam", audit.Change{
			Action: "keys.rotated", ResourceType: "signing_key", ResourceID: rot.newKeyID,
			Before: keyState{CurrentKeyID: id},
			After:  keyState{CurrentKeyID: rot.newKeyID, RetiredKeyID: id, RetiredKeyEnd: &end},
		}, rot.at)
	})
}

var _ auth.KeyStore = (*SQLKeyStore)(nil)
