package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

func TestParsePage(t *testing.T) {
	tests := []struct {
		query  string
		limit  int
		cursor string
		bad    string // the field a 400 must name
	}{
		{"", 20, "", ""},
		{"limit=", 20, "", ""},
		{"limit=1", 1, "", ""},
		{"limit=100&cursor=abc", 100, "abc", ""},
		{"limit=0", 0, "", "limit"},
		{"limit=101", 0, "", "limit"},
		{"limit=-5", 0, "", "limit"},
		{"limit=ten", 0, "", "limit"},
		{"limit=1.5", 0, "", "limit"},
		{"limit=99999999999999999999", 0, "", "limit"},
		{"cursor=" + strings.Repeat("a", 1025), 0, "", "cursor"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/listings?"+tc.query, nil)
			page, err := httpapi.ParsePage(r)
			if tc.bad == "" {
				if err != nil || page.Limit != tc.limit || page.Cursor != tc.cursor {
					t.Fatalf("ParsePage = %+v, %v; want limit %d cursor %q", page, err, tc.limit, tc.cursor)
				}
				return
			}
			rec := httptest.NewRecorder()
			httpapi.WriteError(rec, r, err)
			p := readProblem(t, rec, http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.bad || !strings.Contains(p.Detail, tc.bad) {
				t.Errorf("problem %+v does not name %s", p, tc.bad)
			}
		})
	}
}

type listingKey struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}

func TestCursorRoundTrip(t *testing.T) {
	in := listingKey{CreatedAt: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC), ID: "l_42/+?&"}
	s := httpapi.EncodeCursor(in)
	if strings.ContainsAny(s, "+/=?&") {
		t.Fatalf("cursor %q is not URL-safe", s)
	}
	var out listingKey
	if err := httpapi.DecodeCursor(s, &out); err != nil {
		t.Fatal(err)
	}
	if !out.CreatedAt.Equal(in.CreatedAt) || out.ID != in.ID {
		t.Fatalf("round trip = %+v, want %+v", out, in)
	}

	first := listingKey{ID: "untouched"}
	if err := httpapi.DecodeCursor("", &first); err != nil || first.ID != "untouched" {
		t.Fatalf("empty cursor: %+v %v", first, err)
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, s := range map[string]string{
		"not base64":     "%%%",
		"padded base64":  base64.URLEncoding.EncodeToString([]byte(`{"i":"xy"}`)), // ends in ==,
		"not JSON":       b64("hello"),
		"wrong type":     b64(`{"i":5}`),
		"unknown field":  b64(`{"admin":true}`),
		"trailing value": b64(`{"i":"x"} {}`),
		"too long":       strings.Repeat("a", 2000),
	} {
		t.Run(name, func(t *testing.T) {
			var k listingKey
			err := httpapi.DecodeCursor(s, &k)
			rec := httptest.NewRecorder()
			httpapi.WriteError(rec, httptest.NewRequest(http.MethodGet, "/listings", nil), err)
			p := readProblem(t, rec, http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != "cursor" {
				t.Errorf("problem %+v does not name cursor", p)
			}
		})
	}
}

func TestListMarshal(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"NewList nil", httpapi.NewList[string](nil, ""), `{"items":[]}`},
		{"zero List", httpapi.List[int]{}, `{"items":[]}`},
		{"pointer to zero List", &httpapi.List[int]{}, `{"items":[]}`},
		{"with cursor", httpapi.NewList([]int{1, 2}, "abc"), `{"items":[1,2],"next_cursor":"abc"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil || string(b) != tc.want {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tc.want)
			}
		})
	}
}

func TestPaginate(t *testing.T) {
	items := []int{1, 2, 3}
	page, next := httpapi.Paginate(items, 2, func(last int) any { return last })
	if len(page) != 2 || next == "" {
		t.Fatalf("Paginate(3 items, 2) = %v, %q", page, next)
	}
	var at int
	if err := httpapi.DecodeCursor(next, &at); err != nil || at != 2 {
		t.Fatalf("cursor = %d, %v; want 2", at, err)
	}
	if page, next := httpapi.Paginate(items, 3, func(last int) any { return last }); len(page) != 3 || next != "" {
		t.Fatalf("Paginate on the last page = %v, %q", page, next)
	}
}

func TestParsePageAfter(t *testing.T) {
	next := httpapi.EncodeCursor(listingKey{ID: "l-9"})
	tests := []struct {
		query  string
		limit  int
		id     string // after.ID
		status int    // of the error's problem; 0: none
	}{
		{"", httpapi.DefaultLimit, "first", 0},
		{"?limit=5&cursor=" + next, 5, "l-9", 0},
		{"?limit=0&cursor=" + next, 0, "first", 400},
		{"?cursor=bm90LWpzb24", 0, "first", 400},
	}
	for _, tc := range tests {
		after := listingKey{ID: "first"}
		page, err := httpapi.ParsePageAfter(httptest.NewRequest(http.MethodGet, "/listings"+tc.query, nil), &after)
		var p *httpapi.Problem
		if tc.status == 0 && err != nil || tc.status != 0 && (!errors.As(err, &p) || p.Status != tc.status) {
			t.Errorf("%q: error %v, want status %d", tc.query, err, tc.status)
		}
		if page.Limit != tc.limit || after.ID != tc.id {
			t.Errorf("%q: limit %d after %q, want %d and %q", tc.query, page.Limit, after.ID, tc.limit, tc.id)
		}
	}
}
