package iam

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
	if err := db.Migrate(ctx, "iam", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db}, nil
}

const userColumns = `id, email, name, role, status, verified, password_hash, created_at, updated_at, tokens_valid_from`

func scanUser(row store.Scanner) (userAccount, error) {
	var (
		u         userAccount
		validFrom store.Time
	)
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Status, &u.Verified, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt, &validFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return userAccount{}, noSuchUser("user")
	}
	if err != nil {
		return userAccount{}, fmt.Errorf("read user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt, u.TokensValidFrom = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), validFrom.UTC()
	return u, nil
}

// CreateUser implements Store.
func (s *SQLStore) CreateUser(ctx context.Context, u userAccount, events ...bus.Event) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			u.ID, u.Email, u.Name, u.Role, u.Status, u.Verified, u.PasswordHash, u.CreatedAt, u.UpdatedAt, store.NullTime(u.TokensValidFrom))
		if err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, events)
	})
	if errors.Is(err, store.ErrConflict) {
		return errEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByID implements Store.
func (s *SQLStore) UserByID(ctx context.Context, id string) (userAccount, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// UserByEmail implements Store.
func (s *SQLStore) UserByEmail(ctx context.Context, email string) (userAccount, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, normalizeEmail(email)))
}

// UpdateUser implements Store.
func (s *SQLStore) UpdateUser(ctx context.Context, id string, change func(u *userAccount) ([]bus.Event, error)) (userAccount, error) {
	var out userAccount
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		u, err := s.lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		events, err := change(&u)
		if err != nil {
			return err
		}
		if err := saveUser(ctx, tx, u); err != nil {
			return err
		}
		out = u
		return outbox.AddAll(ctx, tx, events)
	})
	if errors.Is(err, store.ErrConflict) {
		return userAccount{}, errEmailTaken
	}
	return out, err
}

func (s *SQLStore) lockUser(ctx context.Context, tx *sql.Tx, id string) (userAccount, error) {
	return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 `+s.db.Dialect.ForUpdate, id))
}

func saveUser(ctx context.Context, tx *sql.Tx, u userAccount) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, name = $2, status = $3, verified = $4, password_hash = $5, updated_at = $6,
		tokens_valid_from = $7 WHERE id = $8`,
		u.Email, u.Name, u.Status, u.Verified, u.PasswordHash, u.UpdatedAt.UTC(), store.NullTime(u.TokensValidFrom), u.ID)
	if err != nil {
		return fmt.Errorf("save user: %w", err)
	}
	return nil
}

// ListUsers implements Store.
func (s *SQLStore) ListUsers(ctx context.Context, f userFilter, after userCursor, limit int) ([]userAccount, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Role != "" {
		where = append(where, "role = "+arg(f.Role))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Verified != nil {
		where = append(where, "verified = "+arg(*f.Verified))
	}
	if after.ID != "" {
		c, i := arg(after.CreatedAt.UTC()), arg(after.ID)
		where = append(where, "(created_at > "+c+" OR (created_at = "+c+" AND id > "+i+"))")
	}
	query := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at, id LIMIT ` + arg(limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	out, err := store.ScanAll(rows, err, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

const profileColumns = `user_id, lat, lng, service_radius_km, time_zone, working_hours, availability, updated_at, time_off, max_tours_per_day`

// timeOffRow is a span of time off as the time_off column keeps it.
type timeOffRow struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
}

func scanProfile(row store.Scanner) (realtorProfile, error) {
	var (
		p        realtorProfile
		lat, lng sql.NullFloat64
		hours    string
		off      string
	)
	err := row.Scan(&p.UserID, &lat, &lng, &p.ServiceRadiusKM, &p.TimeZone, &hours, &p.Availability, &p.UpdatedAt, &off, &p.MaxToursPerDay)
	if errors.Is(err, sql.ErrNoRows) {
		return realtorProfile{}, noSuchUser("realtor profile")
	}
	if err != nil {
		return realtorProfile{}, fmt.Errorf("read realtor profile: %w", err)
	}
	if lat.Valid && lng.Valid {
		p.Location = &geoPoint{Lat: lat.Float64, Lng: lng.Float64}
	}
	if err := json.Unmarshal([]byte(hours), &p.WorkingHours); err != nil {
		return realtorProfile{}, fmt.Errorf("read working hours: %w", err)
	}
	var rows []timeOffRow
	if err := json.Unmarshal([]byte(off), &rows); err != nil {
		return realtorProfile{}, fmt.Errorf("read time off: %w", err)
	}
	for _, t := range rows {
		p.TimeOff = append(p.TimeOff, timeOff{Start: t.Start.UTC(), End: t.End.UTC(), Reason: t.Reason})
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, nil
}

// Profile implements Store.
func (s *SQLStore) Profile(ctx context.Context, userID string) (realtorProfile, error) {
	return scanProfile(s.db.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM realtor_profiles WHERE user_id = $1`, userID))
}

// UpdateProfile implements Store.
func (s *SQLStore) UpdateProfile(ctx context.Context, userID string, change func(u *userAccount, p *realtorProfile) ([]bus.Event, error)) (userAccount, realtorProfile, error) {
	var (
		outU userAccount
		outP realtorProfile
	)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		u, err := s.lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		p, err := scanProfile(tx.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM realtor_profiles WHERE user_id = $1`, userID))
		if errors.Is(err, store.ErrNotFound) {
			p = newRealtorProfile(userID, u.CreatedAt)
		} else if err != nil {
			return err
		}
		events, err := change(&u, &p)
		if err != nil {
			return err
		}
		if err := saveUser(ctx, tx, u); err != nil {
			return err
		}
		if err := saveProfile(ctx, tx, p); err != nil {
			return err
		}
		outU, outP = u, p
		return outbox.AddAll(ctx, tx, events)
	})
	return outU, outP, err
}

func saveProfile(ctx context.Context, tx *sql.Tx, p realtorProfile) error {
	hours, err := json.Marshal(p.WorkingHours)
	if err != nil {
		return err
	}
	if p.WorkingHours == nil {
		hours = []byte("[]")
	}
	rows := make([]timeOffRow, len(p.TimeOff))
	for i, t := range p.TimeOff {
		rows[i] = timeOffRow(t)
	}
	off, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	var lat, lng any
	if p.Location != nil {
		lat, lng = p.Location.Lat, p.Location.Lng
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO realtor_profiles (`+profileColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (user_id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, service_radius_km = excluded.service_radius_km,
		time_zone = excluded.time_zone, working_hours = excluded.working_hours, availability = excluded.availability, updated_at = excluded.updated_at,
		time_off = excluded.time_off, max_tours_per_day = excluded.max_tours_per_day`,
		p.UserID, lat, lng, p.ServiceRadiusKM, p.TimeZone, string(hours), p.Availability, p.UpdatedAt.UTC(), string(off), p.MaxToursPerDay)
	if err != nil {
		return fmt.Errorf("save realtor profile: %w", err)
	}
	return nil
}

// PutCalendarToken implements Store.
func (s *SQLStore) PutCalendarToken(ctx context.Context, userID, hash string, at time.Time, announce func(u userAccount, generation int) (bus.Event, error)) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		u, err := s.lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		var generation int
		err = tx.QueryRowContext(ctx, `SELECT generation FROM calendar_feeds WHERE user_id = $1`, userID).Scan(&generation)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read calendar feed: %w", err)
		}
		generation++
		_, err = tx.ExecContext(ctx, `INSERT INTO calendar_feeds (user_id, token_hash, generation, issued_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, generation = excluded.generation, issued_at = excluded.issued_at`,
			userID, hash, generation, at.UTC())
		if err != nil {
			return fmt.Errorf("save calendar feed: %w", err)
		}
		ev, err := announce(u, generation)
		if err != nil {
			return err
		}
		return outbox.Add(ctx, tx, ev)
	})
}
