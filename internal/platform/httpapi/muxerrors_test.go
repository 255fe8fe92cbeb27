package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

func TestMuxErrorsAreProblems(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /things", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusCreated, map[string]string{"ok": "yes"})
	})
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, r, httpapi.NotFound("thing "+r.PathValue("id")+" does not exist"))
	})
	h := httpapi.MuxErrors(mux)
	cases := []struct {
		method, path string
		status       int
		ctype        string
		detail       string
	}{
		{"GET", "/nowhere", 404, httpapi.ProblemContentType, "no such resource"},
		{"DELETE", "/things", 405, httpapi.ProblemContentType, "this resource does not accept DELETE"},
		{"GET", "/things/7", 404, httpapi.ProblemContentType, "thing 7 does not exist"},
		{"POST", "/things", 201, "application/json", ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status || rec.Header().Get("Content-Type") != c.ctype {
			t.Errorf("%s %s = %d %q, want %d %q", c.method, c.path, rec.Code, rec.Header().Get("Content-Type"), c.status, c.ctype)
			continue
		}
		if c.detail != "" {
			var p httpapi.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Detail != c.detail || p.Status != c.status {
				t.Errorf("%s %s body = %s (%v)", c.method, c.path, rec.Body, err)
			}
		}
	}
}
