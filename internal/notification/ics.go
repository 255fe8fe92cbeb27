package notification

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// iCalendar methods (RFC 5546): an invitation or update, and a
// cancellation.
const (
	methodRequest = "REQUEST"
	methodCancel  = "CANCEL"
)

// Person is an iCalendar organizer or attendee.
type Person struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// invite is one tour as a calendar event. UID is the tour id, so every
// update and the cancellation replace the same entry in the recipient's
// calendar; Sequence (the tour's version) tells the calendar which is
// newest.
type invite struct {
	UID         string    `json:"uid"`
	Sequence    int       `json:"sequence"`
	Method      string    `json:"method"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Summary     string    `json:"summary"`
	Location    string    `json:"location,omitempty"`
	Description string    `json:"description,omitempty"`
	Stamp       time.Time `json:"stamp"`
	Organizer   *Person   `json:"organizer,omitempty"`
	Attendee    *Person   `json:"attendee,omitempty"`
}

// ICS renders the invite as an RFC 5545 VCALENDAR holding one VEVENT:
// CRLF line endings, TEXT values escaped, lines folded at 75 octets, times
// in UTC.
func (inv invite) ICS() []byte {
	method := inv.Method
	if method != methodCancel {
		method = methodRequest
	}
	end := inv.End
	if !end.After(inv.Start) {
		end = inv.Start.Add(time.Hour)
	}
	var w icsWriter
	w.line("BEGIN:VCALENDAR")
	w.line("VERSION:2.0")
	w.line("PRODID:-//openhouse//notification//EN")
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:" + method)
	w.line("BEGIN:VEVENT")
	w.line("UID:" + escapeText(inv.UID))
	w.line("DTSTAMP:" + icsTime(inv.Stamp))
	w.line("DTSTART:" + icsTime(inv.Start))
	w.line("DTEND:" + icsTime(end))
	w.line("SEQUENCE:" + strconv.Itoa(max(inv.Sequence, 0)))
	if method == methodCancel {
		w.line("STATUS:CANCELLED")
	} else {
		w.line("STATUS:CONFIRMED")
	}
	w.line("SUMMARY:" + escapeText(inv.Summary))
	if inv.Location != "" {
		w.line("LOCATION:" + escapeText(inv.Location))
	}
	if inv.Description != "" {
		w.line("DESCRIPTION:" + escapeText(inv.Description))
	}
	if p := inv.Organizer; p != nil && p.Email != "" {
		w.line("ORGANIZER" + cnParam(p.Name) + ":mailto:" + p.Email)
	}
	if p := inv.Attendee; p != nil && p.Email != "" {
		w.line("ATTENDEE" + cnParam(p.Name) + ";ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:" + p.Email)
	}
	w.line("TRANSP:OPAQUE")
	w.line("END:VEVENT")
	w.line("END:VCALENDAR")
	return []byte(w.b.String())
}

type icsWriter struct{ b strings.Builder }

// line writes one content line, folded so that no physical line exceeds
// 75 octets (RFC 5545 3.1): a fold is CRLF followed by one space, and never
// splits a UTF-8 sequence.
func (w *icsWriter) line(s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.b.WriteString(s[:cut])
		w.b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	w.b.WriteString(s)
	w.b.WriteString("\r\n")
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon
// and comma are backslash-escaped, any line break becomes \n, and other
// control characters are dropped.
func escapeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r >= 0x20 && r != 0x7f:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cnParam is ";CN=<name>" with the name as a quoted parameter value
// (RFC 5545 3.2: DQUOTE and control characters cannot appear in one).
func cnParam(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r == '"' || r < 0x20 && r != '\t' || r == 0x7f {
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return ""
	}
	return `;CN="` + b.String() + `"`
}

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
