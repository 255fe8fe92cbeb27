package auth

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Route is one row of a service's authorization table: an endpoint, who may
// call it and whose data it touches. Services return their table from
// Routes(); the app mounts every row with Mount, which puts the rule in
// front of the handler, and the generated access-matrix test
// (internal/app/authz_test.go) reads the same rows to decide what each
// caller must get. A route therefore cannot exist without a rule, and a new
// route without a row in the matrix test's fixtures fails the tests.
type Route struct {
	// Pattern is the net/http ServeMux pattern, "GET /tours/{id}".
	Pattern string
	// Rule says which callers get past authentication at all; the others
	// get 401 (anonymous) or 403. The zero Rule admits nobody: Mount
	// refuses it, so forgetting a rule is a start-up error, not an open door.
	Rule Rule
	// Owner says how the handler scopes data to the caller, the
	// object-level check the Rule cannot make (OWASP API1).
	Owner Ownership
	// Handler serves the requests the rule lets through.
	Handler http.Handler
	// Body is a zero value of the JSON body the handler decodes (nil when
	// it reads none). The generated bad-input test makes its wrong types,
	// huge strings and out-of-range numbers from this type's fields.
	Body any
	// Doc says what the table does not: a summary, the answers and their
	// types, query parameters. The OpenAPI document is built from the rows
	// and their Doc (internal/platform/apidoc), and a test fails for a row
	// without a summary.
	Doc httpapi.Doc
}

// Ownership is what the handler of a route checks beyond the caller's role.
type Ownership int

const (
	// Unowned routes serve data that is nobody's in particular (the public
	// catalogue, the keys, an admin's view of everything, a service's
	// call): every caller the rule admits gets the same answer.
	Unowned Ownership = iota + 1
	// OwnedByCaller routes act on the caller's own data and name no one
	// else's: /iam/me, /cart, GET /tours (a customer sees their tours).
	// There is no way to ask for another user's data through them.
	OwnedByCaller
	// OwnedByPath routes name a resource in the path that belongs to
	// users (its owner, or the parties to it: a tour's customer and
	// realtor). Anyone else the rule admits gets 404, as if it did not
	// exist, so ids cannot be probed; admins see every resource where the
	// rule admits them.
	OwnedByPath
	// OwnerOnly routes name a resource in the path that only its owner may
	// see or touch: everyone else, admins included, gets 404. A user's
	// inbox is theirs alone; an admin has no business marking it read.
	OwnerOnly
)

func (o Ownership) String() string {
	switch o {
	case Unowned:
		return "unowned"
	case OwnedByCaller:
		return "owned by caller"
	case OwnedByPath:
		return "owned by path"
	case OwnerOnly:
		return "owner only"
	}
	return fmt.Sprintf("Ownership(%d)", int(o))
}

// Public admits every caller, anonymous included: registration, login, the
// token endpoint, the public keys, health. A public route's handler does its
// own checks where it has any (passwords, client secrets, signatures).
func Public() Rule { return Rule{Anyone: true} }

// Empty reports whether the rule admits nobody: no role, no service and
// not public. Such a rule is always a mistake.
func (r Rule) Empty() bool { return !r.Anyone && len(r.Roles) == 0 && len(r.Services) == 0 }

// Check reports why a table row cannot be mounted, or nil.
func (rt Route) Check() error {
	method, path, ok := strings.Cut(rt.Pattern, " ")
	switch {
	case !ok || method == "" || !strings.HasPrefix(path, "/"):
		return fmt.Errorf("route %q: the pattern needs a method and a path", rt.Pattern)
	case rt.Rule.Empty():
		return fmt.Errorf("route %q has no access rule", rt.Pattern)
	case rt.Owner < Unowned || rt.Owner > OwnerOnly:
		return fmt.Errorf("route %q does not say whose data it serves (Owner)", rt.Pattern)
	case rt.Handler == nil:
		return fmt.Errorf("route %q has no handler", rt.Pattern)
	}
	return nil
}

// Mount registers every row on mux behind its rule. It checks all rows
// first and returns the first bad one without registering anything.
func Mount(mux *http.ServeMux, table []Route) error {
	for _, rt := range table {
		if err := rt.Check(); err != nil {
			return err
		}
	}
	for _, rt := range table {
		mux.Handle(rt.Pattern, Require(rt.Rule, rt.Handler))
	}
	return nil
}
