package notification

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // zones resolve the same on a host without /usr/share/zoneinfo

	"github.com/openhouse/openhouse/internal/events"
)

// recipient is who a message is for, as composing it needs.
type recipient struct {
	UserID string
	Role   string // RoleCustomer, RoleRealtor or RoleProvider
	Name   string
	// Zone is where the recipient reads times: a realtor's profile zone,
	// the tour's zone for a customer.
	Zone *time.Location
}

// details are the facts of the news beyond the tour itself.
type details struct {
	OtherName string        // the realtor for a customer, the customer for a realtor
	Previous  time.Time     // the old start of a rescheduled tour
	Reason    string        // why a tour was cancelled
	Refund    events.Money  // what the customer gets back
	Offset    time.Duration // how long before the tour a reminder goes
	Homes     []string      // the homes an approval request or a decline is about
	Deadline  time.Time     // when an approval request is answered for the provider
}

// message is a notification's text.
type message struct {
	Subject string
	Body    string
}

// ZoneFor returns the zone a recipient reads times in: the first of zones
// that names a valid IANA zone, UTC otherwise.
func zoneFor(zones ...string) *time.Location {
	for _, z := range zones {
		if z == "" {
			continue
		}
		if loc, err := time.LoadLocation(z); err == nil {
			return loc
		}
	}
	return time.UTC
}

// formatTime shows an instant in a zone with the zone's abbreviation and
// name: "Tuesday 1 December 2026, 10:00 CST (America/Chicago)".
func formatTime(t time.Time, loc *time.Location) string {
	l := t.In(loc)
	return l.Format("Monday 2 January 2006, 15:04 MST") + " (" + loc.String() + ")"
}

func shortTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan, 15:04 MST")
}

// compose writes the message of one kind of news for one recipient, with
// every time in the recipient's zone.
func compose(kind Kind, r recipient, t events.Tour, d details) message {
	loc := r.Zone
	if loc == nil {
		loc = time.UTC
	}
	start := formatTime(t.ScheduledAt, loc)
	short := shortTime(t.ScheduledAt, loc)
	var subject string
	var b strings.Builder
	greet := "Hello"
	if r.Name != "" {
		greet += " " + r.Name
	}
	b.WriteString(greet + ",\n\n")
	realtor := r.Role == roleRealtor
	switch kind {
	case kindTourScheduled:
		if realtor {
			subject = "New tour: " + short
			fmt.Fprintf(&b, "You have a new home tour on %s", start)
			if d.OtherName != "" {
				fmt.Fprintf(&b, " with %s", d.OtherName)
			}
			b.WriteString(".\n")
		} else {
			subject = "Your home tour is booked: " + short
			fmt.Fprintf(&b, "Your home tour is booked for %s.\n", start)
			if d.OtherName != "" {
				fmt.Fprintf(&b, "Your realtor is %s.\n", d.OtherName)
			}
		}
	case kindTourRescheduled:
		subject = "Your home tour moved to " + short
		if !d.Previous.IsZero() {
			fmt.Fprintf(&b, "Your home tour has moved from %s to %s.\n", formatTime(d.Previous, loc), start)
		} else {
			fmt.Fprintf(&b, "Your home tour has moved to %s.\n", start)
		}
		b.WriteString("We are finding a realtor for the new time and will tell you who it is.\n")
	case kindTourCancelled:
		subject = "Tour cancelled: " + short
		if realtor {
			fmt.Fprintf(&b, "The home tour on %s has been cancelled; it is off your schedule.\n", start)
		} else {
			fmt.Fprintf(&b, "Your home tour on %s has been cancelled", start)
			if why := reasonText(d.Reason); why != "" {
				b.WriteString(" " + why)
			}
			b.WriteString(".\n")
			if d.Refund.Amount > 0 {
				fmt.Fprintf(&b, "You will be refunded %s.\n", formatMoney(d.Refund))
			}
		}
	case kindTourConfirmed:
		subject = "Your realtor confirmed your tour: " + short
		who := "Your realtor"
		if d.OtherName != "" {
			who = "Your realtor " + d.OtherName
		}
		fmt.Fprintf(&b, "%s confirmed your home tour on %s.\n", who, start)
	case kindApprovalRequest:
		homes := strings.Join(d.Homes, ", ")
		subject = "Approve a showing of " + homes + ": " + short
		fmt.Fprintf(&b, "A buyer has booked and paid a tour that visits %s on %s.\n", homes, start)
		fmt.Fprintf(&b, "Please approve or decline it in openhouse (Approvals) by %s; unanswered, it is declined then.\n", formatTime(d.Deadline, loc))
	case kindTourStopDeclined:
		homes := strings.Join(d.Homes, ", ")
		subject = "A home left your tour on " + short
		if d.Reason == "no_answer" {
			fmt.Fprintf(&b, "%s could not be confirmed in time and was taken off your home tour on %s.\n", homes, start)
		} else {
			fmt.Fprintf(&b, "The owner of %s declined the showing; it was taken off your home tour on %s.\n", homes, start)
		}
		if d.Refund.Amount > 0 {
			fmt.Fprintf(&b, "You will be refunded %s for it.\n", formatMoney(d.Refund))
		}
	case kindTourUnassigned:
		subject = "Still looking for a realtor for your tour on " + short
		fmt.Fprintf(&b, "No realtor is free yet for your home tour on %s. We keep looking and will tell you as soon as one is assigned.\n", start)
	case kindTourReminder:
		subject = "Reminder: home tour " + short
		fmt.Fprintf(&b, "A reminder: your home tour starts in %s, on %s", humanDuration(d.Offset), start)
		if d.OtherName != "" {
			if realtor {
				fmt.Fprintf(&b, ", with %s", d.OtherName)
			} else {
				fmt.Fprintf(&b, ", with your realtor %s", d.OtherName)
			}
		}
		b.WriteString(".\n")
	case kindAccessOpen:
		subject = "Access instructions open: tour " + short
		fmt.Fprintf(&b, "The access instructions of the homes on your tour of %s are now open to you in the app, until the tour ends.\n", start)
	case kindFeedbackRequest:
		subject = "How was your tour of " + short + "?"
		fmt.Fprintf(&b, "Your home tour of %s is over. Tell us what you thought of each home, in the app.\n", start)
	default:
		subject = "About your home tour on " + short
		fmt.Fprintf(&b, "There is news about your home tour on %s.\n", start)
	}
	if kind != kindTourCancelled && kind != kindApprovalRequest && len(t.Stops) > 0 {
		b.WriteString("\nRoute:\n")
		for i, s := range t.Stops {
			title := s.Title
			if title == "" {
				title = s.ListingID
			}
			if !s.Arrive.IsZero() {
				fmt.Fprintf(&b, "%d. %s  %s\n", i+1, s.Arrive.In(loc).Format("15:04"), title)
			} else {
				fmt.Fprintf(&b, "%d. %s\n", i+1, title)
			}
		}
		if !t.EndsAt.IsZero() {
			fmt.Fprintf(&b, "The tour ends at %s.\n", t.EndsAt.In(loc).Format("15:04 MST"))
		}
	}
	b.WriteString("\nopenhouse\n")
	return message{Subject: subject, Body: b.String()}
}

func reasonText(reason string) string {
	switch reason {
	case "customer":
		return "at your request"
	case "admin":
		return "by our team"
	case "no_realtor":
		return "because no realtor was free in time"
	case "listing_removed":
		return "because a home on it left the market"
	case "provider_suspended":
		return "because a home on it is no longer offered"
	case "declined":
		return "because the owners of its homes declined the showing"
	}
	return ""
}

// formatMoney shows minor units as major units with the currency code:
// {4000 USD} -> "40.00 USD".
func formatMoney(m events.Money) string {
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}

// humanDuration says an offset the way people do: "24 hours", "1 hour",
// "30 minutes", "1 hour 30 minutes", "2 days".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "a moment"
	}
	if d%(24*time.Hour) == 0 && d > 24*time.Hour {
		return plural(int(d/(24*time.Hour)), "day")
	}
	h := int(d / time.Hour)
	m := int((d % time.Hour) / time.Minute)
	switch {
	case h > 0 && m > 0:
		return plural(h, "hour") + " " + plural(m, "minute")
	case h > 0:
		return plural(h, "hour")
	case m > 0:
		return plural(m, "minute")
	}
	return plural(int(d/time.Second), "second")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
