// Package notification tells customers and realtors what happens to their
// tours: when one is scheduled, rescheduled, cancelled or still waits for a
// realtor, and reminders at configurable offsets before it starts. Every
// notification lands in the user's in-app inbox; it is also emailed (with an
// RFC 5545 invite) when SMTP is configured, and POSTed, signed, to the
// user's webhook when they registered one.
//
// Nothing is sent from inside an event handler: a handler (or the reminder
// poller) writes the notification, its deliveries and its event in one
// transaction, and the poller in Run sends the deliveries after commit,
// retrying with backoff. Reminders are rows with a due time, not timers, so
// they survive restarts and are claimed by one instance only.
//
// This file is the domain: types and rules, no I/O.
package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/usertext"
)

// Kind says what a notification is about. The values are API (inbox items,
// webhook bodies, NotificationSent events).
type Kind string

// The kinds of notification.
const (
	kindTourScheduled   Kind = "tour_scheduled"
	kindTourRescheduled Kind = "tour_rescheduled"
	kindTourCancelled   Kind = "tour_cancelled"
	kindTourUnassigned  Kind = "tour_unassigned"
	kindTourReminder    Kind = "tour_reminder"
	// kindTourConfirmed tells the customer that the assigned realtor
	// confirmed the tour.
	kindTourConfirmed Kind = "tour_confirmed"
	// kindTourStopDeclined tells the customer that a home left their tour
	// (its provider declined, or did not answer in time).
	kindTourStopDeclined Kind = "tour_home_declined"
	// kindAccessOpen tells the assigned realtor that the homes' access
	// instructions opened to them (never what they say).
	kindAccessOpen Kind = "access_open"
)

// Channel is how a notification reaches a user. The values are API.
type channel string

// The channels. The inbox always gets the notification; email and webhook
// deliveries are made after commit.
const (
	channelInbox   channel = "inbox"
	channelEmail   channel = "email"
	channelWebhook channel = "webhook"
)

// Role of a recipient in a tour.
const (
	roleCustomer = "customer"
	roleRealtor  = "realtor"
	roleProvider = "provider" // asked to approve showings of their homes
)

// contact is what the address book knows of a user, kept from iam events.
// Each field remembers the time of the news that set it, so that news
// arriving out of order never overwrites newer news.
type contact struct {
	UserID     string
	Email      string
	Name       string
	Role       string
	TimeZone   string // IANA zone from a realtor's profile; empty if unknown
	EmailAt    time.Time
	NameAt     time.Time
	TimeZoneAt time.Time
}

// contactUpdate is one piece of news about a user: the fields it carries
// (nil for the ones it does not) and when it was true.
type contactUpdate struct {
	UserID   string
	Email    *string
	Name     *string
	Role     string // set only by news that knows it; never cleared
	TimeZone *string
	At       time.Time
}

// Apply returns c with the fields of u that are at least as new as what c
// holds: the newest news wins, field by field, whatever the arrival order.
func (c contact) Apply(u contactUpdate) contact {
	c.UserID = u.UserID
	at := u.At.UTC()
	if u.Email != nil && !at.Before(c.EmailAt) {
		c.Email, c.EmailAt = strings.ToLower(strings.TrimSpace(*u.Email)), at
	}
	if u.Name != nil && !at.Before(c.NameAt) {
		c.Name, c.NameAt = *u.Name, at
	}
	if u.TimeZone != nil && !at.Before(c.TimeZoneAt) {
		c.TimeZone, c.TimeZoneAt = *u.TimeZone, at
	}
	if u.Role != "" {
		c.Role = u.Role
	}
	return c
}

// notification is one message to one user, as their inbox shows it.
type notification struct {
	ID      string
	UserID  string
	Kind    Kind
	TourID  string
	Channel channel // always ChannelInbox; other channels are Deliveries
	Subject string
	Body    string
	SendAt  time.Time // when it was meant to go out (a reminder's due time)
	SentAt  time.Time // when it reached the inbox
	ReadAt  time.Time // zero while unread
	// Deliveries are its email and webhook deliveries, when listed.
	Deliveries []delivery
}

// deliveryState is where a delivery stands.
type deliveryState string

// Delivery states: pending (waiting or between attempts), delivered, failed
// (gave up after the last attempt), dropped (nowhere left to send it: the
// webhook was removed).
const (
	deliveryPending   deliveryState = "pending"
	deliveryDelivered deliveryState = "delivered"
	deliveryFailed    deliveryState = "failed"
	deliveryDropped   deliveryState = "dropped"
)

// delivery is one notification on one outside channel (email, webhook): a
// durable row that the poller sends after the notification committed.
type delivery struct {
	ID             string
	NotificationID string
	UserID         string
	Channel        channel
	Kind           Kind
	TourID         string
	// Payload is what to send: an Email for email, the exact JSON body for
	// a webhook (so every retry sends the same bytes).
	Payload       []byte
	State         deliveryState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	DeliveredAt   time.Time
	CreatedAt     time.Time
	// Claim identifies the poller round that holds the delivery; only that
	// round may record its outcome.
	Claim string
}

// deliveryOutcome is what became of one attempt.
type deliveryOutcome struct {
	State         deliveryState
	NextAttemptAt time.Time // for another attempt (State pending)
	Error         string
	At            time.Time
	// Sent, when the delivery succeeded, is announced with the outcome.
	Sent *events.NotificationSent
}

// Retry says what to do after a failed attempt number attempt (1-based):
// try again after an exponential backoff from base (doubling, at most max),
// or give up once attempt reaches maxAttempts.
func retry(attempt, maxAttempts int, base, max time.Duration, now time.Time, cause error) deliveryOutcome {
	msg := truncate(cause.Error(), 500)
	if attempt >= maxAttempts {
		return deliveryOutcome{State: deliveryFailed, Error: fmt.Sprintf("gave up after %d attempts: %s", attempt, msg), At: now}
	}
	return deliveryOutcome{State: deliveryPending, NextAttemptAt: now.Add(backoff(attempt, base, max)), Error: msg, At: now}
}

// backoff is base * 2^(attempt-1), at most max.
func backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ReminderState is where a reminder stands.
type reminderState string

// Reminder states. A pending reminder becomes exactly one of the others.
const (
	reminderPending   reminderState = "pending"
	reminderSent      reminderState = "sent"
	reminderCancelled reminderState = "cancelled" // the tour changed or was cancelled first
	reminderSkipped   reminderState = "skipped"   // too late to be useful
	reminderFailed    reminderState = "failed"    // could not be composed; see logs
)

// reminder is a durable timer: remind UserID of a tour Offset before it
// starts, at DueAt. It belongs to one version of the tour; any later news
// about the tour cancels it (a rescheduled tour gets new reminders when it
// is scheduled again).
type reminder struct {
	ID          string
	TourID      string
	TourVersion int
	UserID      string
	Role        string
	Offset      time.Duration
	DueAt       time.Time
	State       reminderState
}

// planReminders returns the reminders of a scheduled tour: one per user
// and offset, due Offset before the start. A reminder whose time has
// already come (a tour booked 30 minutes ahead has no 1 h reminder) is left
// out rather than sent late.
func planReminders(t events.Tour, users map[string]string, offsets []time.Duration, now time.Time, newID func() string) []reminder {
	var out []reminder
	ids := make([]string, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, user := range ids {
		for _, off := range offsets {
			due := t.ScheduledAt.Add(-off).UTC()
			if !due.After(now) {
				continue
			}
			out = append(out, reminder{ID: newID(), TourID: t.TourID, TourVersion: t.Version, UserID: user,
				Role: users[user], Offset: off, DueAt: due, State: reminderPending})
		}
	}
	return out
}

// fireDecision is what the poller does with a due reminder.
type fireDecision int

// The decisions.
const (
	fireSend   fireDecision = iota
	fireCancel              // the tour has moved on since the reminder was set
	fireSkip                // too late: the tour started, or a later reminder is due too
)

// decideFire applies the rules for a reminder that has come due at now.
// tour is the newest version known (ok false if none); newerDue says
// whether a reminder of the same tour and user with a smaller offset is due
// too (after downtime only the most recent one is worth sending).
func decideFire(r reminder, tour events.Tour, ok bool, newerDue bool, now time.Time) fireDecision {
	switch {
	case !ok || tour.Version != r.TourVersion || tour.Status == "cancelled":
		return fireCancel
	case !now.Before(tour.ScheduledAt):
		return fireSkip
	case newerDue:
		return fireSkip
	}
	return fireSend
}

// Stale reports whether news about a tour at version v is older than what
// was already applied (known, at version current) and must be ignored.
func stale(known bool, current, v int) bool { return known && v < current }

// Webhook is a user's registered endpoint. The secret signs every POST;
// it is never shown again after registration.
type webhook struct {
	UserID    string
	URL       string
	Secret    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Webhook limits.
const (
	minSecretLen = 16
	maxSecretLen = 256
	maxURLLen    = 2048
)

// ValidateWebhook checks a registration's form, without looking anything
// up: an https URL of printable ASCII with a host and no credentials (plain
// http only to a loopback address, and only when allowLoopback, which tests
// set), an address literal for a host only when it is public (see
// checkAddress), and a secret of 16 to 256 bytes without control or
// bidirectional formatting characters (the platform's text policy,
// internal/platform/usertext; the secret is kept exactly as given, since
// it is the receiver's HMAC key).
func validateWebhook(rawURL, secret string, allowLoopback bool) error {
	var errs fault.ValidationError
	if msg := checkWebhookURL(rawURL, allowLoopback); msg != "" {
		errs = append(errs, fault.FieldError{Field: "url", Message: msg})
	}
	switch n := len(secret); {
	case n < minSecretLen:
		errs = append(errs, fault.FieldError{Field: "secret", Message: fmt.Sprintf("must be at least %d characters", minSecretLen)})
	case n > maxSecretLen:
		errs = append(errs, fault.FieldError{Field: "secret", Message: fmt.Sprintf("must be at most %d characters", maxSecretLen)})
	default:
		if msg := usertext.Check(secret, usertext.Line); msg != "" {
			errs = append(errs, fault.FieldError{Field: "secret", Message: msg})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func checkWebhookURL(raw string, allowLoopback bool) string {
	const must = "must be an absolute https URL"
	if raw == "" {
		return "is required"
	}
	if len(raw) > maxURLLen {
		return fmt.Sprintf("must be at most %d characters", maxURLLen)
	}
	if !usertext.IsToken(raw, maxURLLen) {
		return "must be printable ASCII (percent-encode the path, write an international host name in punycode)"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return must
	}
	if u.User != nil {
		return "must not carry credentials; the secret signs each request"
	}
	if u.Fragment != "" {
		return "must not have a fragment"
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && checkAddress(ip, allowLoopback) != nil {
		return "must point to a public address, not a loopback, private or otherwise non-public one"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if allowLoopback && isLoopbackHost(u.Hostname()) {
			return ""
		}
	}
	return must
}

func isLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errNoWebhook is returned when a user has no webhook registered.
var errNoWebhook = fault.NotFound("no webhook registered").WithDetail("you have no webhook registered")

// errNoFeed is returned for a calendar token that opens no feed (unknown,
// or replaced by a newer one).
var errNoFeed = errors.New("no such calendar feed")

// errNotFound is returned for a notification that does not exist or is not
// the caller's.
var errNotFound = fault.NotFound("notification not found").WithDetail("no such notification")
