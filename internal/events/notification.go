package events

import "time"

// Event types published by the notification service.
const (
	TypeNotificationSent = "openhouse.notification.notification.sent.v1"
)

// NotificationSent says a user was told something on one channel (inbox,
// email, sms, webhook). Consumers: iam (records).
type NotificationSent struct {
	NotificationID string    `json:"notification_id"`
	UserID         string    `json:"user_id"`
	Kind           string    `json:"kind"` // tour_scheduled, tour_rescheduled, tour_cancelled, tour_reminder
	TourID         string    `json:"tour_id"`
	Channel        string    `json:"channel"`
	SentAt         time.Time `json:"sent_at"`
}
