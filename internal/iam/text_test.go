package iam

import (
	"github.com/openhouse/openhouse/internal/platform/fault"

	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// badNames break the platform's text policy (internal/platform/usertext);
// the probe stored the first six.
var badNames = map[string]string{
	"NUL":                       "Eve\x00",
	"ESC (a terminal escape)":   "Eve\x1b[2J",
	"CR LF (a forged log line)": "Eve\r\nadmin logged in",
	"BEL":                       "Eve\a",
	"DEL":                       "Eve\x7f",
	"C1 (CSI)":                  "Eve\u009b31m",
	"right-to-left override":    "Eve\u202Enimda",
	"left-to-right isolate":     "\u2066Eve\u2069",
	"zero-width spaces only":    "\u200b\u200b\u200b",
	"Hangul fillers only":       "\u3164\u3164",
}

func TestNamesFollowTheTextPolicy(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	before := len(h.outboxTypes())
	for what, name := range badNames {
		resp := h.do("POST", "/iam/register", "", map[string]string{
			"email": "eve@example.com", "password": "a passphrase for Eve", "name": name, "role": "customer"})
		if resp.status != 422 || !strings.Contains(string(resp.body), `"field":"name"`) {
			t.Errorf("register with a name with %s: %d %s, want a 422 naming name", what, resp.status, resp.body)
		}
	}
	if got := len(h.outboxTypes()); got != before {
		t.Fatalf("refused registrations wrote %d events", got-before)
	}

	// Names are stored NFC: "José" typed with a combining accent is the
	// same name as with the precomposed letter.
	resp := h.do("POST", "/iam/register", "", map[string]string{
		"email": "jose@example.com", "password": "a passphrase for José", "name": " Jose\u0301 ", "role": "customer"})
	if resp.status != 201 || resp.json(t)["name"] != "Jos\u00e9" {
		t.Fatalf("register José = %d %s, want the name stored NFC and trimmed", resp.status, resp.body)
	}
	jose := h.login("jose@example.com", "a passphrase for José")

	for what, name := range badNames {
		resp := h.do("PATCH", "/iam/me", jose, map[string]string{"name": name})
		if resp.status != 422 || !strings.Contains(string(resp.body), `"field":"name"`) {
			t.Errorf("renaming to a name with %s: %d %s, want a 422 naming name", what, resp.status, resp.body)
		}
	}
	if got := h.do("GET", "/iam/me", jose, nil).json(t)["name"]; got != "Jos\u00e9" {
		t.Fatalf("after refused renames the name is %q", got)
	}
	resp = h.do("PATCH", "/iam/me", jose, map[string]string{"name": "Rene\u0301e"})
	if resp.status != 200 || resp.json(t)["name"] != "Ren\u00e9e" {
		t.Fatalf("rename = %d %s, want the name stored NFC", resp.status, resp.body)
	}
	// Right-to-left names need no control characters.
	resp = h.do("PATCH", "/iam/me", jose, map[string]string{"name": "יוסף כהן"})
	if resp.status != 200 {
		t.Fatalf("a Hebrew name = %d %s", resp.status, resp.body)
	}
	if got := len(h.outboxTypes()); got != before+3 {
		t.Fatalf("outbox grew by %d events, want 3 (one registration, two renames)", got-before)
	}
}

func TestRegistrationValidateNamesTheField(t *testing.T) {
	for what, name := range badNames {
		err := registration{Email: "eve@example.com", Password: "a passphrase for Eve", Name: name, Role: roleCustomer}.Validate()
		v, ok := err.(fault.ValidationError)
		if !ok || len(v) != 1 || v[0].Field != "name" {
			t.Errorf("%s: Validate() = %v, want one error naming name", what, err)
		}
	}
}
