package auditlog

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Routes is the log's HTTP API: GET /iam/audit, for admins. The path is
// under /iam because the log was iam's, and the contract keeps paths.
func (l *Log) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "GET /iam/audit", Rule: auth.Users(auth.RoleAdmin), Owner: auth.Unowned, Handler: http.HandlerFunc(l.handleAudit),
			Doc: httpapi.Doc{Summary: "The audit log of admin and money actions, newest first", Reply: httpapi.List[auditView]{}, Params: auditQuery{}}},
	}
}

// auditQuery are GET /iam/audit's filters.
type auditQuery struct {
	ActorID      string    `query:"actor_id" doc:"Entries of this actor (a user id, or service:<name>)."`
	Action       string    `query:"action" doc:"Entries of this action, e.g. user.verified." example:"user.verified"`
	ResourceType string    `query:"resource_type" doc:"Entries about this kind of resource, e.g. payment."`
	ResourceID   string    `query:"resource_id" doc:"Entries about this resource."`
	Since        time.Time `query:"since" doc:"Entries at or after this time."`
	Until        time.Time `query:"until" doc:"Entries before this time."`
}

// auditView is an audit entry as GET /iam/audit shows it.
type auditView struct {
	ID           string          `json:"id"`
	Service      string          `json:"service"`
	ActorID      string          `json:"actor_id"`
	ActorRole    string          `json:"actor_role"`
	ActorService string          `json:"actor_service,omitempty"`
	Action       string          `json:"action"`
	ResourceType string          `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	Before       json.RawMessage `json:"before"`
	After        json.RawMessage `json:"after"`
	At           time.Time       `json:"at"`
	RequestID    string          `json:"request_id,omitempty"`
	TraceID      string          `json:"trace_id,omitempty"`
}

func auditViewOf(e Entry) auditView {
	return auditView{ID: e.ID, Service: e.Service, ActorID: e.ActorID, ActorRole: e.ActorRole, ActorService: e.ActorService,
		Action: e.Action, ResourceType: e.ResourceType, ResourceID: e.ResourceID,
		Before: json.RawMessage(jsonOrNull(e.Before)), After: json.RawMessage(jsonOrNull(e.After)),
		At: e.At, RequestID: e.RequestID, TraceID: e.TraceID}
}

func jsonOrNull(raw []byte) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

// filterOf reads GET /iam/audit's filters: actor_id, action,
// resource_type, resource_id (exact matches) and since, until (RFC 3339;
// since inclusive, until exclusive).
func filterOf(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{ActorID: q.Get("actor_id"), Action: q.Get("action"),
		ResourceType: q.Get("resource_type"), ResourceID: q.Get("resource_id")}
	var errs []httpapi.FieldError
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs = append(errs, httpapi.FieldError{Field: t.name, Message: "must be an RFC 3339 time, e.g. 2026-11-25T20:00:00Z"})
			continue
		}
		*t.dst = at
	}
	for name, v := range map[string]string{"actor_id": f.ActorID, "action": f.Action,
		"resource_type": f.ResourceType, "resource_id": f.ResourceID} {
		if len(v) > 200 {
			errs = append(errs, httpapi.FieldError{Field: name, Message: "must be at most 200 characters"})
		}
	}
	if len(errs) == 0 && !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		errs = append(errs, httpapi.FieldError{Field: "until", Message: "must be after since"})
	}
	if len(errs) > 0 {
		// A bad query parameter is a 400 (the contract's rule), naming
		// each one as validation errors do.
		p := httpapi.BadRequest("one or more filters are invalid; see errors")
		p.Errors = errs
		return Filter{}, p
	}
	return f, nil
}

// handleAudit is GET /iam/audit (admins): the audit log, newest first.
func (l *Log) handleAudit(w http.ResponseWriter, r *http.Request) {
	var after Cursor
	page, err := httpapi.ParsePageAfter(r, &after)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	f, err := filterOf(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	entries, err := l.store.Entries(r.Context(), f, after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	entries, next := httpapi.Paginate(entries, page.Limit, func(last Entry) any { return Cursor{At: last.At, ID: last.ID} })
	views := make([]auditView, len(entries))
	for i, e := range entries {
		views[i] = auditViewOf(e)
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}
