package apidoc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator checks requests and answers against an OpenAPI document with
// kin-openapi's openapi3filter, strictly: a route, a query parameter, a
// status or a content type the document does not name is an error, and so
// is a body field (objects admit no other properties). Requests are routed
// with a net/http ServeMux built from the document's paths, the matcher
// the server itself uses. It is safe for concurrent use.
type Validator struct {
	doc    *openapi3.T
	mux    *http.ServeMux
	routes map[string]*routers.Route // by ServeMux pattern
	bodies *bodies
}

var registerDecoders sync.Once

// NewValidator loads and validates the document (JSON) and prepares the
// router.
func NewValidator(document []byte) (*Validator, error) {
	registerDecoders.Do(func() {
		// Answers that are not JSON are described as strings; their bodies
		// are read as such.
		for _, ct := range []string{"text/html", "text/javascript", "text/css", "image/svg+xml", "text/calendar", "text/event-stream"} {
			if openapi3filter.RegisteredBodyDecoder(ct) == nil {
				openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
			}
		}
	})
	doc, err := openapi3.NewLoader().LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	v := &Validator{doc: doc, mux: http.NewServeMux(), routes: map[string]*routers.Route{}}
	if v.bodies, err = newBodies(document); err != nil {
		return nil, err
	}
	for path, item := range doc.Paths.Map() {
		pattern := path
		if p, ok := item.Extensions["x-pattern"].(string); ok {
			pattern = p
		}
		for method, op := range item.Operations() {
			key := method + " " + pattern
			v.mux.Handle(key, http.NotFoundHandler())
			v.routes[key] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	return v, nil
}

// Document is the loaded document.
func (v *Validator) Document() *openapi3.T { return v.doc }

// ErrNoRoute is wrapped by the error for a request no route matches.
var ErrNoRoute = errors.New("the document has no such route")

// Exchange is one request routed by Route, to be checked with Request and
// its answer with Response.
type Exchange struct {
	input *openapi3filter.RequestValidationInput
}

// Route finds the operation req names (its body is body; req.Body is not
// read). The error wraps ErrNoRoute when the document has none.
func (v *Validator) Route(req *http.Request, body []byte) (*Exchange, error) {
	route, params, err := v.find(req)
	if err != nil {
		return nil, err
	}
	clone := req.Clone(req.Context())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	return &Exchange{input: &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError: true, RejectWhenRequestBodyNotSpecified: true}}}, nil
}

// Request checks the request: its parameters (none undeclared), headers
// and body.
func (v *Validator) Request(ex *Exchange) error {
	req := ex.input.Request
	if err := v.unknownQuery(ex.input.Route.Operation, req.URL.Query()); err != nil {
		return err
	}
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	defer func() { req.Body = io.NopCloser(bytes.NewReader(body)) }()
	fail := func(err error) error {
		return fmt.Errorf("%s %s: request does not match the document: %w", req.Method, req.URL.Path, err)
	}
	// JSON bodies are checked below with compiled schemas; others (a
	// form) by openapi3filter.
	op := ex.input.Route.Operation
	var key string
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		key = mediaKey(op.RequestBody.Value.Content, req.Header.Get("Content-Type"))
	}
	ownBody := len(body) > 0 && key != "" && isJSON(key)
	ex.input.Options.ExcludeRequestBody = ownBody
	if err := openapi3filter.ValidateRequest(req.Context(), ex.input); err != nil {
		return fail(err)
	}
	if ownBody {
		if err := v.bodies.check(pointer("paths", ex.input.Route.Path, strings.ToLower(ex.input.Route.Method), "requestBody", "content", key, "schema"), body); err != nil {
			return fail(err)
		}
	}
	return nil
}

// Response checks an answer to the exchange's request. A nil body is not
// read (an event stream): only the status and headers are checked.
func (v *Validator) Response(ex *Exchange, status int, header http.Header, body []byte) error {
	r := ex.input.Route
	what := fmt.Sprintf("%s %s answered %d", r.Method, ex.input.Request.URL.Path, status)
	// openapi3filter checks the status and headers; the content type and
	// a JSON body are checked below (see bodies).
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: true}
	in := &openapi3filter.ResponseValidationInput{RequestValidationInput: ex.input, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s: not as documented: %w", what, err)
	}
	resp := r.Operation.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		// openapi3filter passes the redirects the ServeMux makes to
		// canonical paths (301, 307, 308) and 304: none is a route's
		// answer.
		return nil
	}
	if len(resp.Value.Content) == 0 && len(bytes.TrimSpace(body)) > 0 {
		return fmt.Errorf("%s: a body (%s) where the document says there is none", what, header.Get("Content-Type"))
	}
	if len(resp.Value.Content) == 0 {
		return nil
	}
	key := mediaKey(resp.Value.Content, header.Get("Content-Type"))
	if key == "" {
		return fmt.Errorf("%s: Content-Type %q, the document says %s", what, header.Get("Content-Type"),
			strings.Join(slices.Sorted(maps.Keys(resp.Value.Content)), " or "))
	}
	if body == nil || !isJSON(key) {
		return nil // a stream, or text the document describes as a string
	}
	code := fmt.Sprint(status)
	if resp != r.Operation.Responses.Value(code) {
		code = "default"
	}
	if err := v.bodies.check(pointer("paths", r.Path, strings.ToLower(r.Method), "responses", code, "content", key, "schema"), body); err != nil {
		return fmt.Errorf("%s: not as documented: %w", what, err)
	}
	return nil
}

// find routes req as the server's ServeMux would.
func (v *Validator) find(req *http.Request) (*routers.Route, map[string]string, error) {
	probe := &http.Request{Method: req.Method, URL: &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath}, Host: req.Host}
	_, pattern := v.mux.Handler(probe)
	route, ok := v.routes[pattern]
	if !ok {
		return nil, nil, fmt.Errorf("%s %s: %w (add it to a service's Routes() table, then run go generate ./internal/app)", req.Method, req.URL.Path, ErrNoRoute)
	}
	_, path, _ := strings.Cut(pattern, " ")
	return route, matchParams(path, req.URL.EscapedPath()), nil
}

// matchParams reads the wildcards of a ServeMux pattern path from a
// request path the pattern matched.
func matchParams(pattern, path string) map[string]string {
	out := map[string]string{}
	ps, rs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, seg := range ps {
		if i >= len(rs) || !strings.HasPrefix(seg, "{") || seg == "{$}" {
			continue
		}
		name := strings.Trim(seg, "{}")
		val := rs[i]
		if rest, ok := strings.CutSuffix(name, "..."); ok {
			name, val = rest, strings.Join(rs[i:], "/")
		}
		if u, err := url.PathUnescape(val); err == nil {
			val = u
		}
		out[name] = val
	}
	return out
}

// unknownQuery refuses query parameters the operation does not declare.
func (v *Validator) unknownQuery(op *openapi3.Operation, q url.Values) error {
	declared := map[string]bool{}
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
			declared[p.Value.Name] = true
		}
	}
	for name := range q {
		if !declared[name] {
			return fmt.Errorf("query parameter %q is not in the document's %s (add it to the route's Doc.Params)", name, op.OperationID)
		}
	}
	return nil
}

// IsStream reports whether an answer's Content-Type is an event stream,
// whose body is never read whole.
func IsStream(header http.Header) bool {
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	return mt == "text/event-stream"
}
