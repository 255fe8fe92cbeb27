package usertext_test

import (
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/usertext"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name, in string
		kind     usertext.Kind
		want     string
	}{
		{"composes accents (NFC)", "Jose\u0301 Rene\u0301e", usertext.Line, "José Renée"},
		{"composes Hangul", "\u1112\u1161\u11AB", usertext.Line, "\uD55C"},
		{"keeps compatibility forms (NFC, not NFKC)", "ﬁ №", usertext.Line, "ﬁ №"},
		{"trims spaces", "  Seattle \t", usertext.Line, "Seattle"},
		{"CR LF and CR become LF in multiline text", "one\r\ntwo\rthree", usertext.Multiline, "one\ntwo\nthree"},
		{"leaves CR in one-line text for Check to refuse", "one\rtwo", usertext.Line, "one\rtwo"},
	}
	for _, c := range cases {
		if got := usertext.Normalize(c.in, c.kind); got != c.want {
			t.Errorf("%s: Normalize(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	ok := []struct {
		name, in string
		kind     usertext.Kind
	}{
		{"empty (required is the caller's rule)", "", usertext.Line},
		{"plain", "Alice Smith", usertext.Line},
		{"Arabic, right to left without controls", "منزل جميل", usertext.Line},
		{"Hebrew with digits", "דירה 3 חדרים", usertext.Line},
		{"Devanagari with vowel signs (marks after a base)", "नमस्ते", usertext.Line},
		{"emoji joined by ZWJ", "family 👨\u200d👩\u200d👧", usertext.Line},
		{"Persian with a zero-width non-joiner", "می\u200cخواهم", usertext.Line},
		{"soft hyphen inside a word", "Donau\u00addampf", usertext.Line},
		{"lines and tabs in multiline text", "Bright.\n\n\tGarden.", usertext.Multiline},
		{"injection strings are just text", "'; DROP TABLE users; --", usertext.Line},
	}
	for _, c := range ok {
		if msg := usertext.Check(c.in, c.kind); msg != "" {
			t.Errorf("%s: Check(%q) = %q, want it accepted", c.name, c.in, msg)
		}
	}
	bad := []struct {
		name, in string
		kind     usertext.Kind
		want     string // in the message
	}{
		{"NUL", "nul\x00byte", usertext.Line, "control characters (U+0000 at character 4)"},
		{"BEL", "ring\a", usertext.Multiline, "control characters (U+0007"},
		{"ESC (terminal escape)", "red\x1b[31m", usertext.Line, "control characters (U+001B"},
		{"DEL", "del\x7f", usertext.Line, "control characters (U+007F"},
		{"C1 NEL", "next\u0085line", usertext.Multiline, "control characters (U+0085"},
		{"C1 CSI", "csi\u009b31m", usertext.Line, "control characters (U+009B"},
		{"tab in one line", "a\tb", usertext.Line, "control characters (U+0009"},
		{"LF in one line", "Alice\nAdmin", usertext.Line, "one line (line break U+000A at character 6)"},
		{"CR in one line", "Alice\rBob", usertext.Line, "one line (line break U+000D"},
		{"line separator in one line", "a\u2028b", usertext.Line, "one line (line break U+2028"},
		{"paragraph separator in multiline", "a\u2029b", usertext.Multiline, "line feed, not U+2029"},
		{"right-to-left override", "Alice\u202Egnp.exe", usertext.Line, "bidirectional formatting characters (U+202E at character 6)"},
		{"left-to-right embedding", "\u202Aabc", usertext.Line, "bidirectional formatting characters (U+202A"},
		{"pop directional formatting", "abc\u202C", usertext.Multiline, "bidirectional formatting characters (U+202C"},
		{"first strong isolate", "a\u2068b\u2069", usertext.Line, "bidirectional formatting characters (U+2068"},
		{"left-to-right isolate", "\u2066x", usertext.Line, "bidirectional formatting characters (U+2066"},
		{"right-to-left mark", "a\u200Fb", usertext.Line, "bidirectional formatting characters (U+200F"},
		{"Arabic letter mark", "a\u061Cb", usertext.Line, "bidirectional formatting characters (U+061C"},
		{"zero-width spaces only", "\u200b\u200b", usertext.Line, "visible characters"},
		{"BOM and word joiner only", "\ufeff\u2060", usertext.Multiline, "visible characters"},
		{"Hangul fillers only", "\u3164\u115f", usertext.Line, "visible characters"},
		{"combining marks only", "\u0301\u0301", usertext.Line, "visible characters"},
		{"variation selector only", "\ufe0f", usertext.Line, "visible characters"},
		{"tag characters only", "\U000E0041\U000E0042", usertext.Line, "visible characters"},
		{"blank braille only", "\u2800", usertext.Line, "visible characters"},
		{"no-break and ideographic spaces only", "\u00a0\u3000", usertext.Line, "visible characters"},
		{"blank lines only", "\n\t\n", usertext.Multiline, "visible characters"},
	}
	for _, c := range bad {
		msg := usertext.Check(c.in, c.kind)
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: Check(%q) = %q, want it refused with %q", c.name, c.in, msg, c.want)
		}
	}
}

func TestCleanNormalisesBeforeChecking(t *testing.T) {
	// Spaces around invisible characters are trimmed first; what remains
	// is still blank.
	if got, msg := usertext.Clean("  \u200b  ", usertext.Line); got != "\u200b" || msg == "" {
		t.Errorf("Clean(blank) = %q, %q; want refused", got, msg)
	}
	// A Windows textarea's CR LF is a line feed in multiline text.
	if got, msg := usertext.Clean("a\r\nb", usertext.Multiline); got != "a\nb" || msg != "" {
		t.Errorf("Clean(CR LF) = %q, %q", got, msg)
	}
}

func TestIsToken(t *testing.T) {
	for _, s := range []string{"tok_visa", "pm_1QaB2c", "3f2b6c1e-8d4a-4b9e-9c1d-2a7e5f0b8c3d", "https://hooks.example.com/a?b=c"} {
		if !usertext.IsToken(s, 255) {
			t.Errorf("IsToken(%q) = false", s)
		}
	}
	for _, s := range []string{"", "tok visa", "tok\x00", "tok\x7f", "tok\u202e", "t\u00f6k", "\u200b", strings.Repeat("t", 256)} {
		if usertext.IsToken(s, 255) {
			t.Errorf("IsToken(%q) = true", s)
		}
	}
}
