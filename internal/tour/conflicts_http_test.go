package tour

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/clients"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/tourplan"
)

// TestConflictsOverHTTP: GET /tours/conflicts lists a provider's visits
// that break their homes' rules as they are now, by visit, a page at a
// time, never naming the customer; admins must name the home; a parameter
// unknown or given twice, and a bad cursor, are 400; customers and
// realtors have no conflicts to see; when the listing service is down,
// 503.
func TestConflictsOverHTTP(t *testing.T) {
	h := newHarness(t) // now: Wednesday 25 November 2026, 06:00 in Chicago
	chicago, _ := time.LoadLocation("America/Chicago")
	friday := func(hour int) time.Time { return time.Date(2026, 11, 27, hour, 0, 0, 0, chicago) }
	var booked []string
	for _, hour := range []int{10, 12, 11} {
		booked = append(booked, h.book("cust-1", friday(hour)).ID)
		h.clock.Advance(time.Minute)
	}
	h.access.setRules("l-1", events.Showing{MaxPerDay: 1, Windows: []events.ShowingWindow{{Weekday: 5, Start: "10:30", End: "17:00"}}})
	c := h.server()
	list := func(p auth.Principal, query string) (int, map[string]any) {
		return c.send(t, http.MethodGet, "/tours/conflicts"+query, p, nil)
	}
	visits := func(body map[string]any) string {
		var out []string
		for _, it := range itemsOf(t, body) {
			out = append(out, fmt.Sprint(it["tour_id"], "/", it["listing_id"], "/", it["rule"]))
		}
		return fmt.Sprint(out)
	}
	want := fmt.Sprintf("[%s/l-1/windows %s/l-1/max_per_day]", booked[0], booked[2])

	for _, c := range []struct {
		p     auth.Principal
		query string
	}{{prov1, ""}, {prov1, "?listing_id=l-1"}, {admin, "?listing_id=l-1"}} {
		status, body := list(c.p, c.query)
		if status != http.StatusOK || visits(body) != want {
			t.Fatalf("%s %q = %d %s, want %s", c.p.ID, c.query, status, visits(body), want)
		}
	}
	_, body := list(prov1, "")
	first := itemsOf(t, body)[0]
	if first["title"] != "Loft" || first["status"] != string(statusPending) || first["time_zone"] != "America/Chicago" ||
		first["arrive"] != friday(10).UTC().Format(time.RFC3339) || first["message"] == "" {
		t.Errorf("conflict %v", first)
	}
	if _, ok := first["customer_id"]; ok {
		t.Errorf("a conflict names the customer: %v", first)
	}
	if status, body := list(prov2, ""); status != http.StatusOK || visits(body) != "[]" {
		t.Errorf("another provider = %d %v, want none", status, body)
	}

	status, page := list(prov1, "?limit=1")
	cursor, _ := page["next_cursor"].(string)
	if status != http.StatusOK || cursor == "" || visits(page) != fmt.Sprintf("[%s/l-1/windows]", booked[0]) {
		t.Fatalf("first page = %d %v", status, page)
	}
	status, page = list(prov1, "?limit=1&cursor="+url.QueryEscape(cursor))
	if status != http.StatusOK || visits(page) != fmt.Sprintf("[%s/l-1/max_per_day]", booked[2]) || page["next_cursor"] != nil {
		t.Fatalf("second page = %d %v", status, page)
	}

	for _, bad := range []struct {
		p     auth.Principal
		query string
		want  int
	}{
		{admin, "", http.StatusBadRequest},
		{prov1, "?home=l-1", http.StatusBadRequest},
		{prov1, "?listing_id=l-1&listing_id=l-2", http.StatusBadRequest},
		{prov1, "?cursor=not-a-cursor", http.StatusBadRequest},
		{prov1, "?limit=0", http.StatusBadRequest},
		{customer("cust-1"), "", http.StatusForbidden},
		{realtor("realtor-1"), "", http.StatusForbidden},
	} {
		if status, body := list(bad.p, bad.query); status != bad.want {
			t.Errorf("%s %q = %d %v, want %d", bad.p.ID, bad.query, status, body, bad.want)
		}
	}

	h.serveWith(h.access, sealedAccess{err: fmt.Errorf("read listing: %w", clients.ErrUnavailable)}, &bytes.Buffer{})
	c = h.server()
	if status, body := list(prov1, ""); status != http.StatusServiceUnavailable {
		t.Errorf("listings down = %d %v, want 503", status, body)
	}
}

// TestFindConflicts: which visits the rules as they are now refuse, and
// which are left alone.
func TestFindConflicts(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	friday := func(hour int) time.Time { return time.Date(2026, 11, 27, hour, 0, 0, 0, chicago) }
	created := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	visit := func(id, listing, provider string, hour int, age time.Duration) tour {
		return tour{ID: id, Status: statusScheduled, TimeZone: "America/Chicago", CreatedAt: created.Add(-age), ScheduledAt: friday(hour),
			Stops: []stop{{ListingID: listing, ProviderID: provider, Arrive: friday(hour), Leave: friday(hour).Add(30 * time.Minute)}}}
	}
	rules := homeRules{
		"l-1": {MaxPerDay: 2},
		"l-2": {Mode: events.ShowingNone},
	}
	cancelled := visit("t-x", "l-2", "prov-2", 9, 0)
	cancelled.Status = statusCancelled
	nowhere := visit("t-z", "l-2", "prov-2", 9, 0)
	nowhere.TimeZone = "Mars/Olympus_Mons"
	tours := []tour{
		// Three visits of l-1 on Friday, at most two a day: the one booked
		// last (t-c) is too many, whatever its time; t-a and t-b booked
		// at once go by id.
		visit("t-c", "l-1", "prov-1", 9, 0), visit("t-b", "l-1", "prov-1", 11, time.Hour), visit("t-a", "l-1", "prov-1", 14, time.Hour),
		visit("t-d", "l-2", "prov-2", 12, 0), // no longer shown
		visit("t-e", "l-3", "prov-3", 12, 0), // no rules
		cancelled, nowhere,
	}
	got := func(home func(stop) bool) string {
		var out []string
		for _, c := range findConflicts(tours, rules, home) {
			out = append(out, c.Tour.ID+"/"+c.Rule)
		}
		return fmt.Sprint(out)
	}
	every := func(stop) bool { return true }
	if g, w := got(every), "[t-c/max_per_day t-d/mode]"; g != w {
		t.Errorf("conflicts %s, want %s", g, w)
	}
	if g, w := got(func(s stop) bool { return s.ProviderID == "prov-2" }), "[t-d/mode]"; g != w {
		t.Errorf("prov-2's conflicts %s, want %s", g, w)
	}
	rules["l-1"] = events.Showing{MaxPerDay: 3}
	if g, w := got(every), "[t-d/mode]"; g != w {
		t.Errorf("three a day allowed: %s, want %s", g, w)
	}
	if c := findConflicts(tours, rules, every); len(c) != 1 || c[0].Message != tourplan.RuleMessage(tourplan.RuleMode, rules["l-2"]) {
		t.Errorf("the conflict's message: %+v", c)
	}
}
