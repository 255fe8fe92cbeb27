package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

type inner struct {
	Count int `json:"count"`
}

type payload struct {
	Name  string  `json:"name"`
	Big   int64   `json:"big"`
	Small uint8   `json:"small"`
	Ratio float64 `json:"ratio"`
	Inner inner   `json:"inner"`
	Any   any     `json:"any"`
}

// validated fails validation when its name is "bad".
type validated struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func (v *validated) Validate() []httpapi.FieldError {
	var errs []httpapi.FieldError
	if v.Name == "bad" {
		errs = append(errs, httpapi.FieldError{Field: "name", Message: "must not be bad"})
	}
	if v.Age < 0 {
		errs = append(errs, httpapi.FieldError{Field: "age", Message: "must not be negative"})
	}
	return errs
}

func nested(levels int) string {
	// The outer object is one level; the rest are arrays.
	return `{"any":` + strings.Repeat("[", levels-1) + strings.Repeat("]", levels-1) + `}`
}

func TestDecode(t *testing.T) {
	exactlyMax := `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes-len(`{"name":""}`)) + `"}`
	tests := []struct {
		name        string
		contentType string
		body        string
		chunked     bool // hide the length, so only the reader limit applies
		status      int  // 0: success
		detail      string
		field       string
	}{
		{name: "ok", body: `{"name":"a","big":9007199254740993,"small":255,"inner":{"count":3}}`},
		{name: "charset", contentType: "application/json; charset=UTF-8", body: `{}`},
		{name: "surrounding whitespace", body: " \n{}\n "},
		{name: "exactly 1 MiB", body: exactlyMax},
		{name: "depth 32", body: nested(32)},
		{name: "brackets inside strings do not count", body: `{"name":"` + strings.Repeat("[", 100) + `"}`},

		{name: "no content type", contentType: "-", body: `{}`, status: 415},
		{name: "text/plain", contentType: "text/plain", body: `{}`, status: 415},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: `name=a`, status: 415},
		{name: "other charset", contentType: "application/json; charset=latin1", body: `{}`, status: 415},
		{name: "malformed content type", contentType: "application/json; ===", body: `{}`, status: 415},

		{name: "1 MiB + 1", body: exactlyMax + " ", status: 413},
		{name: "1 MiB + 1 without length", body: exactlyMax + " ", chunked: true, status: 413},

		{name: "depth 33", body: nested(33), status: 400, detail: "deeper than 32"},
		{name: "empty", body: ``, status: 400, detail: "empty"},
		{name: "whitespace only", body: "  \n", status: 400, detail: "empty"},
		{name: "syntax error", body: `{"name": x}`, status: 400, detail: "byte offset 10"},
		{name: "truncated", body: `{"name":`, status: 400, detail: "malformed"},
		{name: "wrong type", body: `{"name": 5}`, status: 400, detail: `"name"`, field: "name"},
		{name: "wrong nested type", body: `{"inner":{"count":"3"}}`, status: 400, detail: `"inner.count"`, field: "inner.count"},
		{name: "fraction into int", body: `{"big": 1.5}`, status: 400, field: "big"},
		{name: "1e40 into int64", body: `{"big": 1e40}`, status: 400, field: "big"},
		{name: "int64 overflow by one", body: `{"big": 9223372036854775808}`, status: 400, field: "big"},
		{name: "300 into uint8", body: `{"small": 300}`, status: 400, detail: "between 0 and 255", field: "small"},
		{name: "-1 into uint8", body: `{"small": -1}`, status: 400, field: "small"},
		{name: "1e400 into float64", body: `{"ratio": 1e400}`, status: 400, field: "ratio"},
		{name: "array for object", body: `[]`, status: 400, detail: "must be an object"},
		{name: "unknown field", body: `{"name":"a","admin":true}`, status: 400, detail: `"admin"`, field: "admin"},
		{name: "trailing garbage", body: `{"name":"a"} x`, status: 400, detail: "after the JSON value"},
		{name: "two values", body: `{} {}`, status: 400, detail: "after the JSON value"},
		{name: "trailing brace", body: `{}}`, status: 400, detail: "after the JSON value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := jsonRequest(http.MethodPost, "/things", tc.body)
			switch tc.contentType {
			case "":
			case "-":
				r.Header.Del("Content-Type")
			default:
				r.Header.Set("Content-Type", tc.contentType)
			}
			if tc.chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(strings.NewReader(tc.body))
			}
			var dst payload
			rec := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := httpapi.Decode(w, r, &dst); err != nil {
					var p *httpapi.Problem
					if !errors.As(err, &p) {
						t.Errorf("Decode returned %T (%v), want *Problem", err, err)
					}
					httpapi.WriteError(w, r, err)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}), r, httpapi.RequestID)

			if tc.status == 0 {
				if rec.Code != http.StatusNoContent {
					t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
				}
				return
			}
			p := readProblem(t, rec, tc.status)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
				t.Errorf("errors = %+v, want one naming %q", p.Errors, tc.field)
			}
			if p.Instance != "/things" {
				t.Errorf("instance = %q", p.Instance)
			}
		})
	}
}

func TestDecodeKeepsValues(t *testing.T) {
	var dst payload
	r := jsonRequest(http.MethodPost, "/", `{"big":9007199254740993,"small":255,"inner":{"count":3}}`)
	if err := httpapi.Decode(httptest.NewRecorder(), r, &dst); err != nil {
		t.Fatal(err)
	}
	if dst.Big != 9007199254740993 || dst.Small != 255 || dst.Inner.Count != 3 {
		t.Fatalf("decoded %+v", dst)
	}
}

func TestDecodeValidates(t *testing.T) {
	tests := []struct {
		body   string
		fields []string
	}{
		{`{"name":"good","age":3}`, nil},
		{`{"name":"bad","age":3}`, []string{"name"}},
		{`{"name":"bad","age":-1}`, []string{"name", "age"}},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := jsonRequest(http.MethodPost, "/people", tc.body)
			var v validated
			err := httpapi.Decode(rec, r, &v)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			httpapi.WriteError(rec, r, err)
			p := readProblem(t, rec, http.StatusUnprocessableEntity)
			if p.Type != httpapi.TypeValidation || p.Title != "Validation failed" {
				t.Errorf("type/title = %q/%q", p.Type, p.Title)
			}
			if len(p.Errors) != len(tc.fields) {
				t.Fatalf("errors = %+v, want fields %v", p.Errors, tc.fields)
			}
			for i, f := range tc.fields {
				if p.Errors[i].Field != f || p.Errors[i].Message == "" {
					t.Errorf("errors[%d] = %+v, want field %q", i, p.Errors[i], f)
				}
			}
		})
	}
}

func TestDecodeNonPointerIsServerError(t *testing.T) {
	r := jsonRequest(http.MethodPost, "/", `{}`)
	err := httpapi.Decode(httptest.NewRecorder(), r, payload{})
	var p *httpapi.Problem
	if err == nil || errors.As(err, &p) {
		t.Fatalf("Decode into a non-pointer = %v, want a plain (500) error", err)
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	httpapi.WriteJSON(rec, http.StatusCreated, map[string]int{"a": 1})
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if got := strings.TrimSpace(rec.Body.String()); got != `{"a":1}` {
		t.Fatalf("body %s", got)
	}

	rec = httptest.NewRecorder()
	httpapi.WriteJSON(rec, http.StatusOK, func() {}) // cannot be marshalled
	p := readProblem(t, rec, http.StatusInternalServerError)
	if p.Detail != "internal error" {
		t.Errorf("detail %q", p.Detail)
	}

	rec = httptest.NewRecorder()
	httpapi.WriteJSON(rec, http.StatusNoContent, map[string]int{"a": 1})
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Fatalf("204 got %d body %q", rec.Code, rec.Body)
	}
}

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"name":"a","big":1,"small":2,"ratio":0.5,"inner":{"count":1},"any":[1,{"x":null}]}`,
		`{"small":300}`, `{"big":1e40}`, `{"name":"\u0000\ud800"}`, `{"a":1}`, `{} x`, `{"name":`, nested(40),
		"\xff\xfe", `{"any":"\\"}`, `{"inner":{"count":-0}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst payload
		err := httpapi.Decode(httptest.NewRecorder(), r, &dst)
		if err == nil {
			return
		}
		var p *httpapi.Problem
		if !errors.As(err, &p) {
			t.Fatalf("Decode(%q) = %T %v, want nil or *Problem", body, err, err)
		}
		if p.Status < 400 || p.Status > 499 {
			t.Fatalf("Decode(%q) status %d, want 4xx", body, p.Status)
		}
	})
}
