package iam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/egress"
)

// Config tunes the iam service. Zero fields take defaults.
type Config struct {
	// Passwords are the argon2id costs for new hashes.
	Passwords PasswordParams
	// Tokens configures access tokens (lifetime, issuer, audience).
	Tokens auth.IssuerConfig
	// ServiceSecrets maps each service identity to its client secret.
	ServiceSecrets map[string]string
	// Login limits failed sign-ins; see LoginLimits.
	Login LoginLimits
	// Refresh bounds refresh tokens' lifetimes; see refresh.go.
	Refresh RefreshLifetimes
	// Calendar is how realtors' own calendars are imported.
	Calendar CalendarConfig
	Clock    clock.Clock
	Log      *slog.Logger
}

// LoginLimits bound password guessing without letting an attacker lock a
// real user out:
//   - PerClient failures of one account from one client address refuse that
//     pair (429) for Window; other clients are not affected.
//   - PerAddress failures from one address, whatever the accounts, refuse
//     that address (credential stuffing).
//   - PerAccount failures of one account from all addresses (a distributed
//     guess) refuse addresses that have never signed in to it successfully,
//     while addresses that have (the real user's devices) still get in.
type LoginLimits struct {
	PerClient  int
	PerAddress int
	PerAccount int
	Window     time.Duration
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerClient == 0 {
		l.PerClient = 5
	}
	if l.PerAddress == 0 {
		l.PerAddress = 30
	}
	if l.PerAccount == 0 {
		l.PerAccount = 50
	}
	if l.Window == 0 {
		l.Window = 15 * time.Minute
	}
	return l
}

// Service is the iam application: it runs the domain's rules against the
// store, signs tokens, and announces what changed.
type Service struct {
	store  Store
	cfg    Config
	issuer *auth.Issuer
	guard  *loginGuard
	// dummyHash is checked when an email is unknown, so that a login costs
	// the same whether or not the account exists.
	dummyHash string
	// The calendar import: the URLs' seal, the SSRF-safe client, and the
	// poller's wake-up.
	sealer       sealer
	fetcher      *egress.Client
	calendarWake chan struct{}
}

// New builds the service; keys holds the token signing keys.
func New(ctx context.Context, st Store, keys auth.KeyStore, cfg Config) (*Service, error) {
	if st == nil || keys == nil {
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
	cfg.Login = cfg.Login.withDefaults()
	cfg.Refresh = cfg.Refresh.WithDefaults()
	if err := cfg.Refresh.Validate(); err != nil {
		return nil, err
	}
	cfg.Tokens.Clock = cfg.Clock
	issuer, err := auth.NewIssuer(ctx, keys, cfg.Tokens)
	if err != nil {
		return nil, fmt.Errorf("iam: token issuer: %w", err)
	}
	dummy, err := HashPassword(uuid.NewString(), cfg.Passwords)
	if err != nil {
		return nil, err
	}
	cfg.Calendar = cfg.Calendar.withDefaults()
	seal, err := newSealer(cfg.Calendar.Key)
	if err != nil {
		return nil, err
	}
	return &Service{store: st, cfg: cfg, issuer: issuer, dummyHash: dummy, guard: newLoginGuard(cfg.Login, cfg.Clock),
		sealer: seal, fetcher: egress.New(cfg.Calendar.Fetch), calendarWake: make(chan struct{}, 1)}, nil
}

// KeySource is what verifies the tokens this service signs.
func (s *Service) KeySource() auth.KeySource { return s.issuer }

// Issuer signs this service's tokens.
func (s *Service) Issuer() *auth.Issuer { return s.issuer }

// Routes is the iam HTTP API: its authorization table.
func (s *Service) Routes() []auth.Route {
	admin := auth.Users(auth.RoleAdmin)
	return []auth.Route{
		{Pattern: "POST /iam/register", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRegister), Body: registerRequest{}},
		{Pattern: "POST /iam/login", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleLogin), Body: loginRequest{}},
		// The refresh token is the credential of these two.
		{Pattern: "POST /iam/refresh", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRefresh), Body: refreshRequest{}},
		{Pattern: "POST /iam/logout", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleLogout), Body: refreshRequest{}},
		// Services authenticate here with their client secret.
		{Pattern: "POST /iam/token", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleToken)},
		{Pattern: "GET /.well-known/jwks.json", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleJWKS)},
		{Pattern: "GET /iam/me", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleMe)},
		{Pattern: "PATCH /iam/me", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleUpdateMe), Body: updateMeRequest{}},
		{Pattern: "POST /iam/me/calendar-token", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleCalendarToken)},
		{Pattern: "GET /iam/users", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleListUsers)},
		{Pattern: "GET /iam/users/{id}", Rule: auth.AnyUser(), Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleGetUser)},
		{Pattern: "PATCH /iam/users/{id}", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleAdminUpdate), Body: adminUpdateRequest{}},
		{Pattern: "POST /iam/keys/rotate", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRotate)},
		{Pattern: "GET /iam/audit", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleAudit)},
	}
}

// Register opens an account and announces it.
func (s *Service) Register(ctx context.Context, r Registration) (User, error) {
	if err := r.Validate(); err != nil {
		return User{}, err
	}
	return s.create(ctx, r)
}

func (s *Service) create(ctx context.Context, r Registration) (User, error) {
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
	evs := []bus.Event{ev}
	if u.Role == RoleAdmin {
		entry, err := auditAdminCreated(ctx, u, now)
		if err != nil {
			return User{}, err
		}
		evs = append(evs, entry)
	}
	if err := s.store.CreateUser(ctx, u, evs...); err != nil {
		return User{}, err
	}
	s.cfg.Log.InfoContext(ctx, "user registered", "user_id", u.ID, "role", u.Role)
	return u, nil
}

// EnsureAdmin creates an admin account with this email unless one exists.
// It is how the first admin comes to be (OPENHOUSE_ADMIN_EMAIL at start,
// or `openhouse admin create`). It reports whether it created one.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (bool, error) {
	if _, err := s.store.UserByEmail(ctx, email); err == nil {
		return false, nil
	}
	r := Registration{Email: email, Password: password, Name: "Administrator", Role: RoleCustomer}
	if err := r.Validate(); err != nil {
		return false, err
	}
	r.Role = RoleAdmin
	u, err := s.create(ctx, r)
	if errors.Is(err, ErrEmailTaken) {
		return false, nil // another instance created it first
	}
	if err != nil {
		return false, err
	}
	s.cfg.Log.InfoContext(ctx, "admin created", "user_id", u.ID)
	return true, nil
}

// Subscriptions lists the events iam consumes: news about its users from
// the other services, kept as records, and every service's audit entries
// (its own included), kept as the audit log.
func (s *Service) Subscriptions() []bus.Subscription { return s.withAudit(s.recordSubscriptions()) }
