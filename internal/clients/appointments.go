package clients

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// Delegator gives a short-lived token of a user limited to one scope
// (auth.TokenSource.Delegated: iam's token exchange).
type Delegator interface {
	Delegated(ctx context.Context, subject, scope string) (string, error)
}

// Appointments calls the appointment service's realtor actions for a
// realtor, with a token of theirs limited to that (auth.ScopeRespondToAssignment).
type Appointments struct {
	c *caller
	d Delegator
}

// NewAppointments returns a client of the appointment service at base.
func NewAppointments(base string, hc *http.Client, d Delegator, opts Options) *Appointments {
	return &Appointments{c: newCaller("appointment", base, hc, nil, opts), d: d}
}

// ErrNotPending: the appointment is no longer the realtor's to answer
// (released, reassigned, or not theirs).
var ErrNotPending = errors.New("the appointment cannot be answered any more")

// Respond confirms (or declines) the realtor's appointment: POST
// /appointments/{id}/confirm|decline as the realtor. Answers that no retry
// changes (404, 403, 409) are ErrNotPending.
func (a *Appointments) Respond(ctx context.Context, realtorID, appointmentID string, confirm bool) error {
	tok, err := a.d.Delegated(ctx, realtorID, auth.ScopeRespondToAssignment)
	if err != nil {
		return errors.Join(ErrUnavailable, err)
	}
	action := "decline"
	if confirm {
		action = "confirm"
	}
	resp, err := a.c.call(ctx, http.MethodPost, "/appointments/"+url.PathEscape(appointmentID)+"/"+action,
		http.Header{"Authorization": {"Bearer " + tok}}, nil, false)
	if err != nil {
		return err
	}
	switch err := decode(resp, http.StatusOK, nil); {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return ErrNotPending
	default:
		var apiErr *APIError
		if errors.As(err, &apiErr) && (apiErr.Status == http.StatusConflict || apiErr.Status == http.StatusForbidden) {
			return errors.Join(ErrNotPending, err)
		}
		return err
	}
}
