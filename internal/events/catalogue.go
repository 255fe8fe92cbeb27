package events

// Entry is one event of the catalogue: its CloudEvents type, the Go type
// of its data, and what it announces. The AsyncAPI document
// (/asyncapi.json, docs/asyncapi.json) is built from these entries and the
// services' subscriptions; a test fails for a Type constant without one.
type Entry struct {
	Type    string
	Data    any
	Summary string
}

// Catalogue lists every event openhouse publishes.
var Catalogue = []Entry{
	{TypeUserRegistered, UserRegistered{}, "A new account."},
	{TypeUserVerified, UserVerified{}, "An admin verified (or withdrew the verification of) a provider or realtor."},
	{TypeUserStatusChanged, UserStatusChanged{}, "An admin suspended or reactivated an account; every process stops accepting a suspended user's tokens."},
	{TypeUserUpdated, UserUpdated{}, "A user changed their display name."},
	{TypeSessionRevoked, SessionRevoked{}, "A sign-in session ended before its time (signed out, or a refresh token reused); every process refuses its access tokens."},
	{TypeRealtorProfileChanged, RealtorProfileChanged{}, "A realtor's whole working profile after any change to it, to their verification or to their status."},
	{TypeCalendarTokenIssued, CalendarTokenIssued{}, "A user asked for a new calendar feed URL; the previous one stops working."},
	{TypeRealtorBusyChanged, RealtorBusyChanged{}, "Every busy block of a realtor's own calendar for the next 90 days, after a sync found them changed."},
	{TypeIAMAuditRecorded, AuditRecorded{}, "An admin action in iam, for the audit log."},

	{TypeListingCreated, ListingCreated{}, "A verified provider put a home on the market."},
	{TypeListingUpdated, ListingUpdated{}, "The owning provider changed a listing: the whole listing after the change."},
	{TypeListingDeleted, ListingDeleted{}, "The owning provider took a listing off the market."},

	{TypeOrderPlaced, OrderPlaced{}, "A customer checked a cart out at an open start with a realtor held; the order becomes a tour once paid."},

	{TypePaymentSucceeded, PaymentSucceeded{}, "A checkout's charge went through (money only); the paid order becomes a tour."},
	{TypePaymentFailed, PaymentFailed{}, "A charge was declined; nothing was taken."},
	{TypePaymentRefunded, PaymentRefunded{}, "Money went back to the customer (one event per refund)."},
	{TypePaymentAuditRecorded, AuditRecorded{}, "A money action, for the audit log."},

	{TypeTourCreated, TourCreated{}, "A paid order became a tour; it waits to be booked from its hold."},
	{TypeTourRescheduled, TourRescheduled{}, "The customer or an admin moved the tour, a realtor held for the new time; it is pending again."},
	{TypeTourScheduled, TourScheduled{}, "A realtor is assigned."},
	{TypeTourUnassigned, TourUnassigned{}, "No realtor is free for now; the tour waits."},
	{TypeTourCancelled, TourCancelled{}, "The tour will not happen; the refund under the cancellation rule."},
	{TypeTourCompleted, TourCompleted{}, "The tour's time is over."},
	{TypeTourApprovalRequested, TourApprovalRequested{}, "A paid tour has homes whose providers approve each showing; it awaits their answers until the deadline, its realtor held."},
	{TypeTourStopApproved, TourStopApproved{}, "A home's provider (or an admin) approved its showing."},
	{TypeTourStopDeclined, TourStopDeclined{}, "A home left the tour: declined by its provider or an admin, or not answered by the deadline; its fee is refunded and the route planned again."},
	{TypeTourAuditRecorded, AuditRecorded{}, "An admin's change to a tour, or a realtor's read of a home's access, for the audit log."},
	{TypeTourAccessOpened, TourAccessOpened{}, "The assigned realtor may now read the homes' access instructions (never carried in the event); once per realtor and start."},
	{TypeFeedbackRequested, FeedbackRequested{}, "A completed tour's customer or realtor is asked for feedback on its homes; once per tour and person."},
	{TypeFeedbackSubmitted, FeedbackSubmitted{}, "The tour's customer or realtor gave or replaced their feedback on one home (the whole feedback after the change)."},
	{TypeNoShowMarked, NoShowMarked{}, "The tour's realtor marked the customer a no-show; the customer's feedback request is withdrawn."},

	{TypeHoldPlaced, HoldPlaced{}, "A realtor is held for a window: at checkout before the charge, or for a tour's new time."},
	{TypeHoldReleased, HoldReleased{}, "A hold ended unbooked: given back, lapsed, or its tour went to another realtor."},
	{TypeAppointmentScheduled, AppointmentScheduled{}, "A realtor was booked for a tour (from its hold, or after a search)."},
	{TypeAppointmentUnassigned, AppointmentUnassigned{}, "No realtor is free for a tour; it is retried."},
	{TypeAppointmentConfirmed, AppointmentConfirmed{}, "The assigned realtor confirmed the tour."},
	{TypeAppointmentReleased, AppointmentReleased{}, "A realtor's slot was given up: cancelled, rescheduled or declined."},

	{TypeNotificationSent, NotificationSent{}, "A user was told something on one channel."},
}
