package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DefaultReadyTimeout bounds a /readyz answer: a load balancer waiting longer
// than this would rather have "not ready".
const DefaultReadyTimeout = 2 * time.Second

// Check reports whether one dependency (a database, the bus) is reachable.
// It must honour ctx's deadline. Its error text is shown on /readyz, which
// is meant for operators and probes, so it must hold no secrets (no DSNs
// with passwords).
type Check func(ctx context.Context) error

// Health serves the process's liveness and readiness. The zero value is
// ready to use; Add and the handlers may be called concurrently. Set Timeout
// before serving.
type Health struct {
	// Timeout bounds all checks of one /readyz request together; zero
	// means DefaultReadyTimeout.
	Timeout time.Duration

	mu     sync.Mutex
	checks map[string]Check
}

// Add registers a readiness check under name; adding a name again replaces
// its check.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checks == nil {
		h.checks = make(map[string]Check)
	}
	h.checks[name] = c
}

// Readiness is the body of /readyz (and Health the one of /healthz).
type Readiness struct {
	Status string            `json:"status" enum:"ready,not ready"`
	Checks map[string]string `json:"checks" doc:"Each dependency: ok, or why it failed." example:"{\"db_iam\":\"ok\",\"nats\":\"ok\"}"`
}

// Liveness is the body of /healthz.
type Liveness struct {
	Status string `json:"status" enum:"ok"`
}

// Healthz answers 200 {"status":"ok"} while the process can serve HTTP at
// all. It checks no dependency: a restart would not fix one.
func (h *Health) Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, Liveness{Status: "ok"})
}

// Readyz runs every check concurrently under Timeout and answers 200
// {"status":"ready","checks":{name:"ok"}} if all pass, otherwise 503
// {"status":"not ready","checks":{name:"ok" or the error text}}. A check
// still running at the deadline is reported as timed out and left to finish
// on its own.
func (h *Health) Readyz(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	checks := make(map[string]Check, len(h.checks))
	for name, c := range h.checks {
		checks[name] = c
	}
	timeout := h.Timeout
	h.mu.Unlock()
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}

	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()

	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks)) // buffered: late checks never block
	for name, c := range checks {
		go func() {
			results <- result{name, runCheck(ctx, c)}
		}()
	}

	body := Readiness{Status: "ready", Checks: make(map[string]string, len(checks))}
	record := func(res result) {
		body.Checks[res.name] = "ok"
		if res.err != nil {
			body.Checks[res.name] = res.err.Error()
		}
	}
wait:
	for range checks {
		select {
		case res := <-results:
			record(res)
		case <-ctx.Done():
			break wait
		}
	}
	for drained := false; !drained; { // answers that raced the deadline
		select {
		case res := <-results:
			record(res)
		default:
			drained = true
		}
	}
	for name := range checks {
		if _, done := body.Checks[name]; !done {
			body.Checks[name] = fmt.Sprintf("timed out after %s", timeout)
		}
	}
	status := http.StatusOK
	for _, v := range body.Checks {
		if v != "ok" {
			body.Status, status = "not ready", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, status, body)
}

// runCheck runs c, turning a panic into an error so one bad check cannot
// take the process down.
func runCheck(ctx context.Context, c Check) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("check panicked: %v", v)
		}
	}()
	if c == nil {
		return fmt.Errorf("no check function")
	}
	return c(ctx)
}
