package places

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// letters folds the Latin letters that carry no combining mark to take
// off (they are letters of their own, not decomposable), the way a person
// types them on an English keyboard.
var letters = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d",
	'þ': "th", 'ı': "i", 'ħ': "h", 'ŋ': "n", 'ŧ': "t", 'ĸ': "k", 'ſ': "s",
}

// Fold is the form names are matched in: lower case, accents taken off
// (São Paulo, Zürich and Łódź match "sao paulo", "zurich" and "lodz"),
// every run of characters other than letters and digits one space (so
// "Winston-Salem" and "St. Louis" match "winston salem" and "st louis"),
// no space at either end. The gazetteer folds its names with it when it
// loads, and every query the same way, so both sides agree.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	put := func(r rune) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			return
		}
		space = true
	}
	var dec []byte
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			put(r)
			continue
		case unicode.Is(unicode.Mn, r):
			continue // a combining mark typed on its own
		}
		r = unicode.ToLower(r)
		if l, ok := letters[r]; ok {
			for _, x := range l {
				put(x)
			}
			continue
		}
		// The canonical decomposition of é is e + U+0301: keep the base
		// letter, drop the marks.
		dec = norm.NFD.AppendString(dec[:0], string(r))
		for i := 0; i < len(dec); {
			x, n := utf8.DecodeRune(dec[i:])
			i += n
			if !unicode.Is(unicode.Mn, x) {
				put(x)
			}
		}
	}
	return b.String()
}
