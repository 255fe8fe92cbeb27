package notification

import (
	"fmt"
	"slices"
	"time"
)

// Topic is a kind of message as users choose channels for it: several
// notification kinds share one (every change to a tour is "changed").
// The values are API (GET/PUT /notifications/preferences).
type Topic string

// The topics.
const (
	TopicBooked   Topic = "booked"
	TopicChanged  Topic = "changed"
	TopicReminder Topic = "reminder"
	TopicApproval Topic = "approval_request"
	TopicFeedback Topic = "feedback_request"
)

// Topics lists every topic, in the order the API shows them.
var Topics = []Topic{TopicBooked, TopicChanged, TopicReminder, TopicApproval, TopicFeedback}

// ChannelSMS is the SMS channel (Twilio).
const ChannelSMS Channel = "sms"

// ExternalChannels are the channels a user chooses among; the inbox always
// gets everything.
var ExternalChannels = []Channel{ChannelEmail, ChannelSMS, ChannelWebhook}

// TopicOf is the topic of a notification kind.
func TopicOf(k Kind) Topic {
	switch k {
	case KindTourScheduled:
		return TopicBooked
	case KindTourReminder:
		return TopicReminder
	case KindApprovalRequest:
		return TopicApproval
	case KindFeedbackRequest:
		return TopicFeedback
	}
	return TopicChanged
}

// Kinds the preferences already name, which other services will send.
const (
	KindApprovalRequest Kind = "approval_request"
	KindFeedbackRequest Kind = "feedback_request"
)

// Urgent topics are delivered at once, also in quiet hours: a reminder or
// a change to a tour is only useful before the tour; an approval request
// has a deadline.
func Urgent(t Topic) bool { return t == TopicReminder || t == TopicChanged || t == TopicApproval }

// QuietHours is a daily span, in the user's zone, in which messages that
// are not urgent wait. Start > End spans midnight ("22:00" to "07:00").
type QuietHours struct {
	Start, End string // "HH:MM"
}

// Preferences are one user's choices. A user who never chose has
// DefaultPreferences.
type Preferences struct {
	UserID string
	// Channels are the external channels per topic (the inbox is implied).
	Channels map[Topic][]Channel
	// ReminderOffsets replace the global offsets for this user; nil keeps
	// the global ones.
	ReminderOffsets []time.Duration
	Quiet           *QuietHours
	TimeZone        string // of the quiet hours; "" is the user's profile zone, or UTC
	UpdatedAt       time.Time
}

// DefaultPreferences are what every user had before preferences existed:
// email and webhook for everything (each only where it is set up), no SMS,
// the global reminder offsets, no quiet hours.
func DefaultPreferences(userID string) Preferences {
	p := Preferences{UserID: userID, Channels: map[Topic][]Channel{}}
	for _, t := range Topics {
		p.Channels[t] = []Channel{ChannelEmail, ChannelWebhook}
	}
	return p
}

// Wants reports whether the user chose channel c for topic t.
func (p Preferences) Wants(t Topic, c Channel) bool {
	if c == ChannelInbox {
		return true
	}
	return slices.Contains(p.Channels[t], c)
}

// Validate checks choices as given: known topics and channels, offsets as
// the global ones must be (at most 5), quiet hours as HH:MM in a real zone.
func (p Preferences) Validate() error {
	var errs ValidationError
	for t, cs := range p.Channels {
		if !slices.Contains(Topics, t) {
			errs = append(errs, FieldError{"channels." + string(t), "is not a kind of message (booked, changed, reminder, approval_request, feedback_request)"})
			continue
		}
		for _, c := range cs {
			if c != ChannelInbox && !slices.Contains(ExternalChannels, c) {
				errs = append(errs, FieldError{"channels." + string(t), fmt.Sprintf("%q is not a channel (inbox, email, sms, webhook)", c)})
			}
		}
	}
	if p.ReminderOffsets != nil {
		if len(p.ReminderOffsets) > 5 {
			errs = append(errs, FieldError{"reminder_offsets_minutes", "at most 5"})
		} else if err := ValidateOffsets(p.ReminderOffsets); err != nil {
			errs = append(errs, FieldError{"reminder_offsets_minutes", err.Error()})
		} else if slices.ContainsFunc(p.ReminderOffsets, func(d time.Duration) bool { return d%time.Minute != 0 }) {
			errs = append(errs, FieldError{"reminder_offsets_minutes", "must be whole minutes"})
		}
	}
	if q := p.Quiet; q != nil {
		if !clockTime(q.Start) || !clockTime(q.End) || q.Start == q.End {
			errs = append(errs, FieldError{"quiet_hours", "start and end must be different HH:MM times"})
		}
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "Local" {
			errs = append(errs, FieldError{"time_zone", "must be an IANA time zone such as America/Chicago"})
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
func (q QuietHours) QuietUntil(now time.Time, loc *time.Location) (time.Time, bool) {
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
