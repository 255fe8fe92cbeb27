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
	"github.com/openhouse/openhouse/internal/platform/httpapi"
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
	// Records are what GET /iam/me shows of a user's listings, payments,
	// appointments and notifications; nil shows none.
	Records RecordSource
	// Schedules is the appointment service, asked before a realtor's time
	// off or daily cap is saved (schedule.go). Nil: not asked (tools that
	// open iam's store without the platform, tests of other things).
	Schedules ScheduleGate
	Clock     clock.Clock
	Log       *slog.Logger
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
		cfg.Passwords = defaultPasswordParams
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
	dummy, err := hashPassword(uuid.NewString(), cfg.Passwords)
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
		{Pattern: "POST /iam/register", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRegister), Body: registerRequest{},
			Doc: httpapi.Doc{Summary: "Register an account", Reply: userView{}, Status: http.StatusCreated,
				Description: "Customers start verified; providers and realtors wait for an admin to verify them. `admin` cannot be registered.",
				Errors:      map[int]string{http.StatusConflict: "The email is already registered.", http.StatusTooManyRequests: "Too many registrations from this address."}}},
		{Pattern: "POST /iam/login", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleLogin), Body: loginRequest{},
			Doc: httpapi.Doc{Summary: "Sign in", Reply: tokenResponse{},
				Description: "Answers an access token (Bearer) and a refresh token. Wrong credentials get the same 401 whether or not the email exists.",
				Errors: map[int]string{http.StatusUnauthorized: "Wrong email or password.", http.StatusForbidden: "The account is suspended.",
					http.StatusTooManyRequests: "Too many sign-in attempts from this address or for this account."}}},
		// The refresh token is the credential of these two.
		{Pattern: "POST /iam/refresh", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRefresh), Body: refreshRequest{},
			Doc: httpapi.Doc{Summary: "Exchange a refresh token for new tokens", Reply: tokenResponse{},
				Description: "Rotates the refresh token: the one sent stops working. Reusing a rotated token revokes its whole sign-in.",
				Errors: map[int]string{http.StatusUnauthorized: "The refresh token is not valid; sign in again.",
					http.StatusForbidden: "The account is suspended.", http.StatusTooManyRequests: "Too many refreshes from this address."}}},
		{Pattern: "POST /iam/logout", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleLogout), Body: refreshRequest{},
			Doc: httpapi.Doc{Summary: "Sign out: revoke a refresh token and its sign-in"}},
		// Services authenticate here with their client secret.
		{Pattern: "POST /iam/token", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleToken),
			Doc: httpapi.Doc{Summary: "Get a service identity's access token", Reply: tokenResponse{}, Auth: "basic",
				Request: tokenRequest{}, RequestContentType: "application/x-www-form-urlencoded",
				Description: "The OAuth 2.0 client credentials grant, for services: the client id and secret in HTTP Basic. Errors also carry the RFC 6749 `error` code.",
				Answers: []httpapi.Answer{
					{Status: http.StatusBadRequest, Why: "The body is not a small form, or grant_type is not client_credentials.", Body: oauthProblem{}},
					{Status: http.StatusUnauthorized, Why: "Unknown client or wrong secret.", Body: oauthProblem{}},
				}}},
		{Pattern: "GET /.well-known/jwks.json", Rule: auth.Public(), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleJWKS),
			Doc: httpapi.Doc{Summary: "The public keys that verify access tokens (JWK Set)", Reply: auth.JWKS{}}},
		{Pattern: "GET /iam/me", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleMe),
			Doc: httpapi.Doc{Summary: "The caller's account, realtor profile and records", Reply: meView{},
				Description: "`records` are kept up to date from the other services' events: a provider's listings, a customer's payments, everyone's appointments and notifications."}},
		{Pattern: "PATCH /iam/me", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleUpdateMe), Body: updateMeRequest{},
			Doc: httpapi.Doc{Summary: "Change the caller's name or realtor profile", Reply: meView{},
				Description: "Fields left out are kept. Only realtors have a profile (location, service radius, time zone, working hours, status, " +
					"time off, daily cap, own calendar). Time off and the daily cap are taken by the booking service before they are saved: " +
					"time off over a tour the realtor holds or is booked for is refused (409 listing the tours), and once saved no tour lands in it.",
				Answers: []httpapi.Answer{{Status: http.StatusConflict, Why: "The time off covers tours the realtor holds or is booked for; nothing was saved.", Body: timeOffConflict{}}},
				Errors:  map[int]string{http.StatusServiceUnavailable: "The booking service could not be asked about the time off or cap; nothing was saved."}}},
		{Pattern: "POST /iam/me/calendar-token", Rule: auth.AnyUser(), Owner: auth.OwnedByCaller, Handler: http.HandlerFunc(s.handleCalendarToken),
			Doc: httpapi.Doc{Summary: "Issue a new secret calendar feed URL", Reply: calendarTokenView{},
				Description: "The URL serves the caller's tours as iCalendar (RFC 5545): a realtor's assignments, a customer's own tours, a provider's showings. The previous URL stops working."}},
		{Pattern: "GET /iam/users", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleListUsers),
			Doc: httpapi.Doc{Summary: "List users", Reply: httpapi.List[userView]{}, Params: userQuery{}}},
		{Pattern: "GET /iam/users/{id}", Rule: auth.AnyUser(), Owner: auth.OwnedByPath, Handler: http.HandlerFunc(s.handleGetUser),
			Doc: httpapi.Doc{Summary: "Get a user (admins; a user may read itself)", Reply: userView{}}},
		{Pattern: "PATCH /iam/users/{id}", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleAdminUpdate), Body: adminUpdateRequest{},
			Doc: httpapi.Doc{Summary: "Verify or suspend a user", Reply: userView{},
				Description: "A suspended user's tokens stop working in every service as soon as the news travels the bus."}},
		{Pattern: "POST /iam/keys/rotate", Rule: admin, Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleRotate),
			Doc: httpapi.Doc{Summary: "Rotate the token signing key", Reply: rotateView{},
				Description: "New tokens are signed with a new key; the old key keeps verifying until the tokens it signed expire."}},
	}
}

// userQuery are GET /iam/users's filters.
type userQuery struct {
	Role     string `query:"role" enum:"customer,provider,realtor,admin" doc:"Only users with this role."`
	Status   string `query:"status" enum:"active,suspended" doc:"Only users in this status."`
	Verified bool   `query:"verified" doc:"Only verified (true) or unverified (false) users."`
}

// tokenRequest is the form POST /iam/token reads.
type tokenRequest struct {
	GrantType string `json:"grant_type" enum:"client_credentials"`
}

// rotateView is POST /iam/keys/rotate's answer.
type rotateView struct {
	Kid string `json:"kid" doc:"The id of the new signing key."`
}

// Register opens an account and announces it.
func (s *Service) Register(ctx context.Context, r registration) (userAccount, error) {
	if err := r.Validate(); err != nil {
		return userAccount{}, err
	}
	return s.create(ctx, r)
}

func (s *Service) create(ctx context.Context, r registration) (userAccount, error) {
	hash, err := hashPassword(r.Password, s.cfg.Passwords)
	if err != nil {
		return userAccount{}, err
	}
	now := s.cfg.Clock.Now()
	u := newUser(uuid.NewString(), r, hash, now)
	ev, err := bus.NewEvent(ctx, events.TypeUserRegistered, u.ID, events.UserRegistered{
		UserID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role),
		Status: string(u.Status), Verified: u.Verified, RegisteredAt: u.CreatedAt,
	}, now)
	if err != nil {
		return userAccount{}, err
	}
	evs := []bus.Event{ev}
	if u.Role == roleAdmin {
		entry, err := auditAdminCreated(ctx, u, now)
		if err != nil {
			return userAccount{}, err
		}
		evs = append(evs, entry)
	}
	if err := s.store.CreateUser(ctx, u, evs...); err != nil {
		return userAccount{}, err
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
	r := registration{Email: email, Password: password, Name: "Administrator", Role: roleCustomer}
	if err := r.Validate(); err != nil {
		return false, err
	}
	r.Role = roleAdmin
	u, err := s.create(ctx, r)
	if errors.Is(err, errEmailTaken) {
		return false, nil // another instance created it first
	}
	if err != nil {
		return false, err
	}
	s.cfg.Log.InfoContext(ctx, "admin created", "user_id", u.ID)
	return true, nil
}
