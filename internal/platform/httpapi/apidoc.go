package httpapi

// Doc describes one route for the API document. The OpenAPI document
// (internal/platform/apidoc, served at /openapi.json, committed as
// docs/openapi.json) is built from the authorization table: each row's
// pattern, rule, ownership and body type, and this. Only what the table
// cannot say is written here; the rest is implied:
//
//   - path parameters come from the pattern;
//   - bearer security and the roles and services allowed come from the rule
//     (401 and 403 answers unless it is public);
//   - a route naming a resource in its path answers 404;
//   - a route with a body answers 400, 413, 415 and 422;
//   - a route whose Reply is a List takes limit and cursor and answers 400
//     (unless Whole, or its Params declare limit);
//   - every route may answer 500 and 503.
//
// Struct fields of the types named here are described by their tags:
// `json` (the name; without omitempty and not a pointer, the field is
// always sent), `doc` (what it means), `example`, `enum` (comma-separated
// values), `format` (date, uri, email...), and `minimum`/`maximum`.
type Doc struct {
	// Summary says in one line what the route does ("Register an
	// account"). Every route needs one.
	Summary string
	// Description says more, in Markdown: rules, side effects, what to do
	// with the answer.
	Description string
	// Params is a zero value of a struct whose fields are the query
	// parameters (`query:"near"`) and request headers
	// (`header:"Idempotency-Key"`) the route reads; a field with
	// `required:"true"` must be sent.
	Params any
	// Request is a zero value of a body that is not JSON (Route.Body is
	// then nil), sent as RequestContentType: a form's fields are tagged
	// `json` like a JSON body's.
	Request            any
	RequestContentType string
	// OptionalBody says the body may be left out.
	OptionalBody bool
	// Auth is "basic" for a route that authenticates its caller with HTTP
	// Basic (client credentials) rather than a bearer token.
	Auth string
	// Reply is a zero value of the body of the success answer; nil means
	// the answer has no body (or is not JSON: see ContentType).
	Reply any
	// Whole says a List reply is answered whole: the route takes no limit
	// and cursor (a List pages with them unless its Params declare limit).
	Whole bool
	// Status is the success status: 0 means 200, or 204 when neither Reply
	// nor ContentType is set.
	Status int
	// ContentType is the media type of the success answer when it is not
	// JSON (text/html, text/event-stream, text/plain); several are
	// separated by commas. The body is then described as a string.
	ContentType string
	// Errors are the problem answers (application/problem+json) the route
	// gives beyond the implied ones, with when each happens:
	// {409: "the email is already registered"}. A status given here also
	// replaces the implied answer's description.
	Errors map[int]string
	// Answers are further answers whose body is not the success body nor a
	// plain problem: a problem with extension members, a redirect.
	Answers []Answer
}

// Answer is one documented answer: its status, when it is given, and the
// type of its body (nil: no body, or a plain problem for a 4xx or 5xx).
// ContentType defaults to application/json, or application/problem+json
// for a 4xx or 5xx.
type Answer struct {
	Status      int
	Why         string
	Body        any
	ContentType string
	// Headers names response headers the answer carries, with what each
	// means: {"Location": "the new resource"}.
	Headers map[string]string
}

// Shaped is implemented by types whose JSON form is not their Go fields (a
// PATCH field that tells absent from null, say): APIShape returns a value
// whose type has the same JSON form, and the document describes that.
type Shaped interface {
	APIShape() any
}
