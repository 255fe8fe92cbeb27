package tour

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// send sends method path with body (JSON, or raw when it is a string) as
// who and decodes the JSON answer.
func (c tourHTTP) send(t *testing.T, method, path string, who auth.Principal, body any) (int, map[string]any) {
	t.Helper()
	tok, _, err := c.issuer.Issue(who)
	if err != nil {
		t.Fatal(err)
	}
	var in io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		in = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		in = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, in)
	req.Header.Set("Authorization", "Bearer "+tok)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s = %d %s: %v", method, path, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, out
}

func customer(id string) auth.Principal { return auth.Principal{ID: id, Role: auth.RoleCustomer} }
func realtor(id string) auth.Principal  { return auth.Principal{ID: id, Role: auth.RoleRealtor} }
func provider(id string) auth.Principal { return auth.Principal{ID: id, Role: auth.RoleProvider} }

var admin = auth.Principal{ID: "admin-1", Role: auth.RoleAdmin}

// isPermanentError reports whether err is bus.Permanent's, which the bus
// tells by its unexported type: such an event goes to the dead letters.
func isPermanentError(err error) bool {
	return err != nil && fmt.Sprintf("%T", err) == "bus.permanentError"
}

// assigned delivers the appointment service's news that realtorID takes
// tour id, as of at.
func (h *harness) assigned(id, realtorID string, at time.Time) error {
	h.t.Helper()
	return h.deliver(events.TypeAppointmentScheduled, id, events.AppointmentScheduled{
		Appointment: events.Appointment{AppointmentID: "appt-" + id, TourID: id, RealtorID: realtorID}, ScheduledAt: at})
}

// released delivers the news that realtorID gave tour id up, for reason,
// as of at.
func (h *harness) released(id, realtorID, reason string, at time.Time) error {
	h.t.Helper()
	return h.deliver(events.TypeAppointmentReleased, id, events.AppointmentReleased{
		Appointment: events.Appointment{AppointmentID: "appt-" + id, TourID: id, RealtorID: realtorID}, Reason: reason, ReleasedAt: at})
}

// mustEvent is an event of typ about subject as its producer would send
// it, to deliver more than once.
func mustEvent(t *testing.T, h *harness, typ, subject string, data any) bus.Event {
	t.Helper()
	ev, err := bus.NewEvent(context.Background(), typ, subject, data, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// serviceOn is the harness's service on another store (one that wraps
// the harness's to interleave a change).
func (h *harness) serviceOn(st Store) *Service {
	h.t.Helper()
	svc, err := New(st, Peers{Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Access: h.access, Listings: h.access},
		Config{Clock: h.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}
