package iam

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// fuzzEndpoint sends arbitrary bodies to one endpoint: every answer must be
// a success or a problem+json 4xx, never a 5xx, a panic or a hang.
func fuzzEndpoint(f *testing.F, path string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	h := newHarness(f, storetest.OpenSQLite)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest("POST", h.server.URL+path, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s answered %d to %q", path, resp.StatusCode, body)
		}
		if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s answered %d without problem+json", path, resp.StatusCode)
		}
	})
}

func FuzzRegister(f *testing.F) {
	fuzzEndpoint(f, "/iam/register",
		`{"email":"a@example.com","password":"a fine passphrase","name":"A","role":"customer"}`,
		`{"email":"a@example.com","password":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000","name":"\ud800","role":"realtor"}`,
		`{"email":["x"]}`, `[]`, `null`, `{"role":"admin"}`)
}

func FuzzLogin(f *testing.F) {
	fuzzEndpoint(f, "/iam/login",
		`{"email":"a@example.com","password":"a fine passphrase"}`,
		`{"email":"","password":""}`, `{"email":1e999}`, `{}`)
}
