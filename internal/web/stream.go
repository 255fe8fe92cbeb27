package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// handleStream is GET /events/stream: server-sent events about the
// caller's own resources (everything, for admins), from the moment the
// stream opens. The first event is "ready" (from then on nothing is
// missed); each later one is named after the event type and carries its id.
// The token comes in the Authorization header like on every other route
// (the app reads the stream with fetch, not EventSource, so no token ever
// sits in a URL or a log). The stream ends after MaxAge, when the client
// falls behind, when its user is suspended or its session signed out (at
// the next event), or at shutdown; the client reconnects and reloads.
//
// A request must accept text/event-stream (EventSource and the app send
// it); any other gets 406, not a response that never ends.
func (w *Web) handleStream(rw http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		httpapi.WriteError(rw, r, &httpapi.Problem{Type: "urn:openhouse:problem:not-acceptable", Title: "Not acceptable",
			Status: http.StatusNotAcceptable, Detail: "this resource is a stream of server-sent events: send Accept: text/event-stream"})
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	sub, err := w.hub.subscribe(r.Context(), p)
	if errors.Is(err, errTooMany) {
		httpapi.WriteError(rw, r, httpapi.TooManyRequests("you have too many live streams open; close a tab", 0))
		return
	}
	if errors.Is(err, errClosed) {
		httpapi.WriteError(rw, r, httpapi.Unavailable("the server is shutting down; reconnect"))
		return
	}
	if err != nil {
		w.cfg.Log.Error("live stream: tail the bus", "err", err)
		httpapi.WriteError(rw, r, httpapi.Unavailable("live updates are unavailable; try again shortly"))
		return
	}
	defer w.hub.unsubscribe(sub)

	rc := http.NewResponseController(rw)
	// The server's write timeout is for ordinary answers; this one lasts
	// until MaxAge. A writer that cannot change it ends at the timeout,
	// and the client reconnects.
	_ = rc.SetWriteDeadline(time.Time{})
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	rw.WriteHeader(http.StatusOK)

	send := func(format string, args ...any) bool {
		if _, err := fmt.Fprintf(rw, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\nevent: ready\ndata: {}\n\n") {
		return
	}
	maxAge := w.cfg.Clock.After(w.cfg.MaxAge)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.gone:
			return
		case <-maxAge:
			return
		case m := <-sub.ch:
			if !send("id: %s\nevent: %s\ndata: %s\n\n", m.id, m.typ, m.data) {
				return
			}
		case <-w.cfg.Clock.After(w.cfg.Heartbeat):
			if !send(": keep-alive\n\n") {
				return
			}
		}
	}
}
