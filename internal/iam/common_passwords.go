package iam

import (
	_ "embed"
	"strings"
	"sync"
)

// common-passwords.txt holds the 10,000 most frequent passwords, most
// frequent first, taken from the ranked list of @zxcvbn-ts/language-common
// 4.1.3 (MIT, see common-passwords.LICENSE). NIST SP 800-63B asks to refuse
// passwords found in such lists instead of imposing composition rules.
//
//go:embed common-passwords.txt
var commonPasswordsText string

var (
	commonOnce      sync.Once
	commonPasswords map[string]struct{}
)

// IsCommonPassword reports whether p, compared case-insensitively, is among
// the 10,000 most common passwords.
func IsCommonPassword(p string) bool {
	commonOnce.Do(func() {
		lines := strings.Split(commonPasswordsText, "\n")
		commonPasswords = make(map[string]struct{}, len(lines))
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				commonPasswords[strings.ToLower(l)] = struct{}{}
			}
		}
	})
	_, ok := commonPasswords[strings.ToLower(p)]
	return ok
}
