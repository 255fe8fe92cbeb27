package places

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// serve mounts the service's routes without their rules (the app's
// authorization matrix checks those) and calls one.
func serve(t *testing.T, s *Service, target string) (int, map[string]any) {
	t.Helper()
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: %d %q is not JSON", target, w.Code, w.Body)
	}
	if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET %s: %d as %s, want problem+json", target, w.Code, w.Header().Get("Content-Type"))
	}
	return w.Code, body
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSearchAPI(t *testing.T) {
	s, err := New(Config{Gazetteer: loadEmbedded(t), Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	status, body := serve(t, s, "/places?q=Chicago")
	items, _ := body["items"].([]any)
	if status != 200 || len(items) != 5 { // every Chicago there is
		t.Fatalf("GET /places?q=Chicago = %d %v", status, body)
	}
	first, _ := json.Marshal(items[0])
	if want := `{"country":"US","kind":"city","location":{"lat":41.85,"lng":-87.65},"name":"Chicago","population":2720546,"region":"IL"}`; string(first) != want {
		t.Errorf("first item %s, want %s", first, want)
	}
	_, body = serve(t, s, "/places?q=60614")
	zip, _ := json.Marshal(body["items"].([]any)[0])
	if want := `{"city":"Chicago","country":"US","kind":"postal_code","location":{"lat":41.9227,"lng":-87.6472},"name":"60614","region":"IL"}`; string(zip) != want {
		t.Errorf("60614 = %s, want %s", zip, want)
	}
	if _, body = serve(t, s, "/places?q="+url.QueryEscape("zürich")+"&limit=2"); len(body["items"].([]any)) != 2 {
		t.Errorf("limit=2 gave %v", body)
	}
	if status, body = serve(t, s, "/places?q=qqqqqq"); status != 200 || body["items"] == nil || len(body["items"].([]any)) != 0 {
		t.Errorf("no match = %d %v, want 200 and []", status, body)
	}

	for target, field := range map[string]string{
		"/places":           "q",
		"/places?q=":        "q",
		"/places?q=%20-%20": "q",
		"/places?q=" + strings.Repeat("x", MaxQueryLen+1): "q",
		"/places?q=a&q=b":             "q",
		"/places?q=paris&limit=0":     "limit",
		"/places?q=paris&limit=21":    "limit",
		"/places?q=paris&limit=ten":   "limit",
		"/places?q=paris&near=1,1":    "near",
		"/places/geocode?q=":          "q",
		"/places/geocode?q=a&limit=6": "limit",
	} {
		status, body := serve(t, s, target)
		errs, _ := body["errors"].([]any)
		if status != 400 || len(errs) != 1 || errs[0].(map[string]any)["field"] != field {
			t.Errorf("GET %s = %d %v, want a 400 naming %s", target, status, body, field)
		}
	}
}

// TestGeocodeWithoutGeocoder: with no geocoder configured the route still
// answers, saying so, and the client falls back to the gazetteer.
func TestGeocodeWithoutGeocoder(t *testing.T) {
	s, err := New(Config{Gazetteer: loadEmbedded(t), Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	status, body := serve(t, s, "/places/geocode?q=1+Main+St,+Chicago")
	if status != 200 || body["available"] != false || len(body["items"].([]any)) != 0 {
		t.Errorf("= %d %v, want 200, available false and no items", status, body)
	}
}
