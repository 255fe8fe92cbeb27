package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// deadLetterRoutes lets admins see the events consumers gave up on and send
// them back once the cause is fixed. The dead-letter stream is shared by
// every process on the bus, so any process can list them; a replay is an
// admin action recorded in the audit log through auditor (iam), so only a
// process that runs iam replays (see replayaudit.go).
// replayed is the answer to a replay.
type replayed struct {
	Replayed uint64 `json:"replayed" doc:"The sequence number of the dead letter sent back."`
}

func deadLetterRoutes(b *bus.Bus, auditor adminAuditor) []auth.Route {
	admin := auth.Users(auth.RoleAdmin)
	list := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, err := httpapi.ParsePage(r)
		if err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		var after uint64
		if err := httpapi.DecodeCursor(page.Cursor, &after); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		list, err := b.DeadLetters(r.Context(), after, page.Limit+1)
		if err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		list, next := httpapi.Paginate(list, page.Limit, func(last bus.DeadLetter) any { return last.Seq })
		httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(list, next))
	})
	replay := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
		if err != nil || seq == 0 {
			httpapi.WriteError(w, r, httpapi.BadRequest("seq must be a positive integer"))
			return
		}
		if auditor == nil {
			httpapi.WriteError(w, r, httpapi.Unavailable("replays are recorded in the audit log by iam, which this process does not run; send the request to one that does (the gateway does)"))
			return
		}
		before, err := deadLetterAt(r.Context(), b, seq)
		if errors.Is(err, bus.ErrDeadLetterNotFound) {
			httpapi.WriteError(w, r, httpapi.NotFound("no such dead letter"))
			return
		} else if err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		if err := b.Replay(r.Context(), seq); errors.Is(err, bus.ErrDeadLetterNotFound) {
			httpapi.WriteError(w, r, httpapi.NotFound("no such dead letter"))
			return
		} else if err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		if err := auditor.RecordAdminAction(r.Context(), replayChange(before)); err != nil {
			httpapi.WriteError(w, r, fmt.Errorf("dead letter %d was replayed but its audit entry was not recorded: %w", seq, err))
			return
		}
		httpapi.WriteJSON(w, http.StatusAccepted, replayed{Replayed: seq})
	})
	return []auth.Route{
		{Pattern: "GET /admin/dead-letters", Rule: admin, Owner: auth.Unowned, Handler: list,
			Doc: httpapi.Doc{Summary: "Events a consumer gave up on", Reply: httpapi.List[bus.DeadLetter]{}}},
		{Pattern: "POST /admin/dead-letters/{seq}/replay", Rule: admin, Owner: auth.Unowned, Handler: replay,
			Doc: httpapi.Doc{Summary: "Send a dead letter back to its consumer", Reply: replayed{}, Status: http.StatusAccepted,
				Description: "Recorded in the audit log.",
				Errors:      map[int]string{http.StatusBadRequest: "seq is not a positive integer."}}},
	}
}
