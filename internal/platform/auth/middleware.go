package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Authenticate verifies the bearer token of every request and puts its
// Principal in the request context (PrincipalFrom).
//
//   - No Authorization header, or one with another scheme (the Basic client
//     authentication of POST /iam/token): the request goes on anonymous;
//     Require decides whether that is enough.
//   - "Bearer <token>" (the scheme in any case) with a token that does not
//     verify: 401 problem, and the handler is not called.
//
// The token and the reason it failed are never logged nor sent.
func Authenticate(v *Verifier) httpapi.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			p, err := verifyTraced(r.Context(), v, token)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				httpapi.WriteError(w, r, httpapi.Unauthorized("invalid or expired token"))
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// bearerToken splits an Authorization header value. ok is false when the
// header is absent or names another scheme; a Bearer header with an empty
// token is ok with token "", which then fails verification.
func bearerToken(h string) (token string, ok bool) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// Rule says who may call a route. User roles and service identities are
// separate lists, so a service token is never accepted where a user must act
// and a user token never where a service must call. RoleService in Roles
// admits nobody; name the services in Services instead.
type Rule struct {
	Roles    []Role   // user roles allowed
	Services []string // service identities allowed, e.g. "cart"
	// Anyone admits every caller, anonymous included (see Public).
	Anyone bool
}

// Users admits the users holding one of roles, and no service.
func Users(roles ...Role) Rule { return Rule{Roles: roles} }

// Services admits the named services, and no user.
func Services(names ...string) Rule { return Rule{Services: names} }

// AnyUser admits every signed-in user, and no service.
func AnyUser() Rule { return Rule{Roles: UserRoles()} }

// Allows reports whether p may pass the rule.
func (r Rule) Allows(p Principal) bool {
	if r.Anyone {
		return true
	}
	if p.IsService() {
		return p.Service != "" && slices.Contains(r.Services, p.Service)
	}
	return p.Service == "" && p.Role.Valid() && slices.Contains(r.Roles, p.Role)
}

// Require serves h only to callers the rule allows: an anonymous request gets
// 401, an authenticated caller the rule does not allow gets 403. It must run
// inside Authenticate. Ownership ("a customer's own cart") is for h to check.
func Require(rule Rule, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rule.Anyone {
			h.ServeHTTP(w, r)
			return
		}
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			httpapi.WriteError(w, r, httpapi.Unauthorized("authentication required"))
			return
		}
		if !rule.Allows(p) {
			httpapi.WriteError(w, r, httpapi.Forbidden("you are not allowed to do this"))
			return
		}
		// A delegated token opens only its scope's routes (r.Pattern is the
		// route the mux matched).
		if p.Scope != "" && !scopeAllows(p.Scope, r.Pattern) {
			httpapi.WriteError(w, r, httpapi.Forbidden("this token is limited to "+p.Scope))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// RequireFunc is Require for a handler function.
func RequireFunc(rule Rule, h http.HandlerFunc) http.Handler {
	return Require(rule, h)
}

// verifyTraced verifies a token inside an "iam auth verify" span, a child
// of the request's span made by the same tracer provider (none when the
// request is not traced).
func verifyTraced(ctx context.Context, v *Verifier, token string) (Principal, error) {
	ctx, span := trace.SpanFromContext(ctx).TracerProvider().
		Tracer("github.com/openhouse/openhouse/internal/platform/auth").
		Start(ctx, "iam auth verify", trace.WithAttributes(attribute.String("openhouse.service", "iam")))
	defer span.End()
	p, err := v.Verify(ctx, token)
	if err != nil {
		span.SetStatus(codes.Error, "token rejected")
		return p, err
	}
	span.SetAttributes(attribute.String("enduser.role", string(p.Role)))
	return p, nil
}
