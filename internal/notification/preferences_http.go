package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// quietView is quiet hours in the API.
type quietView struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// preferencesView is the body of GET and PUT /notifications/preferences.
// channels lists, per kind of message, the channels it goes to; "inbox" is
// always among them. reminder_offsets_minutes left out (or null) means the
// global ones; quiet_hours left out, none; time_zone left out, the user's.
type preferencesView struct {
	Channels               map[topic][]channel `json:"channels"`
	ReminderOffsetsMinutes []int               `json:"reminder_offsets_minutes,omitempty"`
	QuietHours             *quietView          `json:"quiet_hours,omitempty"`
	TimeZone               string              `json:"time_zone,omitempty"`
}

func (s *Service) preferencesViewOf(p preferences) preferencesView {
	v := preferencesView{Channels: map[topic][]channel{}, TimeZone: p.TimeZone}
	for _, t := range topics {
		cs := []channel{channelInbox}
		for _, c := range externalChannels {
			if p.Wants(t, c) {
				cs = append(cs, c)
			}
		}
		v.Channels[t] = cs
	}
	offsets := p.ReminderOffsets
	if offsets == nil {
		offsets = s.cfg.ReminderOffsets
	}
	for _, o := range offsets {
		v.ReminderOffsetsMinutes = append(v.ReminderOffsetsMinutes, int(o/time.Minute))
	}
	if q := p.Quiet; q != nil {
		v.QuietHours = &quietView{Start: q.Start, End: q.End}
	}
	return v
}

func (s *Service) handleGetPreferences(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Preferences(r.Context(), callerID(r))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, s.preferencesViewOf(p))
}

// SetPreferences validates and saves a user's choices.
func (s *Service) SetPreferences(ctx context.Context, p preferences) (preferences, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	p.UpdatedAt = s.cfg.Clock.Now().UTC()
	return p, s.store.PutPreferences(ctx, p)
}

func (s *Service) handlePutPreferences(w http.ResponseWriter, r *http.Request) {
	var req preferencesView
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	p := preferences{UserID: callerID(r), Channels: map[topic][]channel{}, TimeZone: req.TimeZone}
	for t, cs := range req.Channels {
		if len(cs) > 4 {
			httpapi.WriteError(w, r, fault.ValidationError{{Field: "channels." + string(t), Message: "at most 4 channels"}})
			return
		}
		out := []channel{}
		for _, c := range cs {
			if c != channelInbox && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		p.Channels[t] = out
	}
	if req.ReminderOffsetsMinutes != nil {
		if len(req.ReminderOffsetsMinutes) > 5 {
			httpapi.WriteError(w, r, fault.ValidationError{{Field: "reminder_offsets_minutes", Message: "at most 5"}})
			return
		}
		p.ReminderOffsets = []time.Duration{}
		for _, m := range req.ReminderOffsetsMinutes {
			if m < 1 || m > int(maxReminderOffset/time.Minute) {
				httpapi.WriteError(w, r, fault.ValidationError{{Field: "reminder_offsets_minutes", Message: "each must be from 1 minute to 30 days"}})
				return
			}
			p.ReminderOffsets = append(p.ReminderOffsets, time.Duration(m)*time.Minute)
		}
	}
	if q := req.QuietHours; q != nil {
		p.Quiet = &quietHours{Start: q.Start, End: q.End}
	}
	p, err := s.SetPreferences(r.Context(), p)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, s.preferencesViewOf(p))
}

// phoneView is GET /notifications/phone: the number, whether it is
// verified, and whether its owner texted STOP.
type phoneView struct {
	Number   string `json:"number"`
	Verified bool   `json:"verified"`
	OptedOut bool   `json:"opted_out"`
}

func phoneViewOf(p phone) phoneView {
	return phoneView{Number: p.Number, Verified: !p.VerifiedAt.IsZero(), OptedOut: !p.OptedOutAt.IsZero()}
}

// handleGetPhone is GET /notifications/phone: the caller's phone, or an
// empty number when they have none (a setting not made yet, not a missing
// resource: every user has phone settings).
func (s *Service) handleGetPhone(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Phone(r.Context(), callerID(r))
	if errors.Is(err, errNoPhone) {
		p, err = phone{}, nil
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, phoneViewOf(p))
}

type phoneRequest struct {
	Number string `json:"number"`
}

// errSMSOff: the SMS channel is not configured here.
var errSMSOff = fault.Conflict("sms is not configured").WithDetail("text messages are not set up on this server")

// RegisterPhone saves a user's number, unverified, and texts it a
// one-time code. The number receives nothing else until the code comes
// back.
func (s *Service) RegisterPhone(ctx context.Context, userID, raw string) (phone, error) {
	if s.cfg.SMS == nil {
		return phone{}, errSMSOff
	}
	number, err := normalizePhone(raw)
	if err != nil {
		return phone{}, err
	}
	var code string
	now := s.cfg.Clock.Now().UTC()
	p, err := s.store.UpdatePhone(ctx, userID, func(p *phone, _ bool) error {
		*p = phone{UserID: userID, Number: number, UpdatedAt: now}
		code, err = p.NewCode(now)
		return err
	})
	if err != nil {
		return phone{}, err
	}
	// Sent now, not through the delivery queue: the user is waiting for it,
	// and a failure is answered at once (they can ask again).
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := s.cfg.SMS.Send(sctx, number, "openhouse: your verification code is "+code+". It expires in 10 minutes."); err != nil {
		s.cfg.Log.WarnContext(ctx, "verification code not sent", "user_id", userID, "err", err)
		if errors.Is(err, errSMSRejected) {
			return phone{}, fault.ValidationError{{Field: "number", Message: "cannot receive text messages"}}
		}
		return phone{}, httpapi.Unavailable("the code could not be sent; try again")
	}
	return p, nil
}

func (s *Service) handlePutPhone(w http.ResponseWriter, r *http.Request) {
	var req phoneRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	p, err := s.RegisterPhone(r.Context(), callerID(r), req.Number)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusAccepted, phoneViewOf(p))
}

type verifyRequest struct {
	Code string `json:"code"`
}

func (s *Service) handleVerifyPhone(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if !sixDigits(req.Code) {
		// Not a code at all: refused without counting an attempt.
		httpapi.WriteError(w, r, fault.ValidationError{{Field: "code", Message: "must be the 6 digits we texted you"}})
		return
	}
	now := s.cfg.Clock.Now().UTC()
	var verr error
	p, err := s.store.UpdatePhone(r.Context(), callerID(r), func(p *phone, found bool) error {
		if !found {
			return errNoPhone
		}
		verr = p.Verify(req.Code, now) // a wrong code is saved too: it counts
		p.UpdatedAt = now
		return nil
	})
	if err == nil {
		err = verr
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, phoneViewOf(p))
}

func (s *Service) handleDeletePhone(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeletePhone(r.Context(), callerID(r)); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminDeliveryView is one delivery as admins see it: where it stands and
// its last error, never its content.
type adminDeliveryView struct {
	ID             string        `json:"id"`
	NotificationID string        `json:"notification_id"`
	UserID         string        `json:"user_id"`
	Channel        channel       `json:"channel"`
	Kind           Kind          `json:"kind"`
	TourID         string        `json:"tour_id"`
	State          deliveryState `json:"state"`
	Attempts       int           `json:"attempts"`
	NextAttemptAt  *time.Time    `json:"next_attempt_at,omitempty"`
	LastError      string        `json:"last_error,omitempty"`
	DeliveredAt    *time.Time    `json:"delivered_at,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
}

func (s *Service) handleListDeliveries(w http.ResponseWriter, r *http.Request) {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	var after *deliveryPage
	if page.Cursor != "" {
		after = &deliveryPage{}
		if err := httpapi.DecodeCursor(page.Cursor, after); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
	}
	q := r.URL.Query()
	f := deliveryFilter{State: deliveryState(q.Get("state")), Channel: channel(q.Get("channel")), UserID: q.Get("user_id")}
	if f.State != "" && !slices.Contains([]deliveryState{deliveryPending, deliveryDelivered, deliveryFailed, deliveryDropped}, f.State) {
		httpapi.WriteError(w, r, httpapi.BadRequest("state must be pending, delivered, failed or dropped"))
		return
	}
	if f.Channel != "" && !slices.Contains(externalChannels, f.Channel) {
		httpapi.WriteError(w, r, httpapi.BadRequest("channel must be email, sms or webhook"))
		return
	}
	list, err := s.store.Deliveries(r.Context(), f, after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	list, next := httpapi.Paginate(list, page.Limit, func(last delivery) any { return deliveryPage{CreatedAt: last.CreatedAt, ID: last.ID} })
	views := make([]adminDeliveryView, len(list))
	for i, d := range list {
		v := adminDeliveryView{ID: d.ID, NotificationID: d.NotificationID, UserID: d.UserID, Channel: d.Channel, Kind: d.Kind,
			TourID: d.TourID, State: d.State, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt}
		if d.State == deliveryPending {
			at := d.NextAttemptAt
			v.NextAttemptAt = &at
		}
		if !d.DeliveredAt.IsZero() {
			at := d.DeliveredAt
			v.DeliveredAt = &at
		}
		views[i] = v
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}

// deliveryParams are the filters of GET /notifications/deliveries.
type deliveryParams struct {
	State   string `query:"state"`
	Channel string `query:"channel"`
	UserID  string `query:"user_id"`
}

func sixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
