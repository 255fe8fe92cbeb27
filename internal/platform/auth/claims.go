package auth

import "github.com/golang-jwt/jwt/v5"

// tokenClaims is the payload of an access token. Issuer writes it and
// Verifier reads it; the JSON names are the token format, which other
// services verify, so they are API.
type tokenClaims struct {
	jwt.RegisteredClaims        // iss, aud, sub, iat, nbf, exp, jti
	Role                 Role   `json:"role"`
	Service              string `json:"svc,omitempty"` // only in service tokens
	Session              string `json:"sid,omitempty"` // the sign-in session; only in user tokens
	// Delegated tokens (RFC 8693): the one scope they allow, and the actor.
	Scope string     `json:"scope,omitempty"`
	Act   *actClaims `json:"act,omitempty"`
}

// actClaims is RFC 8693's act claim: who acts for the subject.
type actClaims struct {
	Sub string `json:"sub"`
}

// checkPrincipal enforces the one shape rule shared by issuing and
// verifying: a known role, a subject, a service name exactly when the role
// is RoleService, and a session only for users.
func checkPrincipal(p Principal) string {
	switch {
	case p.ID == "":
		return "missing subject"
	case !p.Role.Valid():
		return "unknown role"
	case p.Role == RoleService && p.Service == "":
		return "service token without svc"
	case p.Role != RoleService && p.Service != "":
		return "user token with svc"
	case p.Role == RoleService && p.Session != "":
		return "service token with sid"
	case (p.Scope == "") != (p.Actor == ""):
		return "scope and actor go together"
	case p.Scope != "" && !ScopeFor(p.Scope, p.Role):
		return "scope not allowed for the role"
	}
	return ""
}
