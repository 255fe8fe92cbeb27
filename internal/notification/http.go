package notification

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// itemView is one inbox item as the API shows it.
type itemView struct {
	ID         string         `json:"id"`
	Kind       Kind           `json:"kind" enum:"tour_scheduled,tour_rescheduled,tour_cancelled,tour_unassigned,tour_confirmed,tour_reminder,approval_request,tour_home_declined,access_open,feedback_request"`
	TourID     string         `json:"tour_id"`
	Channel    channel        `json:"channel" enum:"inbox"`
	SendAt     time.Time      `json:"send_at"`
	SentAt     time.Time      `json:"sent_at"`
	Subject    string         `json:"subject"`
	Body       string         `json:"body"`
	ReadAt     *time.Time     `json:"read_at" doc:"When the user marked it read; null until then."`
	Deliveries []deliveryView `json:"deliveries"`
}

// deliveryView says how far an email or webhook copy got; errors stay in
// the logs (they may carry a mail server's or receiver's internals).
type deliveryView struct {
	Channel     channel       `json:"channel" enum:"email,sms,webhook"`
	State       deliveryState `json:"state" enum:"pending,delivered,failed,dropped"`
	Attempts    int           `json:"attempts"`
	DeliveredAt *time.Time    `json:"delivered_at,omitempty"`
}

func viewOf(n notification) itemView {
	v := itemView{ID: n.ID, Kind: n.Kind, TourID: n.TourID, Channel: n.Channel, SendAt: n.SendAt, SentAt: n.SentAt,
		Subject: n.Subject, Body: n.Body, Deliveries: make([]deliveryView, 0, len(n.Deliveries))}
	if !n.ReadAt.IsZero() {
		at := n.ReadAt
		v.ReadAt = &at
	}
	for _, d := range n.Deliveries {
		dv := deliveryView{Channel: d.Channel, State: d.State, Attempts: d.Attempts}
		if !d.DeliveredAt.IsZero() {
			at := d.DeliveredAt
			dv.DeliveredAt = &at
		}
		v.Deliveries = append(v.Deliveries, dv)
	}
	return v
}

type webhookView struct {
	URL       string    `json:"url"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func callerID(r *http.Request) string {
	p, _ := auth.PrincipalFrom(r.Context())
	return p.ID
}

// Inbox returns a page of a user's notifications, newest first, and the
// position of the next page (nil on the last).
func (s *Service) Inbox(ctx context.Context, userID string, after *inboxPage, limit int) ([]notification, *inboxPage, error) {
	items, err := s.store.Notifications(ctx, userID, after, limit+1)
	if err != nil {
		return nil, nil, err
	}
	if len(items) <= limit {
		return items, nil, nil
	}
	items = items[:limit]
	last := items[len(items)-1]
	return items, &inboxPage{SentAt: last.SentAt, ID: last.ID}, nil
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	var after *inboxPage
	if page.Cursor != "" {
		after = &inboxPage{}
		if err := httpapi.DecodeCursor(page.Cursor, after); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
	}
	items, next, err := s.Inbox(r.Context(), callerID(r), after, page.Limit)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	views := make([]itemView, len(items))
	for i, n := range items {
		views[i] = viewOf(n)
	}
	cursor := ""
	if next != nil {
		cursor = httpapi.EncodeCursor(next)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, cursor))
}

func (s *Service) handleRead(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.MarkRead(r.Context(), callerID(r), r.PathValue("id"), s.cfg.Clock.Now())
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(n))
}

// webhookRequest is the body of PUT /notifications/webhook.
type webhookRequest struct {
	URL    string `json:"url" format:"uri" doc:"An https URL (http only to loopback when the server allows it)." example:"https://example.com/openhouse-hook"`
	Secret string `json:"secret" doc:"At least 16 characters; signs each delivery." example:"a-long-shared-secret"`
}

// RegisterWebhook validates and stores a user's webhook, replacing any
// earlier one. Beyond its form, the URL's host is resolved (for at most
// LookupTimeout) and refused when any of its addresses is one the Poster
// would refuse to dial.
func (s *Service) RegisterWebhook(ctx context.Context, userID, rawURL, secret string) (webhook, error) {
	if err := validateWebhook(rawURL, secret, s.cfg.AllowLoopbackWebhooks); err != nil {
		return webhook{}, err
	}
	u, err := url.Parse(rawURL) // ValidateWebhook parsed it already
	if err != nil {
		return webhook{}, fmt.Errorf("webhook URL: %w", err)
	}
	lookup, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	msg := checkWebhookHost(lookup, s.cfg.Resolver, u.Hostname(), s.cfg.AllowLoopbackWebhooks)
	cancel()
	if msg != "" {
		return webhook{}, fault.ValidationError{{Field: "url", Message: msg}}
	}
	return s.store.PutWebhook(ctx, webhook{UserID: userID, URL: rawURL, Secret: secret, UpdatedAt: s.cfg.Clock.Now()})
}

func (s *Service) handlePutWebhook(w http.ResponseWriter, r *http.Request) {
	var req webhookRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	hook, err := s.RegisterWebhook(r.Context(), callerID(r), req.URL, req.Secret)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, webhookView{URL: hook.URL, CreatedAt: hook.CreatedAt, UpdatedAt: hook.UpdatedAt})
}

func (s *Service) handleGetWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.store.Webhook(r.Context(), callerID(r))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, webhookView{URL: hook.URL, CreatedAt: hook.CreatedAt, UpdatedAt: hook.UpdatedAt})
}

func (s *Service) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteWebhook(r.Context(), callerID(r)); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// FeedToken returns the hash a feed URL's file name ("<token>.ics")
// stands for, or false when it cannot be a token iam issued (256 bits,
// base64url without padding).
func feedHash(file string) (string, bool) {
	token, ok := strings.CutSuffix(file, ".ics")
	if !ok || len(token) != base64.RawURLEncoding.EncodedLen(32) {
		return "", false
	}
	if b, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(b) != 32 {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:]), true
}

// handleFeed is GET /calendar/{token}.ics: the feed of the user whose
// current token it is. Any other token, a replaced one included, is 404.
// The token never reaches a log: the access log records the route's
// pattern, and nothing here logs the path.
func (s *Service) handleFeed(w http.ResponseWriter, r *http.Request) {
	hash, ok := feedHash(r.PathValue("file"))
	if !ok {
		httpapi.WriteError(w, r, httpapi.NotFound("no such calendar"))
		return
	}
	user, err := s.store.FeedOwner(r.Context(), hash)
	if errors.Is(err, errNoFeed) {
		httpapi.WriteError(w, r, httpapi.NotFound("no such calendar"))
		return
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	now := s.cfg.Clock.Now().UTC()
	data, err := s.store.Feed(r.Context(), user, now.Add(-cancelledShownFor))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(buildFeed(data, now))
}
