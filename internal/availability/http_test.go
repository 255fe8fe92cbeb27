package availability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/bus/bustest"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// api is the service behind its HTTP routes, as the app mounts them.
type api struct {
	t     *testing.T
	idx   Index
	url   string
	token func(p auth.Principal) string
}

func newAPI(t *testing.T, open opener) *api {
	t.Helper()
	clk := clock.NewFake(historyNow)
	idx := open(t, Options{})
	svc := newService(t, idx, bustest.Embedded(t).Connect(t), clk)
	srv, issuer := authtest.Serve(t, svc.Routes(), clk)
	return &api{t: t, idx: idx, url: srv.URL, token: func(p auth.Principal) string {
		tok, _, err := issuer.Issue(p)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}}
}

func (a *api) do(method, path, tok, contentType, body string) (int, http.Header, string) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := apidoctest.Client(a.t).Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

func searchPath(p Point, start, end time.Time, extra string) string {
	q := url.Values{}
	q.Set("lat", fmt.Sprint(p.Lat))
	q.Set("lng", fmt.Sprint(p.Lng))
	if !start.IsZero() {
		q.Set("start", start.Format(time.RFC3339))
		q.Set("end", end.Format(time.RFC3339))
	}
	return "/availability?" + q.Encode() + extra
}

// slotsPath is GET /availability/slots for the homes ps, a tour of length
// and the ranges from, to, from, to...
func slotsPath(ps []Point, length string, ranges ...time.Time) string {
	q := url.Values{}
	for _, p := range ps {
		q.Add("lat", fmt.Sprint(p.Lat))
		q.Add("lng", fmt.Sprint(p.Lng))
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		q.Add("from", ranges[i].Format(time.RFC3339))
		q.Add("to", ranges[i+1].Format(time.RFC3339))
	}
	if length != "" {
		q.Set("length", length)
	}
	return "/availability/slots?" + q.Encode()
}

func patchBody(action, tour string, start, end time.Time) string {
	return fmt.Sprintf(`{"action":%q,"tour_id":%q,"start":%q,"end":%q}`, action, tour, start.Format(time.RFC3339), end.Format(time.RFC3339))
}

// TestAccessMatrix checks every endpoint for every kind of caller: admins
// and the appointment service only.
func TestAccessMatrix(t *testing.T) {
	a := newAPI(t, openMemory)
	ctx := context.Background()
	if err := a.idx.PutRealtor(ctx, realtorAt("r1", north(downtown, 1), 10)); err != nil {
		t.Fatal(err)
	}
	callers := map[string]string{
		"anonymous":    "",
		"customer":     a.token(auth.Principal{ID: "cust", Role: auth.RoleCustomer}),
		"provider":     a.token(auth.Principal{ID: "prov", Role: auth.RoleProvider}),
		"realtor":      a.token(auth.Principal{ID: "r1", Role: auth.RoleRealtor}),
		"admin":        a.token(auth.Principal{ID: "adm", Role: auth.RoleAdmin}),
		"appointment":  a.token(auth.ServicePrincipal("appointment")),
		"cart":         a.token(auth.ServicePrincipal("cart")),
		"listing":      a.token(auth.ServicePrincipal("listing")),
		"tour":         a.token(auth.ServicePrincipal("tour")),
		"notification": a.token(auth.ServicePrincipal("notification")),
	}
	allowed := func(ok int) map[string]int {
		return map[string]int{"anonymous": 401, "customer": 403, "provider": 403, "realtor": 403, "admin": ok, "appointment": ok,
			"cart": 403, "listing": 403, "tour": 403, "notification": 403}
	}
	// The open slots name no realtor: the services that show or check
	// times for homes may read them too.
	slotsAllowed := map[string]int{"anonymous": 401, "customer": 403, "provider": 403, "realtor": 403, "admin": 200, "appointment": 200,
		"cart": 200, "listing": 200, "tour": 200, "notification": 403}
	cases := []struct {
		name, method, path, body string
		want                     map[string]int
	}{
		{"search", "GET", searchPath(downtown, at("10:00"), at("11:00"), ""), "", allowed(200)},
		{"search without a window", "GET", searchPath(downtown, time.Time{}, time.Time{}, ""), "", allowed(200)},
		{"read a realtor", "GET", "/availability/r1", "", allowed(200)},
		{"reserve", "PATCH", "/availability/r1", patchBody("reserve", "matrix", at("10:00"), at("11:00")), allowed(200)},
		{"release another tour", "PATCH", "/availability/r1", patchBody("release", "other", at("14:00"), at("15:00")), allowed(200)},
		{"reserve for an unknown realtor", "PATCH", "/availability/nobody", patchBody("reserve", "x", at("10:00"), at("11:00")), allowed(404)},
		{"open slots", "GET", slotsPath([]Point{downtown}, "90m", at("09:00"), at("12:00")), "", slotsAllowed},
	}
	for _, c := range cases {
		for who, tok := range callers {
			t.Run(c.name+"/"+who, func(t *testing.T) {
				ct := ""
				if c.body != "" {
					ct = "application/json"
				}
				status, hdr, body := a.do(c.method, c.path, tok, ct, c.body)
				if status != c.want[who] {
					t.Fatalf("%s %s as %s = %d %s, want %d", c.method, c.path, who, status, body, c.want[who])
				}
				if status >= 400 && hdr.Get("Content-Type") != httpapi.ProblemContentType {
					t.Fatalf("a %d answered as %s", status, hdr.Get("Content-Type"))
				}
				if status >= 400 && (strings.Contains(body, "items") || strings.Contains(body, "bookings") || strings.Contains(body, "tour_id")) {
					t.Fatalf("a refusal shows data: %s", body)
				}
			})
		}
	}
	bs, _ := a.idx.Bookings(ctx, "r1")
	if len(bs) != 1 || bs[0].TourID != "matrix" {
		t.Fatalf("bookings after the matrix: %+v (only the allowed, idempotent reserve may hold)", bs)
	}
}

// TestHTTPAnswers checks what the allowed callers see: the contract's
// fields, a conflict for a taken slot, a release that frees it.
func TestHTTPAnswers(t *testing.T) {
	eachIndex(t, func(t *testing.T, open opener) {
		a := newAPI(t, open)
		ctx := context.Background()
		for _, r := range []Realtor{realtorAt("near", north(downtown, 1), 10), realtorAt("far", north(downtown, 6), 10)} {
			if err := a.idx.PutRealtor(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		svc := a.token(auth.ServicePrincipal("appointment"))
		var list struct {
			Items []struct {
				RealtorID  string   `json:"realtor_id"`
				DistanceKM *float64 `json:"distance_km"`
				Status     string   `json:"status"`
				TimeZone   string   `json:"time_zone"`
			} `json:"items"`
		}
		search := func(extra string) string {
			t.Helper()
			status, _, body := a.do("GET", searchPath(downtown, at("10:00"), at("11:00"), extra), svc, "", "")
			if status != 200 {
				t.Fatalf("search: %d %s", status, body)
			}
			list.Items = nil
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range list.Items {
				if it.DistanceKM == nil || it.Status != "available" || it.TimeZone != "America/Chicago" {
					t.Fatalf("item %+v in %s", it, body)
				}
				out = append(out, fmt.Sprintf("%s@%.1f", it.RealtorID, *it.DistanceKM))
			}
			return strings.Join(out, " ")
		}
		if got := search(""); got != "near@1.0 far@6.0" {
			t.Fatalf("search: %s", got)
		}
		if got := search("&radius_km=5"); got != "near@1.0" {
			t.Fatalf("search within 5 km: %s", got)
		}
		if got := search("&limit=1"); got != "near@1.0" {
			t.Fatalf("search limit 1: %s", got)
		}
		home2 := north(downtown, 12) // 11 km from near, 6 from far
		if got := search(fmt.Sprintf("&lat=%v&lng=%v", home2.Lat, home2.Lng)); got != "far@6.0" {
			t.Fatalf("search for two homes: %s", got)
		}
		if got := search(fmt.Sprintf("&lat=%v&lng=%v&lat=%v&lng=%v", downtown.Lat, downtown.Lng, downtown.Lat, downtown.Lng)); got != "near@1.0 far@6.0" {
			t.Fatalf("search naming the first home three times: %s", got)
		}
		status, _, body := a.do("PATCH", "/availability/near", svc, "application/json", patchBody("reserve", "t1", at("10:00"), at("11:00")))
		var booking map[string]any
		if err := json.Unmarshal([]byte(body), &booking); status != 200 || err != nil ||
			booking["realtor_id"] != "near" || booking["tour_id"] != "t1" || booking["status"] != "reserved" ||
			booking["start"] != at("10:00").UTC().Format(time.RFC3339) || booking["end"] != at("11:00").UTC().Format(time.RFC3339) {
			t.Fatalf("reserve: %d %s", status, body)
		}
		if got := search(""); got != "far@6.0" {
			t.Fatalf("search after the reserve: %s", got)
		}
		status, hdr, body := a.do("PATCH", "/availability/near", svc, "application/json", patchBody("reserve", "t2", at("11:15"), at("12:00")))
		if status != 409 || hdr.Get("Content-Type") != httpapi.ProblemContentType {
			t.Fatalf("reserve inside the buffer: %d %s", status, body)
		}
		status, _, body = a.do("PATCH", "/availability/near", svc, "application/json", `{"action":"release","tour_id":"t1"}`)
		if status != 200 || !strings.Contains(body, `"status":"released"`) {
			t.Fatalf("release: %d %s", status, body)
		}
		if got := search(""); got != "near@1.0 far@6.0" {
			t.Fatalf("search after the release: %s", got)
		}
		slots := func(path string) string {
			t.Helper()
			status, _, body := a.do("GET", path, a.token(auth.ServicePrincipal("cart")), "", "")
			if status != 200 {
				t.Fatalf("slots: %d %s", status, body)
			}
			if strings.Contains(body, "near") || strings.Contains(body, "far") {
				t.Fatalf("the slots name a realtor: %s", body)
			}
			return strings.TrimSpace(body)
		}
		// near and far work 08:00-18:00 Chicago (14:00-00:00Z in December).
		if got := slots(slotsPath([]Point{downtown}, "1h", at("16:00"), at("18:00"))); got != `{"items":["2026-12-01T22:00:00Z","2026-12-01T22:15:00Z","2026-12-01T22:30:00Z","2026-12-01T22:45:00Z","2026-12-01T23:00:00Z"]}` {
			t.Fatalf("slots 16:00-18:00 (every 15 min by default): %s", got)
		}
		got := slots(slotsPath([]Point{downtown}, "1h", at("16:00"), at("18:00")) + "&step=30m")
		if got != `{"items":["2026-12-01T22:00:00Z","2026-12-01T22:30:00Z","2026-12-01T23:00:00Z"]}` {
			t.Fatalf("slots 16:00-18:00 every 30 min: %s", got)
		}
		got = slots(slotsPath([]Point{downtown, home2}, "45m", at("07:00"), at("08:00"), at("17:00"), at("19:00")))
		if got != `{"items":["2026-12-01T14:00:00Z","2026-12-01T23:00:00Z","2026-12-01T23:15:00Z"]}` {
			t.Fatalf("slots of two homes in two ranges: %s", got)
		}
		if got = slots(slotsPath([]Point{north(downtown, 80)}, "1h", at("09:00"), at("10:00"))); got != `{"items":[]}` {
			t.Fatalf("slots where nobody goes: %s", got)
		}
		status, _, body = a.do("GET", "/availability/near", a.token(auth.Principal{ID: "adm", Role: auth.RoleAdmin}), "", "")
		if status != 200 || !strings.Contains(body, `"eligible":true`) || !strings.Contains(body, `"bookings":[]`) {
			t.Fatalf("read realtor: %d %s", status, body)
		}
	})
}

// TestBadInput: every malformed request is a problem+json 4xx naming what
// is wrong, and changes nothing.
func TestBadInput(t *testing.T) {
	a := newAPI(t, openMemory)
	ctx := context.Background()
	if err := a.idx.PutRealtor(ctx, realtorAt("r1", north(downtown, 1), 10)); err != nil {
		t.Fatal(err)
	}
	if err := a.idx.Reserve(ctx, "r1", "held", at("14:00"), at("15:00")); err != nil {
		t.Fatal(err)
	}
	admin := a.token(auth.Principal{ID: "adm", Role: auth.RoleAdmin})
	ok := searchPath(downtown, at("10:00"), at("11:00"), "")
	slot := slotsPath([]Point{downtown}, "1h", at("09:00"), at("12:00"))
	body := func(s string) string { return s }
	cases := []struct {
		name, method, path, contentType, body string
		want                                  int
		field                                 string // the parameter or field the problem must name
	}{
		{"malformed JSON", "PATCH", "/availability/r1", "application/json", `{"action":`, 400, ""},
		{"not an object", "PATCH", "/availability/r1", "application/json", `["reserve"]`, 400, ""},
		{"tour id of the wrong type", "PATCH", "/availability/r1", "application/json", `{"action":"reserve","tour_id":7,"start":"2026-12-01T16:00:00Z","end":"2026-12-01T17:00:00Z"}`, 400, "tour_id"},
		{"action of the wrong type", "PATCH", "/availability/r1", "application/json", `{"action":true,"tour_id":"t"}`, 400, "action"},
		{"unknown field", "PATCH", "/availability/r1", "application/json", `{"action":"reserve","tour_id":"t","start":"2026-12-01T16:00:00Z","end":"2026-12-01T17:00:00Z","force":true}`, 400, "force"},
		{"bad time", "PATCH", "/availability/r1", "application/json", `{"action":"reserve","tour_id":"t","start":"tomorrow","end":"2026-12-01T17:00:00Z"}`, 400, ""},
		{"trailing data", "PATCH", "/availability/r1", "application/json", patchBody("reserve", "t", at("10:00"), at("11:00")) + `{}`, 400, ""},
		{"start after end", "PATCH", "/availability/r1", "application/json", patchBody("reserve", "t", at("11:00"), at("10:00")), 422, "end"},
		{"empty window", "PATCH", "/availability/r1", "application/json", patchBody("reserve", "t", at("10:00"), at("10:00")), 422, "end"},
		{"13 hour window", "PATCH", "/availability/r1", "application/json", patchBody("reserve", "t", at("06:00"), at("19:00")), 422, "end"},
		{"before 1970", "PATCH", "/availability/r1", "application/json", `{"action":"reserve","tour_id":"t","start":"1960-01-01T10:00:00Z","end":"1960-01-01T11:00:00Z"}`, 422, "start"},
		{"reserve without a window", "PATCH", "/availability/r1", "application/json", `{"action":"reserve","tour_id":"t"}`, 422, "start"},
		{"half a window", "PATCH", "/availability/r1", "application/json", `{"action":"release","tour_id":"held","start":"2026-12-01T20:00:00Z"}`, 422, "end"},
		{"unknown action", "PATCH", "/availability/r1", "application/json", `{"action":"book","tour_id":"t"}`, 422, "action"},
		{"no tour", "PATCH", "/availability/r1", "application/json", `{"action":"release","tour_id":""}`, 422, "tour_id"},
		{"huge tour id", "PATCH", "/availability/r1", "application/json", patchBody("reserve", strings.Repeat("x", 5000), at("10:00"), at("11:00")), 422, "tour_id"},
		{"injection in the path", "PATCH", "/availability/" + url.PathEscape("' OR 1=1 --"), "application/json", patchBody("release", "held", at("14:00"), at("15:00")), 404, ""},
		{"not JSON", "PATCH", "/availability/r1", "text/plain", body(`action=release`), 415, ""},
		{"huge body", "PATCH", "/availability/r1", "application/json", `{"action":"release","tour_id":"` + strings.Repeat("x", 2<<20) + `"}`, 413, ""},
		{"no lat", "GET", "/availability?lng=-87.6", "", "", 400, "lat"},
		{"lat not a number", "GET", strings.Replace(ok, "lat=", "lat=abc", 1), "", "", 400, "lat"},
		{"lat 91", "GET", "/availability?lat=91&lng=-87.6", "", "", 400, "lat"},
		{"lng NaN", "GET", "/availability?lat=41&lng=NaN", "", "", 400, "lng"},
		{"radius 0", "GET", ok + "&radius_km=0", "", "", 400, "radius_km"},
		{"radius negative", "GET", ok + "&radius_km=-3", "", "", 400, "radius_km"},
		{"radius huge", "GET", ok + "&radius_km=1e9", "", "", 400, "radius_km"},
		{"start without end", "GET", "/availability?lat=41.9&lng=-87.6&start=2026-12-01T16:00:00Z", "", "", 400, "end"},
		{"end without start", "GET", "/availability?lat=41.9&lng=-87.6&end=2026-12-01T16:00:00Z", "", "", 400, "start"},
		{"bad start", "GET", "/availability?lat=41.9&lng=-87.6&start=tomorrow&end=2026-12-01T16:00:00Z", "", "", 400, "start"},
		{"end before start", "GET", searchPath(downtown, at("11:00"), at("10:00"), ""), "", "", 400, "end"},
		{"13 hour search", "GET", searchPath(downtown, at("06:00"), at("19:00"), ""), "", "", 400, "end"},
		{"unknown parameter", "GET", ok + "&radius=5", "", "", 400, "radius"},
		{"repeated parameter", "GET", ok + "&limit=5&limit=6", "", "", 400, "limit"},
		{"a lat without its lng", "GET", ok + "&lat=1", "", "", 400, "lat"},
		{"a lng without its lat", "GET", ok + "&lng=1", "", "", 400, "lng"},
		{"second lat 91", "GET", ok + "&lat=91&lng=-87.6", "", "", 400, "lat[1]"},
		{"third lng not a number", "GET", ok + "&lat=41.9&lng=-87.6&lat=41.9&lng=west", "", "", 400, "lng[2]"},
		{"too many points", "GET", ok + strings.Repeat("&lat=41.9&lng=-87.6", maxSearchPoints), "", "", 400, "lat"},
		{"limit 0", "GET", ok + "&limit=0", "", "", 400, "limit"},
		{"limit 101", "GET", ok + "&limit=101", "", "", 400, "limit"},
		{"unknown realtor", "GET", "/availability/nobody", "", "", 404, ""},
		{"slots: no lat", "GET", "/availability/slots?lng=-87.6&from=2026-12-01T15:00:00Z&to=2026-12-01T18:00:00Z&length=1h", "", "", 400, "lat"},
		{"slots: second lng 181", "GET", slot + "&lat=41.9&lng=181", "", "", 400, "lng[1]"},
		{"slots: no from", "GET", slotsPath([]Point{downtown}, "1h"), "", "", 400, "from"},
		{"slots: from without to", "GET", slotsPath([]Point{downtown}, "1h") + "&from=2026-12-01T15:00:00Z", "", "", 400, "to"},
		{"slots: two froms, one to", "GET", slot + "&from=2026-12-02T15:00:00Z", "", "", 400, "to"},
		{"slots: bad from", "GET", strings.Replace(slot, "from=", "from=soon", 1), "", "", 400, "from"},
		{"slots: bad second to", "GET", slot + "&from=2026-12-02T15:00:00Z&to=later", "", "", 400, "to[1]"},
		{"slots: to before from", "GET", slotsPath([]Point{downtown}, "1h", at("12:00"), at("11:00")), "", "", 400, "to"},
		{"slots: ranges overlap", "GET", slotsPath([]Point{downtown}, "1h", at("09:00"), at("12:00"), at("11:00"), at("13:00")), "", "", 400, "from[1]"},
		{"slots: ranges out of order", "GET", slotsPath([]Point{downtown}, "1h", at("09:00"), at("12:00"), at("07:00"), at("08:00")), "", "", 400, "from[1]"},
		{"slots: before 1970", "GET", slotsPath([]Point{downtown}, "1h", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), at("08:00")), "", "", 400, "from"},
		{"slots: no length", "GET", slotsPath([]Point{downtown}, "", at("09:00"), at("12:00")), "", "", 400, "length"},
		{"slots: length not a duration", "GET", strings.Replace(slot, "length=1h", "length=an+hour", 1), "", "", 400, "length"},
		{"slots: length 0", "GET", strings.Replace(slot, "length=1h", "length=0s", 1), "", "", 400, "length"},
		{"slots: length 13h", "GET", strings.Replace(slot, "length=1h", "length=13h", 1), "", "", 400, "length"},
		{"slots: length overflowing", "GET", strings.Replace(slot, "length=1h", "length=9999999999h", 1), "", "", 400, "length"},
		{"slots: negative step", "GET", slot + "&step=-15m", "", "", 400, "step"},
		{"slots: a 30 s step", "GET", slot + "&step=30s", "", "", 400, "step"},
		{"slots: two steps", "GET", slot + "&step=15m&step=30m", "", "", 400, "step"},
		{"slots: 4097 starts", "GET", slotsPath([]Point{downtown}, "1h", at("00:00"), at("00:00").Add(4096*time.Minute)) + "&step=1m", "", "", 400, "to"},
		{"slots: unknown parameter", "GET", slot + "&days=7", "", "", 400, "days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, hdr, raw := a.do(c.method, c.path, admin, c.contentType, c.body)
			if status != c.want || hdr.Get("Content-Type") != httpapi.ProblemContentType {
				t.Fatalf("%d %s %s, want a %d problem", status, hdr.Get("Content-Type"), raw, c.want)
			}
			var p httpapi.Problem
			if err := json.Unmarshal([]byte(raw), &p); err != nil || p.Status != c.want || p.Detail == "" {
				t.Fatalf("not a problem: %s", raw)
			}
			if c.field != "" {
				named := false
				for _, e := range p.Errors {
					named = named || e.Field == c.field
				}
				if !named {
					t.Fatalf("the problem does not name %s: %s", c.field, raw)
				}
			}
		})
	}
	bs, _ := a.idx.Bookings(ctx, "r1")
	if len(bs) != 1 || bs[0].TourID != "held" || !bs[0].Start.Equal(at("14:00")) {
		t.Fatalf("bad input changed the bookings: %+v", bs)
	}
	if r, err := a.idx.Realtor(ctx, "r1"); err != nil || !r.Eligible() {
		t.Fatalf("bad input changed the realtor: %+v, %v", r, err)
	}
}
