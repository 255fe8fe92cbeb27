package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"fmt"
	"slices"
	"time"
)

// Topic is a kind of message as users choose channels for it: several
// notification kinds share one (every change to a tour is "changed").
// The values are API (GET/PUT /notifications/preferences).
type topic string

// The topics.
const (
	topicBooked   topic = "booked"
	topicChanged  topic = "changed"
	topicReminder topic = "reminder"
	topicApproval topic = "approval_request"
	topicFeedback topic = "feedback_request"
)

// Topics lists every topic, in the order the API shows them.
var topics = []topic{topicBooked, topicChanged, topicReminder, topicApproval, topicFeedback}

// channelSMS is the SMS channel (Twilio).
const channelSMS channel = "sms"

// externalChannels are the channels a user chooses among; the inbox always
// gets everything.
var externalChannels = []channel{channelEmail, channelSMS, channelWebhook}

// TopicOf is the topic of a notification kind.
func topicOf(k Kind) topic {
	switch k {
	case kindTourScheduled:
		return topicBooked
	case kindTourReminder:
		return topicReminder
	case kindApprovalRequest:
		return topicApproval
	case kindFeedbackRequest:
		return topicFeedback
	}
	return topicChanged
}

// Kinds the preferences already name, which other services will send.
const (
	kindApprovalRequest Kind = "approval_request"
	kindFeedbackRequest Kind = "feedback_request"
)

// Urgent topics are delivered at once, also in quiet hours: a reminder or
// a change to a tour is only useful before the tour; an approval request
// has a deadline.
func urgent(t topic) bool { return t == topicReminder || t == topicChanged || t == topicApproval }

// quietHours is a daily span, in the user's zone, in which messages that
// are not urgent wait. Start > End spans midnight ("22:00" to "07:00").
type quietHours struct {
	Start, End string // "HH:MM"
}

// preferences are one user's choices. A user who never chose has
// DefaultPreferences.
type preferences struct {
	UserID string
	// Channels are the external channels per topic (the inbox is implied).
	Channels map[topic][]channel
	// ReminderOffsets replace the global offsets for this user; nil keeps
	// the global ones.
	ReminderOffsets []time.Duration
	Quiet           *quietHours
	TimeZone        string // of the quiet hours; "" is the user's profile zone, or UTC
	UpdatedAt       time.Time
}

// defaultPreferences are what every user had before preferences existed:
// email and webhook for everything (each only where it is set up), no SMS,
// the global reminder offsets, no quiet hours.
func defaultPreferences(userID string) preferences {
	p := preferences{UserID: userID, Channels: map[topic][]channel{}}
	for _, t := range topics {
		p.Channels[t] = []channel{channelEmail, channelWebhook}
	}
	return p
}

// Wants reports whether the user chose channel c for topic t.
func (p preferences) Wants(t topic, c channel) bool {
	if c == channelInbox {
		return true
	}
	return slices.Contains(p.Channels[t], c)
}

// Validate checks choices as given: known topics and channels, offsets as
// the global ones must be (at most 5), quiet hours as HH:MM in a real zone.
func (p preferences) Validate() error {
	var errs fault.ValidationError
	for t, cs := range p.Channels {
		if !slices.Contains(topics, t) {
			errs = append(errs, fault.FieldError{Field: "channels." + string(t), Message: "is not a kind of message (booked, changed, reminder, approval_request, feedback_request)"})
			continue
		}
		for _, c := range cs {
			if c != channelInbox && !slices.Contains(externalChannels, c) {
				errs = append(errs, fault.FieldError{Field: "channels." + string(t), Message: fmt.Sprintf("%q is not a channel (inbox, email, sms, webhook)", c)})
			}
		}
	}
	if p.ReminderOffsets != nil {
		if len(p.ReminderOffsets) > 5 {
			errs = append(errs, fault.FieldError{Field: "reminder_offsets_minutes", Message: "at most 5"})
		} else if err := ValidateOffsets(p.ReminderOffsets); err != nil {
			errs = append(errs, fault.FieldError{Field: "reminder_offsets_minutes", Message: err.Error()})
		} else if slices.ContainsFunc(p.ReminderOffsets, func(d time.Duration) bool { return d%time.Minute != 0 }) {
			errs = append(errs, fault.FieldError{Field: "reminder_offsets_minutes", Message: "must be whole minutes"})
		}
	}
	if q := p.Quiet; q != nil {
		if !clockTime(q.Start) || !clockTime(q.End) || q.Start == q.End {
			errs = append(errs, fault.FieldError{Field: "quiet_hours", Message: "start and end must be different HH:MM times"})
		}
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "Local" {
			errs = append(errs, fault.FieldError{Field: "time_zone", Message: "must be an IANA time zone such as America/Chicago"})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func clockTime(s string) bool {
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

// QuietUntil returns, when now falls in q in zone loc, the instant the
// quiet hours end; ok is false outside them.
func (q quietHours) QuietUntil(now time.Time, loc *time.Location) (time.Time, bool) {
	l := now.In(loc)
	at := func(hhmm string, day time.Time) time.Time {
		t, _ := time.Parse("15:04", hhmm)
		return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, loc)
	}
	cur := l.Format("15:04")
	switch {
	case q.Start < q.End: // same day
		if cur >= q.Start && cur < q.End {
			return at(q.End, l).UTC(), true
		}
	case cur >= q.Start: // evening part: ends tomorrow
		return at(q.End, l.AddDate(0, 0, 1)).UTC(), true
	case cur < q.End: // morning part
		return at(q.End, l).UTC(), true
	}
	return time.Time{}, false
}
