package iam

import (
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestWeakPasswordsAreRefused: repetitive, sequential, common and
// context-specific passwords (NIST SP 800-63B 5.1.1.2) get a 422 naming
// password and saying what is wrong; the account is not created. The
// first six are the ones the probe registered.
func TestWeakPasswordsAreRefused(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	before := len(h.outboxTypes())
	weak := []struct{ password, why string }{
		{"aaaaaaaa", "repeats"},
		{"abcdefgh", "sequence"},
		{"87654321", "common"},
		{"12341234", "repeats"},
		{"openhouse1", "site's name"},
		{"ann.smith@example.com", "email"}, // the user's own email
		{"Ann Smith 1", "your name"},       // and name
		{"smith2026", "your name"},
		{"annsmith", "your name"},
		{"OpenHouse1!", "site's name"},
		{"qwertyuiop", ""},
		{"iloveyou", "common"},
		{"BASEBALL1", "common"},
		{"password123", "common"},
		{strings.Repeat("ab", 32), "repeats"},
	}
	for _, w := range weak {
		resp := h.do("POST", "/iam/register", "", map[string]string{
			"email": "ann.smith@example.com", "password": w.password, "name": "Ann Smith", "role": "customer"})
		body := string(resp.body)
		if resp.status != 422 || !strings.Contains(body, `"field":"password"`) || !strings.Contains(body, "too easy to guess") {
			t.Errorf("%q: %d %s, want a 422 naming password", w.password, resp.status, body)
			continue
		}
		if !strings.Contains(body, w.why) {
			t.Errorf("%q: %s, want the message to say %q", w.password, body, w.why)
		}
	}
	if got := len(h.outboxTypes()); got != before {
		t.Fatalf("refused registrations wrote %d events", got-before)
	}
	// Unrelated words, a long passphrase, or 8 characters without a pattern
	// are accepted: no composition rules.
	for i, good := range []string{"correct horse battery staple", "x7Kq9mPz", "the kettle sings at dawn", "Tr0ub4dor&3"} {
		email := "ok" + string(rune('a'+i)) + "@example.com"
		resp := h.do("POST", "/iam/register", "", map[string]string{"email": email, "password": good, "name": "Ann Smith", "role": "customer"})
		if resp.status != 201 {
			t.Errorf("%q: %d %s, want 201", good, resp.status, resp.body)
		}
	}
}

// TestWeakAdminPasswordIsRefused: the first admin's password (from the
// environment or `openhouse admin create`) follows the same rule.
func TestWeakAdminPasswordIsRefused(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite)
	for _, p := range []string{"root@example.com", "administrator", "openhouse", "11111111"} {
		if created, err := h.svc.EnsureAdmin(t.Context(), "root@example.com", p); err == nil || created {
			t.Errorf("EnsureAdmin(%q) = %v, %v; want refused", p, created, err)
		}
	}
}
