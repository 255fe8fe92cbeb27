package audit

import "strings"

// secretWords are parts of field names that hold secrets: passwords and
// their hashes, tokens, keys, client secrets, card numbers. An audit log is
// read by every admin and kept for long, so a field named like this is a
// mistake in the caller, caught when the entry is built rather than after
// it has been stored.
var secretWords = []string{"password", "secret", "token", "private", "card_number", "cvc", "api_key", "signature"}

// secretKey returns the first key in v (a decoded JSON value, searched at
// every depth) that names a secret, or "".
func secretKey(v any) string {
	switch v := v.(type) {
	case map[string]any:
		for k, inner := range v {
			lower := strings.ToLower(k)
			for _, w := range secretWords {
				if strings.Contains(lower, w) {
					return k
				}
			}
			if found := secretKey(inner); found != "" {
				return found
			}
		}
	case []any:
		for _, inner := range v {
			if found := secretKey(inner); found != "" {
				return found
			}
		}
	}
	return ""
}
