// Package usertext is the one policy for text that a user writes and other
// people read: names, titles, descriptions, addresses, reasons, messages,
// comments. Every service passes such a field through Normalize and then
// Check before storing it, so that what one service accepts is what every
// other accepts.
//
// The policy:
//
//   - Text is stored NFC-normalised (Unicode Normalization Form C), so that
//     "é" typed as one code point and as "e" plus a combining accent is the
//     same name, compares equal and counts the same length.
//   - No control characters: C0 (NUL, BEL, ESC and the rest), DEL and C1.
//     Line breaks (LF, CR) and tabs only in Multiline text, where Normalize
//     turns CR LF and a lone CR into LF; U+2028 and U+2029 nowhere.
//   - No bidirectional formatting characters (the Unicode Bidi_Control
//     property: embeddings and overrides U+202A-U+202E, isolates
//     U+2066-U+2069, and the marks U+200E, U+200F, U+061C): they reorder
//     what is displayed after them, so "Alice\u202Egnp.exe" reads as
//     "Aliceexe.png" (the Trojan Source trick).
//   - Not blank: text that is not empty must hold at least one visible
//     character once spaces, format characters (zero-width space, joiners,
//     BOM, tag characters), default-ignorable code points (Hangul fillers,
//     variation selectors) and lone combining marks are set aside.
//
// Lengths stay each service's rule: they count runes of the normalised text.
package usertext

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Kind says whether text may span lines.
type Kind int

const (
	// Line is one line: names, titles, address lines, reasons.
	Line Kind = iota
	// Multiline may hold line feeds and tabs: descriptions, messages,
	// comments.
	Multiline
)

// Normalize returns s in the form it is stored in: NFC, line breaks of
// Multiline text as LF, and spaces trimmed from both ends. It never
// refuses anything; Check does that, on what Normalize returned.
func Normalize(s string, kind Kind) string {
	s = norm.NFC.String(s)
	if kind == Multiline && strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.TrimSpace(s)
}

// Check says what is wrong with normalised text s, as a message fit for a
// 422's field error ("must not contain control characters (U+001B at
// character 4)"), or "" when s may be stored. Empty s passes: whether a
// field is required is the caller's rule.
func Check(s string, kind Kind) string {
	visible := false
	for i, r := range []rune(s) {
		switch {
		case kind == Multiline && (r == '\n' || r == '\r' || r == '\t'):
		case kind == Line && (r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'):
			return fmt.Sprintf("must be one line (line break %U at character %d)", r, i+1)
		case r == '\u2028' || r == '\u2029':
			// Many renderers ignore these two; a line feed is the line break.
			return fmt.Sprintf("must break lines with a line feed, not %U (character %d)", r, i+1)
		case unicode.IsControl(r):
			return fmt.Sprintf("must not contain control characters (%U at character %d)", r, i+1)
		case unicode.Is(unicode.Bidi_Control, r):
			return fmt.Sprintf("must not contain bidirectional formatting characters (%U at character %d)", r, i+1)
		case !visible && !invisible(r):
			visible = true
		}
	}
	if s != "" && !visible {
		return "must contain visible characters, not only spaces or invisible ones"
	}
	return ""
}

// invisible reports whether r shows nothing by itself: white space, format
// characters (category Cf), default-ignorable code points, combining marks
// (which only change the character before them) and the blank braille
// pattern.
func invisible(r rune) bool {
	return unicode.IsSpace(r) ||
		unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) ||
		r == '\u2800'
}

// Clean is Normalize then Check: the text to store, and "" or what is wrong
// with it.
func Clean(s string, kind Kind) (string, string) {
	s = Normalize(s, kind)
	return s, Check(s, kind)
}
