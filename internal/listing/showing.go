package listing

import (
	"fmt"
	"unicode/utf8"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/usertext"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// A listing's showing rules (events.Showing): when its provider lets the
// home be shown and how a request is answered. They are checked here when
// written; slots and checkout apply them (tourplan.VisitBreaks).

// Bounds on showing rules.
const (
	maxNoticeMinutes  = 30 * 24 * 60 // a month
	maxShowingsPerDay = 50
	maxWindows        = 28 // four a day
	maxBlackouts      = 50
	maxVisitMinutes   = 240
	minVisitMinutes   = 5
	maxMessageLen     = 500
)

// normalizedShowing is s in its stored form: mode auto when unset, the
// message as usertext stores a line, blackouts in UTC to the microsecond,
// empty lists as nil.
func normalizedShowing(s events.Showing) events.Showing {
	if s.Mode == "" {
		s.Mode = events.ShowingAuto
	}
	s.Message = usertext.Normalize(s.Message, usertext.Line)
	if len(s.Windows) == 0 {
		s.Windows = nil
	} else {
		s.Windows = append([]events.ShowingWindow(nil), s.Windows...)
	}
	if len(s.Blackouts) == 0 {
		s.Blackouts = nil
	} else {
		out := make([]events.TimeRange, len(s.Blackouts))
		for i, b := range s.Blackouts {
			out[i] = events.TimeRange{Start: instant(b.Start), End: instant(b.End)}
		}
		s.Blackouts = out
	}
	return s
}

// validateShowing adds a fieldError for every broken rule of s to add.
func validateShowing(s events.Showing, add func(field, msg string)) {
	switch s.Mode {
	case "", events.ShowingAuto, events.ShowingConfirm, events.ShowingNone: // "" is auto
	default:
		add("showing.mode", "must be auto, confirm or none")
	}
	if s.MinNoticeMinutes < 0 || s.MinNoticeMinutes > maxNoticeMinutes {
		add("showing.min_notice_minutes", fmt.Sprintf("must be 0 to %d minutes", maxNoticeMinutes))
	}
	if s.MaxPerDay < 0 || s.MaxPerDay > maxShowingsPerDay {
		add("showing.max_per_day", fmt.Sprintf("must be 0 (no limit) to %d", maxShowingsPerDay))
	}
	if s.VisitMinutes != 0 && (s.VisitMinutes < minVisitMinutes || s.VisitMinutes > maxVisitMinutes) {
		add("showing.visit_minutes", fmt.Sprintf("must be 0 (the platform's default) or %d to %d minutes", minVisitMinutes, maxVisitMinutes))
	}
	if n := utf8.RuneCountInString(s.Message); n > maxMessageLen {
		add("showing.message", fmt.Sprintf("must be at most %d characters", maxMessageLen))
	} else if msg := usertext.Check(s.Message, usertext.Line); msg != "" {
		add("showing.message", msg)
	}
	if len(s.Windows) > maxWindows {
		add("showing.windows", fmt.Sprintf("at most %d windows", maxWindows))
	} else {
		for i, w := range s.Windows {
			field := fmt.Sprintf("showing.windows[%d]", i)
			from, ok1 := tourplan.ParseClock(w.Start, false)
			to, ok2 := tourplan.ParseClock(w.End, true)
			switch {
			case w.Weekday < 1 || w.Weekday > 7:
				add(field+".weekday", "must be 1 (Monday) to 7 (Sunday)")
			case !ok1:
				add(field+".start", "must be HH:MM, 00:00 to 23:59")
			case !ok2:
				add(field+".end", "must be HH:MM, 00:01 to 24:00")
			case from >= to:
				add(field, "start must be before end")
			}
		}
	}
	if len(s.Blackouts) > maxBlackouts {
		add("showing.blackouts", fmt.Sprintf("at most %d blackouts", maxBlackouts))
	} else {
		for i, b := range s.Blackouts {
			field := fmt.Sprintf("showing.blackouts[%d]", i)
			switch {
			case b.Start.IsZero() || b.End.IsZero():
				add(field, "start and end are required")
			case !b.Start.Before(b.End):
				add(field, "start must be before end")
			case b.Start.Year() < 2000 || b.End.Year() > 9999:
				add(field, "must lie between the years 2000 and 9999")
			}
		}
	}
}

// showingEqual reports whether two normalized rule sets are the same.
func showingEqual(a, b events.Showing) bool {
	if a.Mode != b.Mode || a.MinNoticeMinutes != b.MinNoticeMinutes || a.MaxPerDay != b.MaxPerDay ||
		a.VisitMinutes != b.VisitMinutes || a.Message != b.Message ||
		len(a.Windows) != len(b.Windows) || len(a.Blackouts) != len(b.Blackouts) {
		return false
	}
	for i := range a.Windows {
		if a.Windows[i] != b.Windows[i] {
			return false
		}
	}
	for i := range a.Blackouts {
		if !a.Blackouts[i].Start.Equal(b.Blackouts[i].Start) || !a.Blackouts[i].End.Equal(b.Blackouts[i].End) {
			return false
		}
	}
	return true
}
