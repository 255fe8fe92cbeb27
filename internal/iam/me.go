package iam

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// selfView is what a user sees of themselves.
type selfView struct {
	User    userAccount
	Profile *realtorProfile // realtors only
	// Calendar is the state of a realtor's calendar import (never its URL).
	Calendar *calendarSyncState
	// Records are the user's records by kind (see RecordSource).
	Records map[string][]json.RawMessage
}

// RecordSource is where Me finds what the other services told about a user
// (internal/records keeps it, from their events).
type RecordSource interface {
	// Summaries are the user's records by kind (listing, payment,
	// appointment, notification), newest first, at most limit of each.
	Summaries(ctx context.Context, userID string, limit int) (map[string][]json.RawMessage, error)
}

// RecordsShown is how many records of each kind GET /iam/me shows.
const recordsShown = 50

// Me returns the caller's account, profile and records.
func (s *Service) Me(ctx context.Context, userID string) (selfView, error) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return selfView{}, err
	}
	me := selfView{User: u}
	if u.Role == roleRealtor {
		p, err := s.store.Profile(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			p = newRealtorProfile(userID, u.CreatedAt)
		} else if err != nil {
			return selfView{}, err
		}
		me.Profile = &p
		cs, err := s.store.CalendarSync(ctx, userID)
		if err != nil {
			return selfView{}, err
		}
		me.Calendar = &cs
	}
	if s.cfg.Records != nil {
		if me.Records, err = s.cfg.Records.Summaries(ctx, userID, recordsShown); err != nil {
			return selfView{}, err
		}
	}
	return me, nil
}

// MeChange is what a user may change about themselves.
type meChange struct {
	Name    *string
	Profile profileChange
	// CalendarURL sets a realtor's own calendar (write-only; "" removes it).
	CalendarURL *string
}

func (c meChange) touchesProfile() bool {
	p := c.Profile
	return p.Location != nil || p.ServiceRadiusKM != nil || p.TimeZone != nil || p.WorkingHours != nil || p.Availability != nil ||
		p.touchesSchedule()
}

// UpdateMe applies a user's change to their own account; realtors also
// set their working profile here.
func (s *Service) UpdateMe(ctx context.Context, userID string, c meChange) (selfView, error) {
	if c.Name != nil {
		if msg := checkName(*c.Name); msg != "" {
			return selfView{}, fault.ValidationError{{Field: "name", Message: msg}}
		}
	}
	current, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return selfView{}, err
	}
	if c.touchesProfile() && current.Role != roleRealtor {
		return selfView{}, fault.ValidationError{{Field: "location", Message: "only realtors have a working profile"}}
	}
	if c.CalendarURL != nil {
		if current.Role != roleRealtor {
			return selfView{}, fault.ValidationError{{Field: "calendar_url", Message: "only realtors import a calendar"}}
		}
		if *c.CalendarURL != "" {
			if err := validateCalendarURL(*c.CalendarURL, s.cfg.Calendar.Fetch.AllowHTTP); err != nil {
				return selfView{}, err
			}
		}
	}
	now := s.cfg.Clock.Now()
	if current.Role == roleRealtor && c.Profile.touchesSchedule() {
		p, err := s.store.Profile(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			p = newRealtorProfile(userID, current.CreatedAt)
		} else if err != nil {
			return selfView{}, err
		}
		if err := s.gateSchedule(ctx, p, c.Profile, now); err != nil {
			return selfView{}, err
		}
	}
	rename := func(ctx context.Context, u *userAccount) ([]bus.Event, error) {
		if c.Name == nil || normalizeName(*c.Name) == u.Name {
			return nil, nil
		}
		u.Name = normalizeName(*c.Name)
		u.UpdatedAt = now.UTC()
		ev, err := bus.NewEvent(ctx, events.TypeUserUpdated, u.ID, events.UserUpdated{
			UserID: u.ID, Email: u.Email, Name: u.Name, At: now.UTC()}, now)
		return []bus.Event{ev}, err
	}
	if current.Role != roleRealtor {
		_, err = s.store.UpdateUser(ctx, userID, func(u *userAccount) ([]bus.Event, error) { return rename(ctx, u) })
	} else {
		_, _, err = s.store.UpdateProfile(ctx, userID, func(u *userAccount, p *realtorProfile) ([]bus.Event, error) {
			out, err := rename(ctx, u)
			if err != nil {
				return nil, err
			}
			if err := p.Apply(c.Profile, now); err != nil {
				return nil, err
			}
			ev, err := profileEvent(ctx, *u, *p, now)
			if err != nil {
				return nil, err
			}
			return append(out, ev), nil
		})
	}
	if err != nil {
		return selfView{}, err
	}
	if c.CalendarURL != nil {
		if err := s.SetCalendarURL(ctx, userID, *c.CalendarURL); err != nil {
			return selfView{}, err
		}
	}
	return s.Me(ctx, userID)
}

// profileEvent is a realtor's whole profile as availability needs it.
func profileEvent(ctx context.Context, u userAccount, p realtorProfile, now time.Time) (bus.Event, error) {
	e := events.RealtorProfileChanged{
		RealtorID:       u.ID,
		Name:            u.Name,
		ServiceRadiusKM: p.ServiceRadiusKM,
		TimeZone:        p.TimeZone,
		WorkingHours:    make([]events.WorkingHours, len(p.WorkingHours)),
		Status:          string(p.Availability),
		Verified:        u.Verified,
		Active:          u.Status == statusActive,
		At:              now.UTC(),
	}
	if p.Location != nil {
		e.Location = &events.GeoPoint{Lat: p.Location.Lat, Lng: p.Location.Lng}
	}
	e.MaxToursPerDay = p.MaxToursPerDay
	for _, t := range p.TimeOff {
		e.TimeOff = append(e.TimeOff, events.TimeOff{Start: t.Start, End: t.End, Reason: t.Reason})
	}
	for i, w := range p.WorkingHours {
		e.WorkingHours[i] = events.WorkingHours{Weekday: w.Weekday, Start: w.Start, End: w.End}
	}
	return bus.NewEvent(ctx, events.TypeRealtorProfileChanged, u.ID, e, now)
}
