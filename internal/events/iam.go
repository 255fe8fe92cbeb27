package events

import "time"

// Event types published by the iam service.
const (
	TypeUserRegistered        = "openhouse.iam.user.registered.v1"
	TypeUserVerified          = "openhouse.iam.user.verified.v1"
	TypeUserStatusChanged     = "openhouse.iam.user.status_changed.v1"
	TypeUserUpdated           = "openhouse.iam.user.updated.v1"
	TypeRealtorProfileChanged = "openhouse.iam.realtor.profile_changed.v1"
	TypeCalendarTokenIssued   = "openhouse.iam.user.calendar_token_issued.v1"
	TypeRealtorBusyChanged    = "openhouse.iam.realtor.busy_changed.v1"
	TypeSessionRevoked        = "openhouse.iam.session.revoked.v1"
)

// UserRegistered announces a new account.
type UserRegistered struct {
	UserID       string    `json:"user_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	Status       string    `json:"status"`
	Verified     bool      `json:"verified"`
	RegisteredAt time.Time `json:"registered_at"`
}

// UserVerified says an admin verified (or un-verified) a provider or
// realtor. Unverified providers cannot list homes; unverified realtors get
// no tours.
type UserVerified struct {
	UserID   string    `json:"user_id"`
	Role     string    `json:"role"`
	Verified bool      `json:"verified"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// UserStatusChanged says an admin suspended or reactivated an account.
// Every process refuses a suspended user's tokens on receipt, and after a
// reactivation still refuses those issued before TokensValidFrom; a
// suspended provider's listings leave search, a suspended realtor gets no
// tours.
type UserStatusChanged struct {
	UserID string    `json:"user_id"`
	Role   string    `json:"role"`
	Status string    `json:"status"` // active or suspended
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	// TokensValidFrom voids the user's access tokens issued before it: the
	// instant of this change (a suspension's tokens stay dead after the
	// reactivation). Absent from events published before it existed, where
	// At is the same instant.
	TokensValidFrom time.Time `json:"tokens_valid_from,omitzero"`
}

// SessionRevoked says a sign-in session (a refresh-token family, the sid
// claim of its access tokens) ended before its time: the user signed out,
// or a used-up refresh token was presented again. Every process refuses the
// session's access tokens on receipt, until they expire.
type SessionRevoked struct {
	SessionID string    `json:"session_id"`
	UserID    string    `json:"user_id"`
	Reason    string    `json:"reason"` // signed_out or reused
	At        time.Time `json:"at"`
}

// Reasons a session was revoked (SessionRevoked.Reason).
const (
	SessionSignedOut = "signed_out"
	SessionReused    = "reused"
)

// UserUpdated says a user's display name or email changed.
type UserUpdated struct {
	UserID string    `json:"user_id"`
	Email  string    `json:"email"`
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
}

// GeoPoint is a WGS 84 position.
type GeoPoint struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// WorkingHours is one weekly window in the realtor's time zone; Weekday is
// ISO 8601 (1 = Monday ... 7 = Sunday), Start and End are "HH:MM".
type WorkingHours struct {
	Weekday int    `json:"weekday"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

// RealtorProfileChanged carries a realtor's whole profile after any change,
// so a consumer (availability) can apply it without earlier events. Tour
// keeps the name from it, for realtor_name on tours.
type RealtorProfileChanged struct {
	RealtorID       string         `json:"realtor_id"`
	Name            string         `json:"name"`
	Location        *GeoPoint      `json:"location,omitempty"`
	ServiceRadiusKM float64        `json:"service_radius_km"`
	TimeZone        string         `json:"time_zone"`
	WorkingHours    []WorkingHours `json:"working_hours"`
	Status          string         `json:"status"` // available or unavailable
	Verified        bool           `json:"verified"`
	Active          bool           `json:"active"` // false while suspended
	// TimeOff are the spans the realtor takes no tours (UTC), whatever
	// their hours say. Absent from events published before it existed.
	TimeOff []TimeOff `json:"time_off,omitempty"`
	// MaxToursPerDay is the most tours (holds and bookings) the realtor
	// takes on one day of their own time zone; 0: no cap.
	MaxToursPerDay int       `json:"max_tours_per_day,omitempty"`
	At             time.Time `json:"at"`
}

// TimeOff is a span a realtor takes no tours, with their reason (shown to
// them and admins, never to customers).
type TimeOff struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
}

// CalendarTokenIssued says a user asked for a new calendar feed URL
// (POST /iam/me/calendar-token). TokenHash is the hex SHA-256 of the secret
// in the URL; the secret itself never leaves iam's answer to the user.
// Generation rises with each new token of the user: a consumer keeps the
// highest it has seen, so the previous URL stops working.
type CalendarTokenIssued struct {
	UserID     string    `json:"user_id"`
	Role       string    `json:"role"`
	TokenHash  string    `json:"token_hash"`
	Generation int       `json:"generation"`
	At         time.Time `json:"at"`
}

// BusyBlock is a span of time a realtor is busy in their own calendar.
type BusyBlock struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// RealtorBusyChanged carries every busy block of a realtor's own calendar
// (the iCalendar URL on their profile) from From to To (90 days), after a
// sync found them changed, or empty when the URL was removed. It replaces
// whatever an earlier event said for the realtor: a consumer keeps the
// newest (by At) and forgets the rest. Blocks are UTC, sorted, merged,
// clipped to [From, To).
type RealtorBusyChanged struct {
	RealtorID string      `json:"realtor_id"`
	From      time.Time   `json:"from"`
	To        time.Time   `json:"to"`
	Blocks    []BusyBlock `json:"blocks"`
	At        time.Time   `json:"at"`
}
