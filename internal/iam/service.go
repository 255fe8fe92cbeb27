package iam

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
)

// Config tunes the iam service.
type Config struct {
	// Passwords are the argon2id costs for new hashes.
	Passwords PasswordParams
	Clock     clock.Clock
	Log       *slog.Logger
}

// Service is the iam application: it runs the domain's rules against the
// store and announces what changed.
type Service struct {
	store Store
	cfg   Config
}

// New builds the service.
func New(st Store, cfg Config) (*Service, error) {
	if st == nil {
		return nil, errors.New("iam: nil store")
	}
	if cfg.Passwords.MemoryKiB == 0 {
		cfg.Passwords = DefaultPasswordParams
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{store: st, cfg: cfg}, nil
}

// Register opens an account and announces it.
func (s *Service) Register(ctx context.Context, r Registration) (User, error) {
	if err := r.Validate(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(r.Password, s.cfg.Passwords)
	if err != nil {
		return User{}, err
	}
	now := s.cfg.Clock.Now()
	u := NewUser(uuid.NewString(), r, hash, now)
	ev, err := bus.NewEvent(ctx, events.TypeUserRegistered, u.ID, events.UserRegistered{
		UserID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role),
		Status: string(u.Status), Verified: u.Verified, RegisteredAt: u.CreatedAt,
	}, now)
	if err != nil {
		return User{}, err
	}
	if err := s.store.CreateUser(ctx, u, ev); err != nil {
		return User{}, err
	}
	s.cfg.Log.InfoContext(ctx, "user registered", "user_id", u.ID, "role", u.Role)
	return u, nil
}

// Routes mounts the iam HTTP API.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /iam/register", s.handleRegister)
}

// Subscriptions lists the events iam consumes.
func (s *Service) Subscriptions() []bus.Subscription { return nil }
