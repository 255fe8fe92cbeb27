package iam

import (
	"context"
	"net/http"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// CalendarFeedPath is where the notification service serves a feed: the
// token, then ".ics".
const calendarFeedPath = "/calendar/"

// IssueCalendarToken gives a user a new secret calendar feed token and
// announces its hash (events.CalendarTokenIssued), which makes the previous
// one stop working. iam issues it because iam owns users' credentials; the
// notification service, which keeps the tours, serves the feed and knows
// the token only by its hash.
func (s *Service) IssueCalendarToken(ctx context.Context, userID string) (string, error) {
	token, hash, err := newSecretToken("calendar token")
	if err != nil {
		return "", err
	}
	now := s.cfg.Clock.Now().UTC()
	err = s.store.PutCalendarToken(ctx, userID, hash, now, func(u userAccount, generation int) (bus.Event, error) {
		return bus.NewEvent(ctx, events.TypeCalendarTokenIssued, u.ID, events.CalendarTokenIssued{
			UserID: u.ID, Role: string(u.Role), TokenHash: hash, Generation: generation, At: now}, now)
	})
	if err != nil {
		return "", err
	}
	s.cfg.Log.InfoContext(ctx, "calendar token issued", "user_id", userID)
	return token, nil
}

type calendarTokenView struct {
	FeedURL string `json:"feed_url"`
}

// handleCalendarToken is POST /iam/me/calendar-token. The URL is absolute
// (calendar apps subscribe to it as it is), on the host the caller reached.
func (s *Service) handleCalendarToken(w http.ResponseWriter, r *http.Request) {
	token, err := s.IssueCalendarToken(r.Context(), caller(r).ID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, calendarTokenView{FeedURL: scheme + "://" + r.Host + calendarFeedPath + token + ".ics"})
}
