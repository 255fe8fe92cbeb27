package notification

import (
	"context"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

// View reads the service's state inside the transaction that will write
// what a planner decides, so the decision and the write see the same data.
type view interface {
	// Tour returns the newest version of a tour applied so far.
	Tour(ctx context.Context, tourID string) (events.Tour, bool, error)
	// Contact returns the address book entry of a user (zero if unknown).
	Contact(ctx context.Context, userID string) (contact, error)
	// HasWebhook reports whether the user has a webhook registered.
	HasWebhook(ctx context.Context, userID string) (bool, error)
	// NewerReminderDue reports whether another reminder of r's tour and
	// user, due after r and by now, is pending or sent.
	NewerReminderDue(ctx context.Context, r reminder, now time.Time) (bool, error)
	// Preferences returns the user's choices (DefaultPreferences if none).
	Preferences(ctx context.Context, userID string) (preferences, error)
	// Phone returns the user's phone (zero Number if none).
	Phone(ctx context.Context, userID string) (phone, error)
}

// changes are what one event or one due reminder does, written in one
// transaction with the inbox row or the reminder's new state.
type changes struct {
	// Tour, when set, replaces the stored snapshot of the tour.
	Tour *events.Tour
	// CancelBefore, when positive, cancels the tour's pending reminders
	// set for versions older than it.
	CancelBefore int
	Reminders    []reminder
	// Notifications go into inboxes; each one's Deliveries are queued.
	Notifications []notification
	Deliveries    []delivery
	// Sent are announced through the outbox (one per notification and
	// channel delivered; the inbox counts as delivered at creation).
	Sent []events.NotificationSent
	// At is when the changes were decided.
	At time.Time
}

// Page is a position in a user's inbox: items older than (SentAt, ID).
type inboxPage struct {
	SentAt time.Time `json:"t"`
	ID     string    `json:"id"`
}

// Store keeps the address book, tour snapshots, inboxes, reminders,
// deliveries and webhooks. It is safe for concurrent use, also by several
// processes on one PostgreSQL database.
type Store interface {
	// UpdateContact applies the event eventID to a user's address book
	// entry with fn, once: a redelivered event changes nothing.
	UpdateContact(ctx context.Context, eventID, userID string, fn func(*contact)) error
	// Contact returns a user's entry (zero Contact with UserID set if unknown).
	Contact(ctx context.Context, userID string) (contact, error)

	// Apply runs plan once per eventID and writes its changes in the same
	// transaction as the inbox row; a redelivered event does nothing.
	// Applies with the same lockKey (a tour) run one at a time.
	Apply(ctx context.Context, eventID, lockKey string, plan func(ctx context.Context, v view) (changes, error)) error

	// FireNext claims the earliest pending reminder due by now (one no
	// other instance holds), asks decide what to do with it, and writes
	// the reminder's new state with decide's changes in one transaction.
	// It reports whether there was a reminder to claim.
	FireNext(ctx context.Context, now time.Time, decide func(ctx context.Context, v view, r reminder) (reminderState, changes, error)) (bool, error)
	// FailReminder marks a reminder that cannot be composed, so it does not
	// block the ones behind it.
	FailReminder(ctx context.Context, id string, now time.Time) error
	// Reminders lists a tour's reminders (for operators and tests).
	Reminders(ctx context.Context, tourID string) ([]reminder, error)

	// ClaimDeliveries takes up to limit pending deliveries due by now,
	// counts an attempt on each and hides them from other claimers until
	// leaseUntil (a poller that dies mid-send leaves them to be retried).
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]delivery, error)
	// FinishDelivery records the outcome of a claimed delivery, and its
	// Sent event, unless the claim was lost (the lease expired and another
	// poller took it over); it reports whether it recorded.
	FinishDelivery(ctx context.Context, d delivery, o deliveryOutcome) (bool, error)
	// NextDue is the earliest time a pending reminder or delivery is due.
	NextDue(ctx context.Context) (time.Time, bool, error)

	// Notifications pages through a user's inbox, newest first, with the
	// deliveries of each.
	Notifications(ctx context.Context, userID string, after *inboxPage, limit int) ([]notification, error)
	// MarkRead marks one of the user's notifications read (ErrNotFound if
	// it is not theirs).
	MarkRead(ctx context.Context, userID, id string, at time.Time) (notification, error)

	// PutWebhook registers or replaces a user's webhook.
	PutWebhook(ctx context.Context, w webhook) (webhook, error)
	// Webhook returns a user's webhook (ErrNoWebhook if none).
	Webhook(ctx context.Context, userID string) (webhook, error)
	// DeleteWebhook removes a user's webhook (ErrNoWebhook if none).
	DeleteWebhook(ctx context.Context, userID string) error

	// PutFeedToken applies iam's news of a calendar token once per
	// eventID; only a newer generation than the one kept replaces it.
	PutFeedToken(ctx context.Context, eventID string, t feedToken) error
	// FeedOwner returns the user whose current token has this hash
	// (ErrNoFeed if none).
	FeedOwner(ctx context.Context, hash string) (string, error)
	// PutPlace keeps a listing's title and address (once per eventID).
	PutPlace(ctx context.Context, eventID string, p place, at time.Time) error
	// Preferences returns a user's choices (DefaultPreferences if none);
	// PutPreferences replaces them.
	Preferences(ctx context.Context, userID string) (preferences, error)
	PutPreferences(ctx context.Context, p preferences) error
	// Phone returns a user's phone (ErrNoPhone); PhoneByNumber the
	// verified phone with an E.164 number (ErrNoPhone).
	Phone(ctx context.Context, userID string) (phone, error)
	PhoneByNumber(ctx context.Context, number string) (phone, error)
	// UpdatePhone runs fn on the user's phone (found false: a new one) in a
	// transaction that locks it, and saves what fn leaves, unless fn fails.
	UpdatePhone(ctx context.Context, userID string, fn func(p *phone, found bool) error) (phone, error)
	// DeletePhone removes it (ErrNoPhone if none).
	DeletePhone(ctx context.Context, userID string) error
	// Deliveries lists deliveries for admins, newest first, without payloads.
	Deliveries(ctx context.Context, f deliveryFilter, after *deliveryPage, limit int) ([]delivery, error)

	// PutAssignment keeps a realtor's appointment from the appointment
	// events (once per eventID).
	PutAssignment(ctx context.Context, eventID string, a assignment) error
	// RecordReply keeps a text received, once per MessageSID (false when
	// it was already), applying STOP and START to the phone.
	RecordReply(ctx context.Context, r reply) (bool, error)
	// ClaimReply takes the earliest pending reply due by now, counts an
	// attempt and hides it until leaseUntil.
	ClaimReply(ctx context.Context, now, leaseUntil time.Time) (reply, bool, error)
	// FinishReply records a reply's outcome: done, failed, or pending again
	// at next.
	FinishReply(ctx context.Context, sid, state, lastError string, next time.Time) error
	// ReplyTarget is the assignment a realtor's Y or N received at before
	// answers (errNothingToAnswer if none waits).
	ReplyTarget(ctx context.Context, realtorID string, before time.Time) (assignment, error)

	// Feed returns a user's feed entries: every tour they take part in,
	// and those they left or that were cancelled since since.
	Feed(ctx context.Context, userID string, since time.Time) (feedData, error)
}
