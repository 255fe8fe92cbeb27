package auth

import "context"

// Role is what a caller may do. User roles come from the iam user record;
// RoleService is only ever carried by service identities.
type Role string

// The roles. Their string values are part of the token format and the API:
// never change one.
const (
	RoleCustomer Role = "customer"
	RoleProvider Role = "provider"
	RoleRealtor  Role = "realtor"
	RoleAdmin    Role = "admin"
	RoleService  Role = "service"
)

// UserRoles are the roles a person can hold, in no particular order.
func UserRoles() []Role {
	return []Role{RoleCustomer, RoleProvider, RoleRealtor, RoleAdmin}
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleCustomer, RoleProvider, RoleRealtor, RoleAdmin, RoleService:
		return true
	}
	return false
}

// Principal is the authenticated caller of a request.
//
// For users ID is the iam user id and Service is empty. For service identities
// Role is RoleService and Service names the calling service ("cart"); ID is
// "service:" + Service (see ServicePrincipal).
//
// Session is the sign-in session a user's token belongs to (its sid claim:
// iam's refresh-token family, one per login). Signing out ends the session
// and with it every access token carrying it (Revocations). It is empty for
// service identities, and in user tokens issued before sessions existed.
type Principal struct {
	ID      string
	Role    Role
	Service string // set only for service identities, e.g. "cart"
	Session string // the sid claim; users only
	// Scope, on a delegated user token, limits it to the routes of one
	// scope (delegation.go); Actor names the service that acts for the
	// user. Both are empty on ordinary tokens.
	Scope string
	Actor string
}

// ServicePrincipal is the principal of the service called name.
func ServicePrincipal(name string) Principal {
	return Principal{ID: "service:" + name, Role: RoleService, Service: name}
}

// IsService reports whether p is a service identity rather than a user.
func (p Principal) IsService() bool { return p.Role == RoleService }

type principalKey struct{}

// WithPrincipal returns ctx carrying p. Authenticate calls it for every
// request with a valid token; tests call it to act as a caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller carried by ctx; ok is false for an
// anonymous request.
func PrincipalFrom(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(Principal)
	return p, ok
}
