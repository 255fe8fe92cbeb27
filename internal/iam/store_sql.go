package iam

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLStore is the Store on SQLite or PostgreSQL.
type SQLStore struct {
	db *store.DB
}

// NewSQLStore migrates db and returns a store on it.
func NewSQLStore(ctx context.Context, db *store.DB) (*SQLStore, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "iam", sub); err != nil {
		return nil, err
	}
	return &SQLStore{db: db}, nil
}

const userColumns = `id, email, name, role, status, verified, password_hash, created_at, updated_at`

// CreateUser implements Store.
func (s *SQLStore) CreateUser(ctx context.Context, u User, events ...bus.Event) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			u.ID, u.Email, u.Name, u.Role, u.Status, u.Verified, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
		if err != nil {
			return err
		}
		return addEvents(ctx, tx, events)
	})
	if errors.Is(err, store.ErrConflict) {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByID implements Store.
func (s *SQLStore) UserByID(ctx context.Context, id string) (User, error) {
	return s.one(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
}

// UserByEmail implements Store.
func (s *SQLStore) UserByEmail(ctx context.Context, email string) (User, error) {
	return s.one(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, NormalizeEmail(email))
}

func (s *SQLStore) one(ctx context.Context, query string, arg any) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, query, arg).Scan(
		&u.ID, &u.Email, &u.Name, &u.Role, &u.Status, &u.Verified, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user: %w", store.ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

func addEvents(ctx context.Context, tx *sql.Tx, events []bus.Event) error {
	for _, ev := range events {
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}
