package tour

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// sealedAccess is the listing service when it is down: every read of a
// home's access or showing rules fails with err.
type sealedAccess struct{ err error }

func (s sealedAccess) Access(context.Context, string) (clients.ListingAccess, error) {
	return clients.ListingAccess{}, s.err
}

func (s sealedAccess) Get(context.Context, string) (clients.Listing, error) {
	return clients.Listing{}, s.err
}

// serveWith replaces the harness's service by one reading access from
// access and listings from listings, logging into log (at debug level),
// on the same store, its config changed by configure.
func (h *harness) serveWith(access AccessReader, listings ListingReader, log io.Writer, configure ...func(*Config)) {
	h.t.Helper()
	cfg := Config{Clock: h.clock, Sweep: h.sweep, Log: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, c := range configure {
		c(&cfg)
	}
	svc, err := New(h.store, Peers{Payments: h.refunds, Holds: h.desk, Slots: openBook{}, Access: access, Listings: listings}, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.svc = svc
}

// accessReads are the listing ids of each access read in the audit log,
// in order.
func accessReads(t *testing.T, h *harness) []string {
	t.Helper()
	var out []string
	for _, e := range auditEntries(t, h.db) {
		if e.Action != "tour.access.read" {
			continue
		}
		var read struct {
			RealtorID  string   `json:"realtor_id"`
			ListingIDs []string `json:"listing_ids"`
		}
		if err := json.Unmarshal(e.After, &read); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(read.RealtorID, read.ListingIDs))
	}
	return out
}

// TestAccessOverHTTP: GET /tours/{id}/access answers the assigned realtor
// each home whose window is open, each from 30 minutes before its own
// visit (409 with opens_at before the first, 409 without once the tour is
// over); everyone else, admins included, gets 404; a home with no access
// set is left out; every answer is audited with the homes read, never the
// code, which no event and no log line carries either.
func TestAccessOverHTTP(t *testing.T) {
	h := newHarness(t)
	var logs bytes.Buffer
	h.serveWith(h.access, h.access, &logs)
	c := h.server()
	h.access.byHome["l-1"] = clients.ListingAccess{Instructions: "Side gate lockbox", Code: "4821-secret"}
	h.access.byHome["l-2"] = clients.ListingAccess{Instructions: "Doorman has the key", Code: "7730-secret"}
	start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC) // 12:00 in Chicago
	if err := placeAndPay(h.svc, twoHomeOrder("o-1", start)); err != nil {
		t.Fatal(err)
	}
	tr := h.tour("o-1")
	h.assign(tr, "realtor-1")
	realtor := as("realtor-1", auth.RoleRealtor)
	read := func(p auth.Principal) (int, map[string]any) {
		return c.send(t, http.MethodGet, "/tours/o-1/access", p, nil)
	}
	homes := func(body map[string]any) string {
		var out []string
		for _, it := range itemsOf(t, body) {
			out = append(out, fmt.Sprint(it["listing_id"], " ", it["code"], " ", it["opens_at"], "-", it["closes_at"]))
		}
		return strings.Join(out, "; ")
	}

	h.clock.Set(start.Add(-31 * time.Minute))
	status, body := read(realtor)
	if status != http.StatusConflict || body["opens_at"] != "2026-11-25T17:30:00Z" || !strings.Contains(fmt.Sprint(body["detail"]), "2026-11-25T17:30:00Z") {
		t.Fatalf("before the window = %d %v, want 409 opening at 17:30", status, body)
	}
	h.clock.Set(start.Add(-30 * time.Minute))
	if status, body := read(realtor); status != http.StatusOK || homes(body) != "l-1 4821-secret 2026-11-25T17:30:00Z-2026-11-25T19:09:00Z" {
		t.Fatalf("the first home's window = %d %v", status, body)
	}
	// The House is visited 39 minutes after the start: open from 18:09.
	h.clock.Set(start.Add(9 * time.Minute))
	if status, body := read(realtor); status != http.StatusOK ||
		homes(body) != "l-1 4821-secret 2026-11-25T17:30:00Z-2026-11-25T19:09:00Z; l-2 7730-secret 2026-11-25T18:09:00Z-2026-11-25T19:09:00Z" {
		t.Fatalf("both windows = %d %v", status, body)
	}
	for _, p := range []auth.Principal{as("realtor-2", auth.RoleRealtor), customer("cust-1"), prov1, admin, as("realtor-1", auth.RoleCustomer)} {
		if status, body := read(p); status != http.StatusNotFound {
			t.Errorf("%s %s read the access: %d %v", p.Role, p.ID, status, body)
		}
	}
	if status, body := c.send(t, http.MethodGet, "/tours/o-9/access", realtor, nil); status != http.StatusNotFound {
		t.Errorf("a tour that does not exist = %d %v", status, body)
	}
	delete(h.access.byHome, "l-1")
	if status, body := read(realtor); status != http.StatusOK || homes(body) != "l-2 7730-secret 2026-11-25T18:09:00Z-2026-11-25T19:09:00Z" {
		t.Fatalf("the Loft's access unset = %d %v, want the House only", status, body)
	}
	h.clock.Set(tr.EndsAt)
	if status, body := read(realtor); status != http.StatusConflict || body["opens_at"] != nil {
		t.Fatalf("at the end = %d %v, want 409 with no opening", status, body)
	}

	if got, want := fmt.Sprint(accessReads(t, h)), "[realtor-1[l-1] realtor-1[l-1 l-2] realtor-1[l-2]]"; got != want {
		t.Errorf("access reads audited %s, want %s (the refused ones are not reads)", got, want)
	}
	if err := h.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ev := range outboxtest.Events(t, h.db) {
		if strings.Contains(string(ev.Data()), "secret") {
			t.Errorf("event %s carries a code: %s", ev.Type(), ev.Data())
		}
	}
	if strings.Contains(logs.String(), "secret") {
		t.Errorf("the log carries a code:\n%s", logs.String())
	}
}

// TestAccessFollowsTheBooking: a realtor the tour was taken from, and
// every realtor of a tour moved and not booked again yet, is told the tour
// does not exist; once booked again at the new time the window is the new
// one; a cancelled tour has no access.
func TestAccessFollowsTheBooking(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		h := newHarnessOn(t, open)
		c := h.server()
		h.access.byHome["l-1"] = clients.ListingAccess{Code: "4821-secret"}
		start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
		tr := h.book("cust-1", start)
		h.assign(tr, "realtor-1")
		read := func(p auth.Principal) (int, map[string]any) {
			return c.send(t, http.MethodGet, "/tours/"+tr.ID+"/access", p, nil)
		}
		realtor1, realtor2 := as("realtor-1", auth.RoleRealtor), as("realtor-2", auth.RoleRealtor)

		h.clock.Set(start.Add(-3 * time.Hour))
		if status, body := read(realtor1); status != http.StatusConflict || body["opens_at"] != "2026-11-25T17:30:00Z" {
			t.Fatalf("booked = %d %v", status, body)
		}
		h.assign(tr, "realtor-2")
		if status, body := read(realtor1); status != http.StatusNotFound {
			t.Fatalf("the realtor the tour was taken from = %d %v, want 404", status, body)
		}
		if status, body := read(realtor2); status != http.StatusConflict {
			t.Fatalf("the new realtor = %d %v, want 409", status, body)
		}

		later := start.Add(2 * time.Hour)
		status, moved := c.send(t, http.MethodPatch, "/tours/"+tr.ID, customer("cust-1"), map[string]any{"scheduled_at": later})
		if status != http.StatusOK {
			t.Fatalf("reschedule = %d %v", status, moved)
		}
		if status, body := read(realtor2); status != http.StatusNotFound {
			t.Fatalf("moved, not booked again = %d %v, want 404", status, body)
		}
		tr = h.tour(tr.ID)
		h.assign(tr, "realtor-2")
		h.clock.Set(start.Add(-30 * time.Minute)) // the old window's opening
		if status, body := read(realtor2); status != http.StatusConflict || body["opens_at"] != "2026-11-25T19:30:00Z" {
			t.Fatalf("at the old opening = %d %v, want 409 opening at 19:30", status, body)
		}
		h.clock.Set(later.Add(-30 * time.Minute))
		if status, body := read(realtor2); status != http.StatusOK || len(itemsOf(t, body)) != 1 {
			t.Fatalf("at the new opening = %d %v", status, body)
		}

		if status, body := c.send(t, http.MethodDelete, "/tours/"+tr.ID, admin, nil); status != http.StatusOK {
			t.Fatalf("cancel = %d %v", status, body)
		}
		if status, body := read(realtor2); status != http.StatusNotFound {
			t.Fatalf("a cancelled tour's access = %d %v, want 404", status, body)
		}
	})
}

// TestAccessWhenListingsAreDown: a read the listing service cannot answer
// is 503, and is not recorded as a read.
func TestAccessWhenListingsAreDown(t *testing.T) {
	h := newHarness(t)
	var logs bytes.Buffer
	h.serveWith(sealedAccess{err: fmt.Errorf("read access: %w", clients.ErrUnavailable)}, h.access, &logs)
	c := h.server()
	start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	tr := h.book("cust-1", start)
	h.assign(tr, "realtor-1")
	h.clock.Set(start)
	if status, body := c.send(t, http.MethodGet, "/tours/"+tr.ID+"/access", as("realtor-1", auth.RoleRealtor), nil); status != http.StatusServiceUnavailable {
		t.Fatalf("listings down = %d %v, want 503", status, body)
	}
	if reads := accessReads(t, h); len(reads) != 0 {
		t.Fatalf("a failed read was audited: %v", reads)
	}
}

// TestAccessRules: which homes are open when, as the domain decides it.
func TestAccessRules(t *testing.T) {
	start := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	o := twoHomeOrder("t", start)
	tr := tour{ID: "t", Status: statusScheduled, RealtorID: "r1", ScheduledAt: start, EndsAt: o.EndsAt}
	for _, s := range o.Stops {
		tr.Stops = append(tr.Stops, stop{ListingID: s.ListingID, Arrive: s.Arrive, Leave: s.Leave})
	}
	lead := defaultAccessLead
	if opens, closes, ok := tr.AccessWindow("l-2", lead); !ok || !opens.Equal(start.Add(9*time.Minute)) || !closes.Equal(o.EndsAt) {
		t.Errorf("the House's window %v-%v %v", opens, closes, ok)
	}
	if _, _, ok := tr.AccessWindow("l-9", lead); ok {
		t.Error("a home not in the tour has a window")
	}
	for _, c := range []struct {
		name    string
		at      time.Time
		open    int
		opensAt time.Time
		ended   bool
	}{
		{"before", start.Add(-time.Hour), 0, start.Add(-lead), false},
		{"the first home's", start.Add(-lead), 1, time.Time{}, false},
		{"both", start.Add(9 * time.Minute), 2, time.Time{}, false},
		{"a moment before the end", o.EndsAt.Add(-time.Nanosecond), 2, time.Time{}, false},
		{"at the end", o.EndsAt, 0, time.Time{}, true},
	} {
		open, err := tr.OpenAccess(c.at, lead)
		var closed accessNotOpenError
		isClosed := errors.As(err, &closed)
		switch {
		case len(open) != c.open:
			t.Errorf("%s: %d open, want %d (%v)", c.name, len(open), c.open, err)
		case c.open == 0 && (!isClosed || !closed.OpensAt.Equal(c.opensAt) || closed.Ended != c.ended):
			t.Errorf("%s: %v, want closed until %v (ended %v)", c.name, err, c.opensAt, c.ended)
		}
	}
	for _, c := range []struct {
		name string
		t    func(tour) tour
		who  string
		want bool
	}{
		{"its realtor", func(t tour) tour { return t }, "r1", true},
		{"another realtor", func(t tour) tour { return t }, "r2", false},
		{"nobody", func(t tour) tour { t.RealtorID = ""; return t }, "", false},
		{"a pending tour", func(t tour) tour { t.Status = statusPending; return t }, "r1", false},
		{"a tour awaiting approval", func(t tour) tour { t.Status = statusAwaitingApproval; return t }, "r1", false},
		{"a completed tour", func(t tour) tour { t.Status = statusCompleted; return t }, "r1", false},
	} {
		if got := c.t(tr).AccessFor(c.who); got != c.want {
			t.Errorf("%s: access for %q = %v, want %v", c.name, c.who, got, c.want)
		}
	}
	if tr.AccessOpenNow(start.Add(-lead-time.Second), lead) || !tr.AccessOpenNow(start.Add(-lead), lead) || tr.AccessOpenNow(o.EndsAt, lead) {
		t.Error("the realtor is told the access opened outside its first window")
	}
}

// TestAccessNoticeFollowsTheMove: on both engines, with the access open
// 3 h ahead (longer than the 2 h before which a tour may still move), a
// realtor told their tour's access opened is told again, once across
// sweeps and restarts, when the tour moved and was booked again with
// them, at the new opening.
func TestAccessNoticeFollowsTheMove(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		ctx := context.Background()
		h := newHarnessOn(t, open)
		const lead = 3 * time.Hour
		start := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC) // 14:00 in Chicago
		tr := h.book("cust-1", start)
		h.assign(tr, "realtor-1")
		// Each sweep by a service started again on the same store.
		sweep := func() {
			t.Helper()
			h.serveWith(h.access, h.access, io.Discard, func(c *Config) { c.AccessLead = lead })
			if err := h.svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		told := func() string {
			var out []string
			for _, e := range outboxtest.Data[events.TourAccessOpened](t, h.db, events.TypeTourAccessOpened) {
				out = append(out, e.RealtorID+" "+e.OpensAt.Format("15:04"))
			}
			return fmt.Sprint(out)
		}
		h.clock.Set(start.Add(-lead))
		sweep()
		sweep()
		if got := told(); got != "[realtor-1 17:00]" {
			t.Fatalf("told %s at the opening, want once", got)
		}
		later := start.Add(time.Hour)
		moved, err := h.svc.Reschedule(ctx, tr.ID, later)
		if err != nil {
			t.Fatal(err)
		}
		h.assign(moved, "realtor-1")
		sweep()
		if got := told(); got != "[realtor-1 17:00]" {
			t.Fatalf("told %s before the new opening", got)
		}
		h.clock.Set(later.Add(-lead))
		sweep()
		sweep()
		if got := told(); got != "[realtor-1 17:00 realtor-1 18:00]" {
			t.Fatalf("told %s, want again once at the new opening", got)
		}
	})
}
