package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

func TestChainOrder(t *testing.T) {
	var order []string
	mw := func(name string) httpapi.Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") })
	serve(h, httptest.NewRequest(http.MethodGet, "/", nil), mw("a"), mw("b"), mw("c"))
	if got := strings.Join(order, ","); got != "a,b,c,handler" {
		t.Fatalf("order = %s, want a,b,c,handler", got)
	}
}

func TestRequestID(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"none", "", false},
		{"simple", "abc-123", true},
		{"all allowed characters", "AZaz09._-", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"space", "abc 123", false},
		{"newline injection", "abc\nlevel=ERROR", false},
		{"slash", "a/b", false},
		{"unicode", "ïd", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.incoming != "" {
				r.Header.Set("X-Request-Id", tc.incoming)
			}
			var inCtx string
			rec := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inCtx = httpapi.RequestIDFrom(r.Context())
			}), r, httpapi.RequestID)
			got := rec.Header().Get("X-Request-Id")
			if got != inCtx {
				t.Errorf("response id %q != context id %q", got, inCtx)
			}
			if tc.keep && got != tc.incoming {
				t.Errorf("id = %q, want the incoming %q", got, tc.incoming)
			}
			if !tc.keep && !uuidRE.MatchString(got) {
				t.Errorf("id = %q, want a new UUID", got)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	logger, logs := newLogger()
	r := httptest.NewRequest(http.MethodGet, "/boom", nil)
	r.Header.Set("X-Request-Id", "req-9")
	rec := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		panic("secret panic value")
	}), r, httpapi.RequestID, httpapi.Logging(logger), httpapi.Recover)

	p := readProblem(t, rec, http.StatusInternalServerError)
	if p.Detail != "internal error; request id req-9" {
		t.Errorf("detail = %q", p.Detail)
	}
	if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("body leaks the panic: %s", rec.Body)
	}
	var panicLogged, accessLogged bool
	for _, m := range logs.records(t) {
		switch m["msg"] {
		case "panic serving request":
			panicLogged = m["panic"] == "secret panic value" &&
				strings.Contains(fmt.Sprint(m["stack"]), "middleware_test.go") && m["request_id"] == "req-9"
		case "http request":
			accessLogged = m["status"] == float64(500) && m["level"] == "ERROR"
		}
	}
	if !panicLogged || !accessLogged {
		t.Errorf("panic logged with value and stack: %v; access line with 500: %v\n%s", panicLogged, accessLogged, logs)
	}
}

func TestRecoverAfterHeadersAbortsTheResponse(t *testing.T) {
	for _, v := range []any{"late panic", http.ErrAbortHandler} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"partial":`)
				panic(v)
			}), httpapi.Recover)
			defer func() {
				if got := recover(); got != http.ErrAbortHandler {
					t.Fatalf("recovered %v, want http.ErrAbortHandler", got)
				}
			}()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			t.Fatal("ServeHTTP returned normally")
		})
	}
}

func TestLogging(t *testing.T) {
	logger, logs := newLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tours/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.LoggerFrom(r.Context()).Info("inside handler")
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	h := httpapi.Chain(mux, httpapi.RequestID, httpapi.Logging(logger))

	tests := []struct {
		path   string
		route  string
		status float64
	}{
		{"/tours/t1?access_token=SECRET", "GET /tours/{id}", 200},
		{"/nowhere?password=SECRET", "unmatched", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			r.Header.Set("X-Request-Id", "req-7")
			r.Header.Set("Authorization", "Bearer SECRET")
			before := len(logs.records(t))
			h.ServeHTTP(httptest.NewRecorder(), r)

			if strings.Contains(logs.String(), "SECRET") {
				t.Fatalf("logs contain a secret:\n%s", logs)
			}
			records := logs.records(t)[before:]
			access := records[len(records)-1]
			want := map[string]any{
				"msg": "http request", "method": "GET", "route": tc.route, "path": strings.Split(tc.path, "?")[0],
				"status": tc.status, "request_id": "req-7",
			}
			for k, v := range want {
				if access[k] != v {
					t.Errorf("access log %s = %v, want %v (record %v)", k, access[k], v, access)
				}
			}
			if _, ok := access["bytes"].(float64); !ok {
				t.Errorf("access log lacks bytes: %v", access)
			}
			if _, ok := access["duration_ms"].(float64); !ok {
				t.Errorf("access log lacks duration_ms: %v", access)
			}
			if tc.status == 200 && (len(records) != 2 || records[0]["request_id"] != "req-7") {
				t.Errorf("handler log line lacks request_id: %v", records)
			}
		})
	}
}

// TestFlushThroughMiddleware checks that a streaming handler still reaches
// the client through every middleware's response recorder.
func TestFlushThroughMiddleware(t *testing.T) {
	logger, _ := newLogger()
	release := make(chan struct{})
	h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Error("writer is not an http.Flusher")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		f.Flush()
		<-release // the client must see the first event before the handler ends
		_, _ = io.WriteString(w, "data: second\n\n")
	}), httpapi.RequestID, httpapi.Logging(logger), httpapi.Recover, httpapi.SecurityHeaders)
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release)

	// If Flush were lost, the first event would wait for the handler, which
	// waits for us: the deadline turns that into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: first\n" {
		t.Fatalf("first line = %q, %v", line, err)
	}
}

func TestLoggerFromWithoutMiddleware(t *testing.T) {
	if httpapi.LoggerFrom(context.Background()) == nil {
		t.Fatal("LoggerFrom returned nil")
	}
}
