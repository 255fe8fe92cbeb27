// Package apidoc describes the API from the code: the OpenAPI 3.1 document
// of the HTTP routes, built from the authorization table (auth.Route rows
// and their httpapi.Doc) and the Go types of bodies and answers; the
// AsyncAPI 3.0 document of the events; and the checks that keep them
// honest: a lint of the document, a breaking-change comparison with the
// committed one, and a validator of requests and answers for tests
// (apidoctest). Documents are built with kin-openapi.
package apidoc

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// Info heads the document.
type Info struct {
	Title       string
	Version     string
	Description string
	// Tags describe the groups of operations, named by the first segment
	// of their path ("iam", "listings") or by Group.
	Tags map[string]string
	// Group puts the operations under a first path segment in another
	// group: {"carts": "cart"}.
	Group map[string]string
}

// Security scheme names in the document.
const (
	bearerScheme = "bearer"
	basicScheme  = "clientBasic"
)

// OpenAPI builds the document of routes. Rows are described in the order
// of their paths; it fails on a row it cannot describe (a Params field
// with neither a query nor a header tag, a type openapi3gen refuses).
func OpenAPI(routes []auth.Route, info Info) (*openapi3.T, error) {
	var types []any
	for _, rt := range routes {
		d := rt.Doc
		types = append(types, rt.Body, d.Reply, d.Params, d.Request, httpapi.Problem{})
		for _, a := range d.Answers {
			types = append(types, a.Body)
		}
	}
	s := newSchemas(types)
	problem, err := s.ref(httpapi.Problem{})
	if err != nil {
		return nil, err
	}
	doc := &openapi3.T{
		OpenAPI: "3.1.0",
		Info:    &openapi3.Info{Title: info.Title, Version: info.Version, Description: info.Description},
		Paths:   openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: s.components,
			SecuritySchemes: openapi3.SecuritySchemes{
				bearerScheme: {Value: &openapi3.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT",
					Description: "An access token from `POST /iam/login` (users) or `POST /iam/token` (service identities)."}},
				basicScheme: {Value: &openapi3.SecurityScheme{Type: "http", Scheme: "basic",
					Description: "A service identity's client id and secret (OAuth 2.0 client credentials)."}},
			},
		},
	}
	tags := map[string]bool{}
	sorted := slices.Clone(routes)
	slices.SortStableFunc(sorted, func(a, b auth.Route) int {
		_, pa, _ := strings.Cut(a.Pattern, " ")
		_, pb, _ := strings.Cut(b.Pattern, " ")
		return cmp.Compare(pa, pb)
	})
	for _, rt := range sorted {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		path := openAPIPath(pattern)
		op, err := operation(s, problem, rt, method, pattern, info.Group)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", rt.Pattern, err)
		}
		tags[op.Tags[0]] = true
		doc.AddOperation(path, method, op)
		if path != pattern {
			// The ServeMux pattern, where the path cannot say it ("/"
			// only, or a prefix): the validator routes by it.
			item := doc.Paths.Value(path)
			if item.Extensions == nil {
				item.Extensions = map[string]any{}
			}
			item.Extensions["x-pattern"] = pattern
		}
	}
	for _, name := range slices.Sorted(maps.Keys(tags)) {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: name, Description: info.Tags[name]})
	}
	return doc, nil
}

// openAPIPath is the OpenAPI path of a ServeMux pattern's path: "{$}"
// (exactly this path) and "{name...}" (the rest of the path) have no
// OpenAPI form and are left out; x-pattern keeps them.
func openAPIPath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	return strings.ReplaceAll(p, "...}", "}")
}

// pathParams are the wildcards of a pattern, in order.
func pathParams(pattern string) []string {
	var out []string
	for _, seg := range strings.Split(pattern, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && seg != "{$}" {
			out = append(out, strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
		}
	}
	return out
}

// operationID is the method and the path in camel case, wildcards as
// "By<Name>": getToursById. It is stable as long as the route is.
func operationID(method, pattern string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(pattern, "/") {
		by := strings.HasPrefix(seg, "{")
		seg = strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		if seg == "$" || seg == "" {
			continue
		}
		if by {
			b.WriteString("By")
		}
		for _, word := range strings.FieldsFunc(seg, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
			b.WriteString(capitalise(word))
		}
	}
	return b.String()
}

// tagOf groups an operation by the first segment of its path.
func tagOf(pattern string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
	seg = strings.TrimPrefix(seg, ".")
	if seg == "" || seg == "{$}" {
		return "web"
	}
	return seg
}

func operation(s *schemas, problem *openapi3.SchemaRef, rt auth.Route, method, pattern string, group map[string]string) (*openapi3.Operation, error) {
	d := rt.Doc
	tag := tagOf(pattern)
	if g, ok := group[tag]; ok {
		tag = g
	}
	op := &openapi3.Operation{
		OperationID: operationID(method, pattern),
		Summary:     d.Summary,
		Description: describe(rt),
		Tags:        []string{tag},
		Responses:   openapi3.NewResponsesWithCapacity(8),
		Extensions:  map[string]any{"x-ownership": rt.Owner.String()},
	}
	if !rt.Rule.Anyone {
		op.Security = &openapi3.SecurityRequirements{{bearerScheme: []string{}}}
		if len(rt.Rule.Roles) > 0 {
			roles := make([]string, len(rt.Rule.Roles))
			for i, r := range rt.Rule.Roles {
				roles[i] = string(r)
			}
			op.Extensions["x-roles"] = roles
		}
		if len(rt.Rule.Services) > 0 {
			op.Extensions["x-services"] = slices.Clone(rt.Rule.Services)
		}
	} else {
		op.Security = &openapi3.SecurityRequirements{}
		op.Extensions["x-public"] = true
	}

	for _, name := range pathParams(pattern) {
		op.AddParameter(&openapi3.Parameter{Name: name, In: openapi3.ParameterInPath, Required: true,
			Schema: openapi3.NewStringSchema().NewRef()})
	}
	if d.Params != nil {
		if err := params(s, op, d.Params); err != nil {
			return nil, err
		}
	}
	list := isList(d.Reply)
	if list && !d.Whole && op.Parameters.GetByInAndName(openapi3.ParameterInQuery, "limit") == nil {
		// A List pages with limit and cursor, unless its Params say how
		// it is bounded.
		op.AddParameter(&openapi3.Parameter{Name: "limit", In: openapi3.ParameterInQuery,
			Description: fmt.Sprintf("How many items to answer, %d by default.", httpapi.DefaultLimit),
			Schema:      openapi3.NewIntegerSchema().WithMin(1).WithMax(httpapi.MaxLimit).NewRef()})
		op.AddParameter(&openapi3.Parameter{Name: "cursor", In: openapi3.ParameterInQuery,
			Description: "The `next_cursor` of the previous page; absent for the first page.",
			Schema:      openapi3.NewStringSchema().WithMaxLength(1024).NewRef()})
	}
	if rt.Body != nil || d.Request != nil {
		body, ct := rt.Body, "application/json"
		if body == nil {
			body, ct = d.Request, d.RequestContentType
		}
		ref, err := s.ref(body)
		if err != nil {
			return nil, err
		}
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().
			WithRequired(!d.OptionalBody).WithContent(openapi3.NewContentWithSchemaRef(ref, []string{ct}))}
	}
	if d.Auth == "basic" {
		op.Security = &openapi3.SecurityRequirements{{basicScheme: []string{}}}
		delete(op.Extensions, "x-public")
	}

	// The success answer.
	status := d.Status
	if status == 0 {
		status = http.StatusOK
		if d.Reply == nil && d.ContentType == "" {
			status = http.StatusNoContent
		}
	}
	success := &openapi3.Response{Description: new(successText(status))}
	switch {
	case d.Reply != nil:
		ref, err := s.ref(d.Reply)
		if err != nil {
			return nil, err
		}
		success.Content = openapi3.NewContentWithSchemaRef(ref, []string{"application/json"})
	case d.ContentType != "":
		success.Content = openapi3.NewContentWithSchema(openapi3.NewStringSchema(), splitTypes(d.ContentType))
	}
	op.AddResponse(status, success)

	for _, a := range d.Answers {
		r := &openapi3.Response{Description: new(a.Why)}
		ct := a.ContentType
		if ct == "" {
			ct = "application/json"
			if a.Status >= 400 {
				ct = httpapi.ProblemContentType
			}
		}
		switch {
		case a.Body != nil:
			ref, err := s.ref(a.Body)
			if err != nil {
				return nil, err
			}
			r.Content = openapi3.NewContentWithSchemaRef(ref, splitTypes(ct))
		case a.Status >= 400:
			r.Content = openapi3.NewContentWithSchemaRef(problem, []string{ct})
		case a.ContentType != "":
			r.Content = openapi3.NewContentWithSchema(openapi3.NewStringSchema(), splitTypes(ct))
		}
		for _, name := range slices.Sorted(maps.Keys(a.Headers)) {
			if r.Headers == nil {
				r.Headers = openapi3.Headers{}
			}
			r.Headers[name] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: a.Headers[name], Schema: openapi3.NewStringSchema().NewRef()}}}
		}
		op.AddResponse(a.Status, r)
	}

	errs := impliedErrors(rt, pattern, list)
	for status, why := range d.Errors {
		errs[status] = why
	}
	for _, status := range slices.Sorted(maps.Keys(errs)) {
		if op.Responses.Status(status) != nil {
			continue // an Answer with its own body
		}
		r := &openapi3.Response{Description: new(errs[status]),
			Content: openapi3.NewContentWithSchemaRef(problem, []string{httpapi.ProblemContentType})}
		switch status {
		case http.StatusUnauthorized:
			r.Headers = openapi3.Headers{"WWW-Authenticate": {Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "The scheme to authenticate with.", Schema: openapi3.NewStringSchema().NewRef()}}}}
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			r.Headers = openapi3.Headers{"Retry-After": {Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "Seconds to wait before trying again.", Schema: openapi3.NewIntegerSchema().NewRef()}}}}
		}
		op.AddResponse(status, r)
	}
	return op, nil
}

// describe is the Doc's description followed by who may call the route.
func describe(rt auth.Route) string {
	var who string
	switch {
	case rt.Rule.Anyone:
		who = "Public: no token needed."
	default:
		var parts []string
		if len(rt.Rule.Roles) > 0 {
			roles := make([]string, len(rt.Rule.Roles))
			for i, r := range rt.Rule.Roles {
				roles[i] = "`" + string(r) + "`"
			}
			parts = append(parts, "users with role "+strings.Join(roles, ", "))
		}
		if len(rt.Rule.Services) > 0 {
			parts = append(parts, "the service identities "+strings.Join(quoted(rt.Rule.Services), ", "))
		}
		who = "Allowed: " + strings.Join(parts, "; ") + "."
		switch rt.Owner {
		case auth.OwnedByCaller:
			who += " Acts on the caller's own data."
		case auth.OwnedByPath:
			who += " Others' resources answer 404, as if they did not exist (admins see every one the rule admits them to)."
		case auth.OwnerOnly:
			who += " Only the owner of the resource reaches it; everyone else, admins included, gets 404."
		}
	}
	if rt.Doc.Description == "" {
		return who
	}
	return rt.Doc.Description + "\n\n" + who
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return out
}

// impliedErrors are the problem answers the table row implies.
func impliedErrors(rt auth.Route, pattern string, list bool) map[int]string {
	errs := map[int]string{
		http.StatusInternalServerError: "Something failed on the server; the detail carries a request id to report.",
		http.StatusServiceUnavailable:  "A dependency is unavailable or too slow; try again.",
	}
	// A token that does not verify is refused everywhere, public routes
	// included, so a client learns its token is bad.
	errs[http.StatusUnauthorized] = "The bearer token is missing, expired or invalid."
	if rt.Rule.Anyone {
		errs[http.StatusUnauthorized] = "The bearer token sent is expired or invalid (a public route needs none)."
	} else {
		errs[http.StatusForbidden] = "The caller's role or identity may not call this route, or the account is suspended."
	}
	if len(pathParams(pattern)) > 0 {
		errs[http.StatusNotFound] = "No such resource, or it is not the caller's."
	}
	if rt.Body != nil {
		errs[http.StatusBadRequest] = "The body is not JSON of the right shape: malformed, a wrong type, an unknown field."
		errs[http.StatusRequestEntityTooLarge] = "The body is larger than 1 MiB."
		errs[http.StatusUnsupportedMediaType] = "The body is not sent as application/json."
		errs[http.StatusUnprocessableEntity] = "A field breaks a rule; `errors` names each."
	}
	if list || rt.Doc.Params != nil {
		errs[http.StatusBadRequest] = cmp.Or(errs[http.StatusBadRequest], "A query parameter is malformed or out of range; `errors` names it.")
	}
	return errs
}

// isList reports whether v is an httpapi.List, which pages.
func isList(v any) bool {
	if v == nil {
		return false
	}
	t := reflect.TypeOf(v)
	return t.PkgPath() == reflect.TypeFor[httpapi.Page]().PkgPath() && strings.HasPrefix(t.Name(), "List[")
}

// params adds the query parameters and headers of a Params struct.
func params(s *schemas, op *openapi3.Operation, v any) error {
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("Params is a %s, want a struct", t)
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous {
			continue
		}
		p := &openapi3.Parameter{Description: f.Tag.Get("doc"), Required: f.Tag.Get("required") == "true"}
		switch {
		case f.Tag.Get("query") != "":
			p.Name, p.In = f.Tag.Get("query"), openapi3.ParameterInQuery
		case f.Tag.Get("header") != "":
			p.Name, p.In = f.Tag.Get("header"), openapi3.ParameterInHeader
		default:
			return fmt.Errorf("Params field %s has neither a query nor a header tag", f.Name)
		}
		schema := fieldSchema(f.Type)
		if err := fieldTags(f.Tag, f.Type, schema); err != nil {
			return err
		}
		if f.Type.Kind() == reflect.Slice {
			explode := true
			p.Explode = &explode // lat=1&lat=2
		}
		p.Schema = schema.NewRef()
		op.AddParameter(p)
	}
	return nil
}

// fieldSchema is the schema of a parameter's Go type: strings, numbers,
// booleans, times, and slices of them.
func fieldSchema(t reflect.Type) *openapi3.Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return openapi3.NewDateTimeSchema()
	case t.Kind() == reflect.Slice:
		return openapi3.NewArraySchema().WithItems(fieldSchema(t.Elem()))
	case t.Kind() == reflect.Bool:
		return openapi3.NewBoolSchema()
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return openapi3.NewIntegerSchema()
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return openapi3.NewFloat64Schema()
	}
	return openapi3.NewStringSchema()
}

func successText(status int) string {
	switch status {
	case http.StatusCreated:
		return "Created."
	case http.StatusNoContent:
		return "Done; no body."
	case http.StatusAccepted:
		return "Accepted."
	}
	return "OK."
}

func splitTypes(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(t))
	}
	return out
}
