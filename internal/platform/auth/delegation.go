package auth

import "slices"

// GrantTokenExchange is the OAuth 2.0 token exchange grant (RFC 8693) with
// which a service asks iam for a user's token limited to one scope.
const GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// ScopeRespondToAssignment lets a token confirm or decline the user's
// appointments and nothing else: the notification service acts for a
// realtor who answered Y or N to a text from their verified phone.
const ScopeRespondToAssignment = "appointments:respond"

// scopes are the delegated scopes: the routes each one opens, and who may
// be acted for. A token with a scope is refused on every other route
// (Require checks the route's pattern), whatever its role allows.
var scopes = map[string]struct {
	routes []string
	roles  []Role
}{
	ScopeRespondToAssignment: {
		routes: []string{"POST /appointments/{id}/confirm", "POST /appointments/{id}/decline"},
		roles:  []Role{RoleRealtor},
	},
}

// KnownScope reports whether s is a delegated scope.
func KnownScope(s string) bool { _, ok := scopes[s]; return ok }

// ScopeFor reports whether a user of role may be acted for with scope.
func ScopeFor(scope string, role Role) bool {
	sc, ok := scopes[scope]
	return ok && slices.Contains(sc.roles, role)
}

// scopeAllows reports whether a token limited to scope may call the route
// with this pattern.
func scopeAllows(scope, pattern string) bool {
	sc, ok := scopes[scope]
	return ok && slices.Contains(sc.routes, pattern)
}
