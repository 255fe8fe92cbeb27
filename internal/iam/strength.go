package iam

import (
	"strings"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// MinPasswordScore is the zxcvbn score a new password must reach: 2 of 4,
// an estimated 10^6 guesses or more. That refuses what NIST SP 800-63B
// (5.1.1.2) lists: passwords from breach corpuses and dictionaries,
// repetitive or sequential characters (aaaaaaaa, abcdefgh, 87654321,
// 12341234), keyboard walks, and words from the context: the site's name
// and the user's own email and name. It still takes any 8 characters
// without a pattern (an estimated 10^8 guesses), as NIST asks; a higher
// score would refuse those.
const minPasswordScore = 2

// siteWords are the context-specific words of every account.
var siteWords = []string{"openhouse", "open house"}

// passwordContext is what zxcvbn matches as user inputs: the site's name,
// the email whole and in its parts, the name whole and in its words.
func passwordContext(email, name string) []string {
	out := append([]string(nil), siteWords...)
	email = normalizeEmail(email)
	out = append(out, email)
	local, domain, _ := strings.Cut(email, "@")
	out = append(out, local, domain)
	out = append(out, strings.FieldsFunc(local+"."+domain, func(r rune) bool { return strings.ContainsRune(".-_+", r) })...)
	name = strings.TrimSpace(name)
	out = append(out, name)
	out = append(out, strings.Fields(name)...)
	return out
}

// checkPasswordStrength says why password is too easy to guess for the
// account of email and name, in words for the user, or "".
func checkPasswordStrength(password, email, name string) string {
	context := passwordContext(email, name)
	r := zxcvbn.PasswordStrength(password, context)
	if r.Score >= minPasswordScore {
		return ""
	}
	return "is too easy to guess: " + weakness(password, context, r.Sequence) +
		"; a few unrelated words, or a longer phrase, make a strong password"
}

// weakness names the pattern that made a password weak, from the matches
// zxcvbn found in it, the most telling first. zxcvbn decides whether a
// password is weak; this only words it. Where a word of the context and a
// dictionary word tie ("ann" is also a common name), zxcvbn may pick
// either, so the context is looked for in the password too.
func weakness(password string, context []string, seq []*match.Match) string {
	lower := strings.ToLower(password)
	fromContext := false
	for _, w := range context {
		if len(w) >= 3 && strings.Contains(lower, strings.ToLower(w)) {
			fromContext = true
		}
	}
	has := func(ok func(m *match.Match) bool) bool {
		for _, m := range seq {
			if ok(m) {
				return true
			}
		}
		return false
	}
	switch {
	case fromContext || has(func(m *match.Match) bool { return m.Pattern == "dictionary" && m.DictionaryName == "user_inputs" }):
		return "it is built on your email address, your name or the site's name"
	case has(func(m *match.Match) bool { return m.Pattern == "repeat" }):
		return "it repeats a character or a pattern"
	case has(func(m *match.Match) bool { return m.Pattern == "sequence" }):
		return "it is a sequence of letters or digits"
	case has(func(m *match.Match) bool { return m.Pattern == "spatial" }):
		return "it is a row or pattern of keys on the keyboard"
	case has(func(m *match.Match) bool { return m.Pattern == "dictionary" && m.DictionaryName == "passwords" }):
		return "it is one of the most common passwords"
	case has(func(m *match.Match) bool { return m.Pattern == "date" || m.Pattern == "regex" }):
		return "it is mostly a date or a year"
	case has(func(m *match.Match) bool { return m.Pattern == "dictionary" }):
		return "it is a common word or name"
	}
	return "it is short and simple"
}
