package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// series returns "label=value,..." -> count for every series of the named
// counter, or -> sample count for a histogram.
func series(t *testing.T, reg prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			v := m.GetCounter().GetValue()
			if h := m.GetHistogram(); h != nil {
				v = float64(h.GetSampleCount())
			}
			out[strings.Join(labels, ",")] = v
		}
	}
	return out
}

// copyRequest stands for any middleware that replaces the request (auth
// adding a user to the context, say); the route must survive it.
func copyRequest(next http.Handler) http.Handler {
	type key struct{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, "user")))
	})
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	logger, _ := newLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tours/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			httpapi.WriteError(w, r, httpapi.NotFound("no such tour"))
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /tours", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	h := httpapi.Chain(mux, httpapi.RequestID, httpapi.Logging(logger), httpapi.Metrics(reg, "tours"),
		copyRequest, httpapi.Recover)

	for _, req := range []struct{ method, path string }{
		{"GET", "/tours/t1"},
		{"GET", "/tours/t2"},
		{"GET", "/tours/missing"},
		{"POST", "/tours"},
		{"GET", "/no/such/path/1"},
		{"GET", "/no/such/path/2"},
		{"DELETE", "/tours/t1"}, // 405 from the mux
		{"BREW", "/tours/t1"},   // a made-up method
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}

	wantCounts := map[string]float64{
		"code=200,method=GET,route=GET /tours/{id},service=tours": 2,
		"code=404,method=GET,route=GET /tours/{id},service=tours": 1,
		"code=500,method=POST,route=POST /tours,service=tours":    1,
		"code=404,method=GET,route=unmatched,service=tours":       2,
		"code=405,method=DELETE,route=unmatched,service=tours":    1,
		"code=405,method=OTHER,route=unmatched,service=tours":     1,
	}
	got := series(t, reg, "openhouse_http_requests_total")
	if len(got) != len(wantCounts) {
		t.Errorf("requests_total series = %v, want %v", got, wantCounts)
	}
	for k, v := range wantCounts {
		if got[k] != v {
			t.Errorf("requests_total{%s} = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	durations := series(t, reg, "openhouse_http_request_duration_seconds")
	if n := durations["method=GET,route=GET /tours/{id},service=tours"]; n != 3 {
		t.Errorf("duration samples for GET /tours/{id} = %v, want 3 (all: %v)", n, durations)
	}
}

// TestMetricsPerRoute covers middleware applied to one route inside the mux,
// where r.Pattern is already set.
func TestMetricsPerRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	mux := http.NewServeMux()
	mux.Handle("GET /listings/{id}", httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		httpapi.Metrics(reg, "listings")))
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/listings/l1", nil))
	got := series(t, reg, "openhouse_http_requests_total")
	if got["code=200,method=GET,route=GET /listings/{id},service=listings"] != 1 {
		t.Fatalf("series = %v", got)
	}
}

func TestMetricsTwiceOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	a := httpapi.Chain(ok, httpapi.Metrics(reg, "iam"))
	b := httpapi.Chain(ok, httpapi.Metrics(reg, "cart")) // must not panic
	a.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	b.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	got := series(t, reg, "openhouse_http_requests_total")
	for _, svc := range []string{"iam", "cart"} {
		if got["code=200,method=GET,route=unmatched,service="+svc] != 1 {
			t.Errorf("no series for %s: %v", svc, got)
		}
	}
}

func TestMetricsClashPanics(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "openhouse_http_requests_total", Help: "x"}))
	defer func() {
		if recover() == nil {
			t.Fatal("a clashing collector did not panic")
		}
	}()
	httpapi.Metrics(reg, "iam")
}

// TestPanicCountedWhateverTheOrder: with Recover outside Logging and Metrics,
// they see the panic pass through before Recover writes the 500; they must
// still report a 500, not the 200 of an empty recorder.
func TestPanicCountedWhateverTheOrder(t *testing.T) {
	reg := prometheus.NewRegistry()
	logger, logs := newLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /carts", func(http.ResponseWriter, *http.Request) { panic("boom") })
	h := httpapi.Chain(mux, httpapi.RequestID, httpapi.Recover, httpapi.Logging(logger), httpapi.Metrics(reg, "cart"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/carts", nil))

	readProblem(t, rec, http.StatusInternalServerError)
	if got := series(t, reg, "openhouse_http_requests_total"); got["code=500,method=POST,route=POST /carts,service=cart"] != 1 {
		t.Errorf("series = %v, want one 500 for POST /carts", got)
	}
	var logged bool
	for _, m := range logs.records(t) {
		if m["msg"] == "http request" {
			logged = m["status"] == float64(500) && m["route"] == "POST /carts"
		}
	}
	if !logged {
		t.Errorf("access log lacks a 500 for POST /carts:\n%s", logs)
	}
}
