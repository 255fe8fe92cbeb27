package notification

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/auth/authtest"
	"github.com/openhouse/openhouse/internal/platform/clock"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// api is the service behind its HTTP routes, as the app mounts it.
type api struct {
	t      *testing.T
	in     *instance
	srv    *httptest.Server
	issuer *auth.Issuer
}

func newAPI(t *testing.T, open storetest.Opener, clk *clock.Fake, configure ...func(*Config)) *api {
	t.Helper()
	cfg := Config{AllowLoopbackWebhooks: true}
	for _, f := range configure {
		f(&cfg)
	}
	in := newInstance(t, openDB(t, open), clk, cfg)
	srv, issuer := authtest.Serve(t, in.svc.Routes(), clk)
	return &api{t: t, in: in, srv: srv, issuer: issuer}
}

func (a *api) token(p auth.Principal) string {
	a.t.Helper()
	tok, _, err := a.issuer.Issue(p)
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

func (a *api) do(method, path, token, body string) (int, http.Header, string) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apidoctest.Client(a.t).Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

type listBody struct {
	Items []struct {
		ID         string    `json:"id"`
		Kind       string    `json:"kind"`
		TourID     string    `json:"tour_id"`
		Channel    string    `json:"channel"`
		SendAt     time.Time `json:"send_at"`
		SentAt     time.Time `json:"sent_at"`
		Body       string    `json:"body"`
		ReadAt     *string   `json:"read_at"`
		Deliveries []struct {
			Channel string `json:"channel"`
			State   string `json:"state"`
		} `json:"deliveries"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// TestAccessMatrix: every endpoint for every kind of caller. Each user sees
// their own inbox only; nobody reaches another user's items; services are
// refused.
func TestAccessMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		a := newAPI(t, open, clk)
		users := map[string]auth.Principal{
			"customer": {ID: "cust-a", Role: auth.RoleCustomer},
			"provider": {ID: "prov-a", Role: auth.RoleProvider},
			"realtor":  {ID: "real-a", Role: auth.RoleRealtor},
			"admin":    {ID: "adm-a", Role: auth.RoleAdmin},
		}
		callers := map[string]string{"anonymous": "", "service": a.token(auth.ServicePrincipal("tour"))}
		for who, p := range users {
			callers[who] = a.token(p)
		}
		// cust-a and real-a share a tour; the victim has one of their own.
		a.in.register(t, events.UserRegistered{UserID: "cust-a", Email: "a@example.com", Name: "A", Role: "customer"},
			events.UserRegistered{UserID: "victim", Email: "v@example.com", Name: "Victim", Role: "customer"})
		a.in.handle(t, scheduled(t, tour("tour-a", "cust-a", "real-a", 2, tourStart), t0))
		a.in.handle(t, scheduled(t, tour("tour-v", "victim", "", 2, tourStart), t0))
		victimItems := inbox(t, a.in.store, "victim")
		if len(victimItems) != 1 {
			t.Fatalf("victim has %d items", len(victimItems))
		}
		secret := victimItems[0].ID

		userOK := func(ok int) map[string]int {
			return map[string]int{"anonymous": 401, "customer": ok, "provider": ok, "realtor": ok, "admin": ok, "service": 403}
		}
		ownItems := map[string]int{"customer": 1, "realtor": 1, "provider": 0, "admin": 0}
		for who, tok := range callers {
			t.Run("inbox/"+who, func(t *testing.T) {
				status, hdr, body := a.do("GET", "/notifications", tok, "")
				if want := userOK(200)[who]; status != want {
					t.Fatalf("GET /notifications as %s = %d %s, want %d", who, status, body, want)
				}
				if strings.Contains(body, secret) || strings.Contains(body, "tour-v") {
					t.Fatalf("%s sees the victim's notification: %s", who, body)
				}
				if status != 200 {
					if hdr.Get("Content-Type") != httpapi.ProblemContentType {
						t.Fatalf("refusal is not a problem: %s", hdr.Get("Content-Type"))
					}
					return
				}
				var list listBody
				if err := json.Unmarshal([]byte(body), &list); err != nil {
					t.Fatal(err)
				}
				if len(list.Items) != ownItems[who] {
					t.Fatalf("%s sees %d items, want %d: %s", who, len(list.Items), ownItems[who], body)
				}
				for _, it := range list.Items {
					if it.Kind != "tour_scheduled" || it.TourID != "tour-a" || it.Channel != "inbox" || !it.SentAt.Equal(t0) ||
						!it.SendAt.Equal(t0) || it.ReadAt != nil || !strings.Contains(it.Body, "10:00 CST (America/Chicago)") {
						t.Fatalf("item %+v", it)
					}
				}
			})
		}
		cases := []struct {
			name, method, path, body string
			want                     map[string]int
		}{
			{"read another user's item", "POST", "/notifications/" + secret + "/read", "",
				map[string]int{"anonymous": 401, "customer": 404, "provider": 404, "realtor": 404, "admin": 404, "service": 403}},
			{"read an unknown item", "POST", "/notifications/nope/read", "",
				map[string]int{"anonymous": 401, "customer": 404, "provider": 404, "realtor": 404, "admin": 404, "service": 403}},
			{"no webhook yet", "GET", "/notifications/webhook", "",
				map[string]int{"anonymous": 401, "customer": 404, "provider": 404, "realtor": 404, "admin": 404, "service": 403}},
			{"register webhook", "PUT", "/notifications/webhook", `{"url":"https://hooks.example.com/oh","secret":"0123456789abcdef"}`, userOK(200)},
			{"read webhook", "GET", "/notifications/webhook", "", userOK(200)},
			{"remove webhook", "DELETE", "/notifications/webhook", "", userOK(204)},
			{"remove it again", "DELETE", "/notifications/webhook", "",
				map[string]int{"anonymous": 401, "customer": 404, "provider": 404, "realtor": 404, "admin": 404, "service": 403}},
		}
		for _, c := range cases {
			for who, tok := range callers {
				status, _, body := a.do(c.method, c.path, tok, c.body)
				if status != c.want[who] {
					t.Errorf("%s (%s %s) as %s = %d %s, want %d", c.name, c.method, c.path, who, status, body, c.want[who])
				}
				if strings.Contains(body, "0123456789abcdef") {
					t.Errorf("%s: the secret was echoed: %s", c.name, body)
				}
			}
		}
		if items := inbox(t, a.in.store, "victim"); !items[0].ReadAt.IsZero() {
			t.Fatal("another user marked the victim's item read")
		}
		// The customer marks their own item read.
		own := inbox(t, a.in.store, "cust-a")[0].ID
		status, _, body := a.do("POST", "/notifications/"+own+"/read", callers["customer"], "")
		if status != 200 || !strings.Contains(body, `"read_at":"2026-11-28T12:00:00Z"`) {
			t.Fatalf("mark own read = %d %s", status, body)
		}
	})
}

// TestBadInputChangesNothing: malformed or invalid requests get 4xx
// problems, and the registered webhook stays as it was.
func TestBadInputChangesNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		a := newAPI(t, open, clk)
		tok := a.token(auth.Principal{ID: "cust-a", Role: auth.RoleCustomer})
		good := `{"url":"https://hooks.example.com/oh","secret":"0123456789abcdef"}`
		if status, _, body := a.do("PUT", "/notifications/webhook", tok, good); status != 200 {
			t.Fatalf("register = %d %s", status, body)
		}
		cases := map[string]struct {
			method, path, body string
			want               int
			field              string
		}{
			"malformed JSON":      {"PUT", "/notifications/webhook", `{"url":`, 400, ""},
			"wrong type":          {"PUT", "/notifications/webhook", `{"url":7,"secret":"0123456789abcdef"}`, 400, "url"},
			"unknown field":       {"PUT", "/notifications/webhook", `{"url":"https://x.example/","secret":"0123456789abcdef","events":["*"]}`, 400, "events"},
			"trailing data":       {"PUT", "/notifications/webhook", good + `{}`, 400, ""},
			"empty body":          {"PUT", "/notifications/webhook", ``, 400, ""},
			"not a URL":           {"PUT", "/notifications/webhook", `{"url":"not a url","secret":"0123456789abcdef"}`, 422, "url"},
			"plain http":          {"PUT", "/notifications/webhook", `{"url":"http://hooks.example.com/","secret":"0123456789abcdef"}`, 422, "url"},
			"javascript":          {"PUT", "/notifications/webhook", `{"url":"javascript:alert(1)","secret":"0123456789abcdef"}`, 422, "url"},
			"credentials in URL":  {"PUT", "/notifications/webhook", `{"url":"https://u:p@hooks.example.com/","secret":"0123456789abcdef"}`, 422, "url"},
			"short secret":        {"PUT", "/notifications/webhook", `{"url":"https://x.example/","secret":"too-short"}`, 422, "secret"},
			"missing secret":      {"PUT", "/notifications/webhook", `{"url":"https://x.example/"}`, 422, "secret"},
			"huge body":           {"PUT", "/notifications/webhook", `{"url":"https://x.example/","secret":"` + strings.Repeat("s", 2<<20) + `"}`, 413, ""},
			"injection":           {"PUT", "/notifications/webhook", `{"url":"https://x.example/'; DROP TABLE webhooks; --","secret":"' OR 1=1 --"}`, 422, "secret"},
			"limit out of range":  {"GET", "/notifications?limit=1000", "", 400, "limit"},
			"limit not a number":  {"GET", "/notifications?limit=ten", "", 400, "limit"},
			"forged cursor":       {"GET", "/notifications?cursor=not-a-cursor", "", 400, "cursor"},
			"wrong method":        {"PATCH", "/notifications/webhook", good, 405, ""},
			"unknown path":        {"GET", "/notifications/x/y/z", "", 404, ""},
			"form-encoded":        {"PUT", "/notifications/webhook", "url=https://x.example/", 415, ""},
			"read with no id":     {"POST", "/notifications//read", "", 404, ""},
			"nesting too deep":    {"PUT", "/notifications/webhook", strings.Repeat("[", 100) + strings.Repeat("]", 100), 400, ""},
			"null body":           {"PUT", "/notifications/webhook", `null`, 422, "url"},
			"array instead":       {"PUT", "/notifications/webhook", `[]`, 400, ""},
			"secret wrong type":   {"PUT", "/notifications/webhook", `{"url":"https://x.example/","secret":12345678901234567890}`, 400, "secret"},
			"url with fragment":   {"PUT", "/notifications/webhook", `{"url":"https://x.example/#frag","secret":"0123456789abcdef"}`, 422, "url"},
			"loopback over https": {"PUT", "/notifications/webhook", `{"url":"ftp://127.0.0.1/","secret":"0123456789abcdef"}`, 422, "url"},
		}
		for name, c := range cases {
			req := c.body
			ctype := "json"
			if name == "form-encoded" {
				ctype = "form"
			}
			status, hdr, body := a.doTyped(c.method, c.path, tok, req, ctype)
			if status != c.want {
				t.Errorf("%s: %d %s, want %d", name, status, truncateForLog(body), c.want)
				continue
			}
			if hdr.Get("Content-Type") != httpapi.ProblemContentType {
				t.Errorf("%s: Content-Type %q, want a problem", name, hdr.Get("Content-Type"))
			}
			if c.field != "" && !strings.Contains(body, `"field":"`+c.field+`"`) {
				t.Errorf("%s: problem does not name %s: %s", name, c.field, truncateForLog(body))
			}
		}
		w, err := a.in.store.Webhook(context.Background(), "cust-a")
		if err != nil || w.URL != "https://hooks.example.com/oh" || w.Secret != "0123456789abcdef" || !w.UpdatedAt.Equal(t0) {
			t.Fatalf("the webhook changed: %+v, %v", w, err)
		}
	})
}

// TestInboxPages: newest first, in pages, every item once.
func TestInboxPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		clk := clock.NewFake(t0)
		a := newAPI(t, open, clk)
		a.in.register(t, customer)
		for i := range 12 {
			clk.Advance(time.Minute)
			tr := tour("tour-p", customer.UserID, "", i+2, tourStart)
			a.in.handle(t, unassigned(t, tr, clk.Now()))
		}
		tok := a.token(auth.Principal{ID: customer.UserID, Role: auth.RoleCustomer})
		var ids []string
		var last time.Time
		path := "/notifications?limit=5"
		for pages := 1; ; pages++ {
			status, _, body := a.do("GET", path, tok, "")
			if status != 200 {
				t.Fatalf("page %d = %d %s", pages, status, body)
			}
			var list listBody
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatal(err)
			}
			for _, it := range list.Items {
				if !last.IsZero() && !it.SentAt.Before(last) {
					t.Fatalf("not newest first: %v after %v", it.SentAt, last)
				}
				last = it.SentAt
				ids = append(ids, it.ID)
			}
			if list.NextCursor == "" {
				if pages != 3 {
					t.Fatalf("%d pages, want 3", pages)
				}
				break
			}
			path = "/notifications?limit=5&cursor=" + list.NextCursor
		}
		if len(ids) != 12 {
			t.Fatalf("%d items over the pages, want 12", len(ids))
		}
	})
}

func (a *api) doTyped(method, path, token, body, ctype string) (int, http.Header, string) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	switch {
	case ctype == "form":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case body != "" || method == "PUT":
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := apidoctest.Client(a.t).Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

func truncateForLog(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
