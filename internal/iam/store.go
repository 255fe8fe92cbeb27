package iam

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// Store keeps users and realtor profiles. Every write takes
// the events that announce it and stores them atomically with the change
// (the SQL store puts them in its outbox). Implementations are safe for
// concurrent use; not-found errors wrap store.ErrNotFound.
type Store interface {
	// CreateUser adds u; ErrEmailTaken if the email is registered.
	CreateUser(ctx context.Context, u userAccount, events ...bus.Event) error
	// UserByID returns the user.
	UserByID(ctx context.Context, id string) (userAccount, error)
	// UserByEmail returns the user with that (normalised) email.
	UserByEmail(ctx context.Context, email string) (userAccount, error)
	// UpdateUser runs change on the user inside a transaction that locks
	// it, then saves the user and the events change returns. An error from
	// change aborts everything.
	UpdateUser(ctx context.Context, id string, change func(u *userAccount) ([]bus.Event, error)) (userAccount, error)
	// ListUsers returns up to limit users matching f, oldest first, after
	// the cursor position (zero Cursor: from the start).
	ListUsers(ctx context.Context, f userFilter, after userCursor, limit int) ([]userAccount, error)

	// Profile returns a realtor's profile; not found if never set.
	Profile(ctx context.Context, userID string) (realtorProfile, error)
	// UpdateProfile runs change on the user and their profile (a new one if
	// none) in one locked transaction and saves both with its events.
	UpdateProfile(ctx context.Context, userID string, change func(u *userAccount, p *realtorProfile) ([]bus.Event, error)) (userAccount, realtorProfile, error)

	// PutCalendarToken replaces a user's calendar feed token hash, in one
	// transaction that locks the user, with the event announce returns for
	// the token's generation (1 for the first, one more each time).
	PutCalendarToken(ctx context.Context, userID, hash string, at time.Time, announce func(u userAccount, generation int) (bus.Event, error)) error

	// AddAudit puts audit events of actions that changed nothing in this
	// store into its outbox, to reach the audit log (internal/auditlog)
	// like every other entry.
	AddAudit(ctx context.Context, events ...bus.Event) error

	calendarImportStore
	refreshStore
}

// CalendarImportStore keeps realtors' calendar imports (calendar_sync.go).
// Implementations are safe for concurrent use, also by several processes.
type calendarImportStore interface {
	// PutCalendarImport saves a new URL for the user: due at imp.NextSyncAt,
	// no failures, no error, any claim on the old URL void. The blocks last
	// announced are kept, so an unchanged calendar is not announced again.
	PutCalendarImport(ctx context.Context, imp calendarImport, at time.Time) error
	// DeleteCalendarImport removes the user's import, with events.
	DeleteCalendarImport(ctx context.Context, userID string, events ...bus.Event) error
	// ClaimCalendarImport takes the earliest import due by now that no
	// other round holds, marks it with claim and hides it until
	// leaseUntil; ok is false when none is due.
	ClaimCalendarImport(ctx context.Context, now, leaseUntil time.Time, claim string) (calendarImport, bool, error)
	// FinishCalendarImport records the outcome of a claimed sync, with
	// events, unless the claim was lost (the URL changed or the lease ran
	// out); it reports whether it recorded.
	FinishCalendarImport(ctx context.Context, imp calendarImport, out calendarOutcome, events ...bus.Event) (bool, error)
	// CalendarSync is what the user may see of their import.
	CalendarSync(ctx context.Context, userID string) (calendarSyncState, error)
	// NextCalendarSync is when the next import is due.
	NextCalendarSync(ctx context.Context) (time.Time, bool, error)
}

// RefreshStore keeps refresh-token families (see refresh.go). Tokens are
// known only by their hash. Implementations are safe for concurrent use.
type refreshStore interface {
	// StartRefreshFamily adds a family and its first token.
	StartRefreshFamily(ctx context.Context, f refreshFamily, first refreshToken) error
	// UseRefreshToken finds the token with this hash and, in one
	// transaction that locks the token and its family (so concurrent uses
	// of one token run one after the other, each seeing the last one's
	// change), runs use with the family's user; then saves f and t as use
	// left them, adds the token use returns (nil: none) and the events it
	// returns. An error from use aborts everything. An unknown hash is not
	// found (store.ErrNotFound).
	UseRefreshToken(ctx context.Context, hash string, use func(u userAccount, f *refreshFamily, t *refreshToken) (*refreshToken, []bus.Event, error)) error
	// RevokeRefreshFamilyOf revokes, at at, the family of the token with
	// this hash, unless it is revoked already, and then stores the events
	// announce returns for the family in the same transaction (so a family
	// is announced revoked once, by whoever revoked it). It reports whether
	// a token had this hash.
	RevokeRefreshFamilyOf(ctx context.Context, hash string, at time.Time, announce func(f refreshFamily) ([]bus.Event, error)) (bool, error)
	// RevokeRefreshFamilies revokes, at at, every live family of a user
	// and returns how many it revoked.
	RevokeRefreshFamilies(ctx context.Context, userID string, at time.Time) (int, error)
	// PruneRefresh deletes up to limit tokens that expired before now, and
	// up to limit expired families left without tokens; it returns how many
	// rows it deleted.
	PruneRefresh(ctx context.Context, now time.Time, limit int) (int, error)
}

// UserFilter narrows ListUsers; empty fields match everything.
type userFilter struct {
	Role     role
	Status   status
	Verified *bool
}

// UserCursor is a position in ListUsers' order.
type userCursor struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}
