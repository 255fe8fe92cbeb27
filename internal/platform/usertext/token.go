package usertext

// IsToken reports whether s is 1 to maxLen bytes of printable ASCII
// without spaces: the form of what machines make and users only copy (ids,
// payment method tokens, URLs), where no character of another kind has a
// reason to be and every one could hide something.
func IsToken(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
