package app_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
)

// TestBadInputEveryJSONEndpoint sends every JSON endpoint of the
// authorization table (the rows with a Body) malformed JSON, bodies of the
// wrong shape, unknown fields, deep nesting, a body over the size limit,
// and, field by field of the row's Body type (nested objects included),
// values of the wrong type, huge strings, overflowing and negative numbers,
// each in an otherwise valid body (the matrix fixture's). Every answer must
// be a 4xx problem+json, and the databases of all eight services must be
// exactly as before, outboxes included: nothing changed, nothing published.
// Injection strings in every string field must never give a 5xx; they may be
// accepted (a title may well read "'; DROP TABLE listings; --"), and the
// system must work as before afterwards.
func TestBadInputEveryJSONEndpoint(t *testing.T) {
	t.Parallel() // one of the package's longest tests: they overlap, each on a system of its own
	cfg := withTwilio(t, withServiceSecrets(backends(t)["embedded"]))
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	a, c := startApp(t, cfg)
	m := newMatrix(t, c, cfg)
	customer, provider, admin := m.users["customer"][0], m.users["provider"][0], m.users["admin"][0]
	b := m.book(customer, m.users["realtor"][0])
	listing := m.listing(provider, 41.95, -87.65)
	m.fill(customer, listing)
	paths := map[string]string{
		"/tours/{id}":                       "/tours/" + b.tour,
		"/listings/{id}":                    "/listings/" + listing,
		"/payments/{id}/refund":             "/payments/" + b.payment + "/refund",
		"/iam/users/{id}":                   "/iam/users/" + customer.id,
		"/availability/{realtor_id}":        "/availability/" + m.users["realtor"][0].id,
		"/tours/{id}/feedback/{listing_id}": "/tours/" + b.tour + "/feedback/" + m.near[m.users["realtor"][0].id][0],
	}
	fixtures := m.fixtures()

	tested := 0
	for _, rt := range a.Routes() {
		if rt.Body == nil {
			continue
		}
		tested++
		t.Run(rt.Pattern, func(t *testing.T) {
			method, path, _ := strings.Cut(rt.Pattern, " ")
			if real, ok := paths[path]; ok {
				path = real
			}
			for tmpl, real := range paths {
				if strings.Contains(path, "{") && strings.HasPrefix(path, strings.SplitN(tmpl, "{", 2)[0]) {
					path = real
				}
			}
			caller := admittedCaller(m, rt)
			base := validBody(t, fixtures[rt.Pattern], caller)
			waitQuiet(t, cfg.DataDir)
			before := fingerprint(t, cfg.DataDir)
			writes := watchWrites(t, cfg.DataDir)
			cases := 0
			defer func() { t.Logf("%d bad bodies refused without a trace", cases) }()
			for i, bad := range badBodies(rt.Body, base) {
				if bad.injection || (bad.body == "" && optionalBody[rt.Pattern]) {
					continue
				}
				cases++
				status, raw := m.send(caller, request{method: method, path: path, body: bad.body,
					headers: map[string]string{"Content-Type": "application/json", "Idempotency-Key": fmt.Sprintf("bad-%d", i)}, invalid: true})
				var p map[string]any
				if status < 400 || status >= 500 || json.Unmarshal(raw, &p) != nil || p["status"] != float64(status) {
					t.Errorf("%s: %d %s, want a 4xx problem", bad.name, status, truncate(raw))
				}
				if !writes.any(t) {
					continue // nothing committed: the databases are as before
				}
				if after := fingerprint(t, cfg.DataDir); after != before {
					t.Errorf("%s changed the databases:\n%s", bad.name, diffPrints(before, after))
					before = after
				}
			}
			// Injections last: they may be accepted, and must break nothing.
			for i, bad := range badBodies(rt.Body, base) {
				if !bad.injection {
					continue
				}
				status, raw := m.send(caller, request{method: method, path: path, body: bad.body,
					headers: map[string]string{"Content-Type": "application/json", "Idempotency-Key": fmt.Sprintf("inj-%d", i)}, invalid: true})
				if status >= 500 {
					t.Errorf("%s: %d %s", bad.name, status, truncate(raw))
				}
			}
		})
	}
	if tested < 15 {
		t.Fatalf("only %d routes declare a JSON body; the table lost some", tested)
	}
	// Still working: a read of every service.
	for _, path := range []string{"/iam/users", "/listings", "/tours", "/payments", "/appointments", "/carts", "/notifications"} {
		if status, out := c.call("GET", path, admin.token, nil); status != 200 {
			t.Errorf("after the bad input GET %s = %d %v", path, status, out)
		}
	}
}

// admittedCaller is someone the route's rule lets in, preferring the
// owners of the resources the test made.
func admittedCaller(m *matrix, rt auth.Route) *actor {
	if rt.Rule.Anyone {
		return m.anon
	}
	for _, role := range []string{"customer", "provider", "admin", "realtor"} {
		if slices.Contains(rt.Rule.Roles, auth.Role(role)) {
			return m.users[role][0]
		}
	}
	return m.serviceActor(rt.Rule.Services[0])
}

// validBody is the fixture's body for the route as a JSON object.
func validBody(t *testing.T, fx fixture, caller *actor) map[string]any {
	t.Helper()
	if fx.build == nil {
		return map[string]any{}
	}
	owner := caller
	if caller.role == "" || caller.role == "service" {
		owner = &actor{role: "customer"} // builds need no user for these
	}
	r := fx.build(owner)
	raw, err := json.Marshal(r.body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if r.body != nil {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// optionalBody are the routes where no body at all is a valid request: a
// refund without a body refunds in full.
var optionalBody = map[string]bool{"POST /payments/{id}/refund": true}

// badBody is one malformed request body.
type badBody struct {
	name      string
	body      string
	injection bool // may be accepted; must not fail the server
}

// textPolicy are what the platform's text policy (internal/platform/usertext)
// refuses, each put inside a string field's valid value, so that the
// character is what is refused, not the value: control characters (C0,
// DEL, C1), line breaks where the field is one line, and bidirectional
// formatting characters. invisibleOnly replaces the whole value.
var textPolicy = []struct {
	name, insert string
	lineBreak    bool // allowed where the field may span lines
}{
	{name: "NUL", insert: "\x00"},
	{name: "ESC (a terminal escape)", insert: "\x1b[2J"},
	{name: "BEL", insert: "\a"},
	{name: "DEL", insert: "\x7f"},
	{name: "C1 (CSI)", insert: "\u009b"},
	{name: "CR LF", insert: "\r\n", lineBreak: true},
	{name: "right-to-left override", insert: "\u202e"},
	{name: "left-to-right embedding", insert: "\u202a"},
	{name: "first strong isolate", insert: "\u2068"},
	{name: "right-to-left mark", insert: "\u200f"},
}

const invisibleOnly = "\u200b\u2060\u3164"

// multiline are the string fields where line breaks are allowed, by path.
var multiline = map[string]bool{"description": true, "access.instructions": true, "comment": true}

// insertInto puts s after the first character of v (a stand-in when the
// fixture has no value), where trimming cannot remove it.
func insertInto(v any, s string) string {
	str, _ := v.(string)
	if str == "" {
		str = "text"
	}
	r := []rune(str)
	return string(r[:1]) + s + string(r[1:])
}

// valueAt is the value at path "a" or "a.b" of m, or nil.
func valueAt(m map[string]any, path string) any {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		return m[head]
	}
	inner, _ := m[head].(map[string]any)
	return valueAt(inner, rest)
}

var injections = []string{
	`'; DROP TABLE users; --`, `" OR 1=1 --`, `<script>alert(1)</script>`, `{{.}}${7*7}`,
	`../../../../etc/passwd`, "nul\u0000byte", `\u202e reversed`, `%s%s%s%n`,
}

// badBodies derives the malformed bodies for a JSON body of type body from
// a valid one.
func badBodies(body any, valid map[string]any) []badBody {
	out := []badBody{
		{name: "truncated JSON", body: `{"`},
		{name: "trailing comma", body: `{"a":1,}`},
		{name: "two documents", body: `{}{}`},
		{name: "empty body", body: ``},
		{name: "an array", body: `[]`},
		{name: "a string", body: `"text"`},
		{name: "a number", body: `42`},
		{name: "unknown field", body: mustJSON(with(valid, "zz_unknown", 1))},
		{name: "deep nesting", body: `{"zz":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`},
		{name: "over the size limit", body: `{"zz":"` + strings.Repeat("x", 2<<20) + `"}`},
	}
	for _, f := range jsonFields(reflect.TypeOf(body), "") {
		set := func(v any) string { return mustJSON(withPath(valid, f.path, v)) }
		switch f.kind {
		case reflect.String:
			out = append(out,
				badBody{name: f.path + ": a number", body: set(12345)},
				badBody{name: f.path + ": huge string", body: set(strings.Repeat("x", 100_000))},
				badBody{name: f.path + ": invisible only", body: set(invisibleOnly)})
			for _, tp := range textPolicy {
				if tp.lineBreak && multiline[f.path] {
					continue
				}
				out = append(out, badBody{name: f.path + ": " + tp.name, body: set(insertInto(valueAt(valid, f.path), tp.insert))})
			}
			for i, inj := range injections {
				out = append(out, badBody{name: fmt.Sprintf("%s: injection %d", f.path, i), body: set(inj), injection: true})
			}
		case reflect.Int, reflect.Int64, reflect.Int32:
			out = append(out,
				badBody{name: f.path + ": a string", body: set("12")},
				badBody{name: f.path + ": a fraction", body: set(1.5)},
				badBody{name: f.path + ": overflow", body: strings.Replace(set(0), `"`+f.leaf+`":0`, `"`+f.leaf+`":99999999999999999999999`, 1)},
				badBody{name: f.path + ": negative", body: set(-1)})
		case reflect.Float64, reflect.Float32:
			out = append(out,
				badBody{name: f.path + ": a string", body: set("1")},
				badBody{name: f.path + ": overflow", body: strings.Replace(set(0), `"`+f.leaf+`":0`, `"`+f.leaf+`":1e400`, 1)},
				badBody{name: f.path + ": far out of range", body: set(-1e12)})
		case reflect.Bool:
			out = append(out, badBody{name: f.path + ": a string", body: set("true")})
		case reflect.Slice:
			out = append(out, badBody{name: f.path + ": an object", body: set(map[string]any{"a": 1})})
		case reflect.Struct, reflect.Map:
			out = append(out, badBody{name: f.path + ": an array", body: set([]any{1})})
		case timeKind:
			out = append(out,
				badBody{name: f.path + ": a number", body: set(1700000000)},
				badBody{name: f.path + ": not a time", body: set("tomorrow at ten")})
		}
	}
	return out
}

// timeKind marks time.Time fields (JSON strings of their own format).
const timeKind = reflect.UnsafePointer + 100

type jsonField struct {
	path, leaf string
	kind       reflect.Kind
}

// jsonFields lists the JSON fields of t, nested objects' fields too
// ("price.amount"), with what kind of value each takes.
func jsonFields(t reflect.Type, prefix string) []jsonField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if inner, ok := wrapped(ft); ok {
			ft = inner
		}
		f := jsonField{path: prefix + name, leaf: name, kind: ft.Kind()}
		switch {
		case ft == reflect.TypeOf(time.Time{}):
			f.kind = timeKind
		case ft.Kind() == reflect.Struct && prefix == "":
			out = append(out, f)
			out = append(out, jsonFields(ft, name+".")...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// wrapped sees through a type that decodes itself around one value (the
// listing PATCH's optional[T], which tells an absent field from null): its
// JSON is the value's.
func wrapped(t reflect.Type) (reflect.Type, bool) {
	unmarshaler := reflect.TypeFor[json.Unmarshaler]()
	if t.Kind() != reflect.Struct || !reflect.PointerTo(t).Implements(unmarshaler) {
		return nil, false
	}
	f, ok := t.FieldByName("value")
	if !ok {
		return nil, false
	}
	inner := f.Type
	for inner.Kind() == reflect.Pointer {
		inner = inner.Elem()
	}
	return inner, true
}

func with(m map[string]any, k string, v any) map[string]any {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	out[k] = v
	return out
}

// withPath sets "a" or "a.b" in a copy of m.
func withPath(m map[string]any, path string, v any) map[string]any {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		return with(m, head, v)
	}
	inner, _ := m[head].(map[string]any)
	return with(m, head, withPath(inner, rest, v))
}

func mustJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// fingerprint is every row of every table of every service's database,
// hashed per table, read through a separate read-only connection.
func fingerprint(t *testing.T, dataDir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "*.db"))
	var out []string
	for _, file := range files {
		db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		tables := []string{}
		rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			_ = rows.Scan(&name)
			tables = append(tables, name)
		}
		rows.Close()
		for _, table := range tables {
			out = append(out, filepath.Base(file)+"/"+table+" "+tableHash(t, db, table))
		}
		db.Close()
	}
	return strings.Join(out, "\n")
}

// writeWatch tells cheaply whether anything was committed to the system's
// SQLite databases since it last looked: PRAGMA data_version, read on one
// held connection per file, changes whenever another connection commits.
// Hashing every row of every table (fingerprint) after each of hundreds of
// bodies is slow under the race detector, so it runs only after a commit;
// a commit that changed no row still compares equal.
type writeWatch struct {
	conns    []*sql.Conn
	versions []int64
}

func watchWrites(t *testing.T, dataDir string) *writeWatch {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "*.db"))
	if len(files) == 0 {
		t.Fatal("no databases to watch in " + dataDir)
	}
	w := &writeWatch{}
	for _, file := range files {
		db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(); db.Close() })
		w.conns = append(w.conns, conn)
	}
	w.versions = make([]int64, len(w.conns))
	w.any(t)
	return w
}

// any reports whether some database saw a commit since the last call.
func (w *writeWatch) any(t *testing.T) bool {
	t.Helper()
	changed := false
	for i, conn := range w.conns {
		var v int64
		if err := conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != w.versions[i] {
			changed = true
			w.versions[i] = v
		}
	}
	return changed
}

func tableHash(t *testing.T, db *sql.DB, table string) string {
	rows, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
	if err != nil {
		rows, err = db.Query(`SELECT * FROM "` + table + `"`) // WITHOUT ROWID tables: by key
		if err != nil {
			t.Fatal(err)
		}
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	h := sha256.New()
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%v\n", vals)
		n++
	}
	return fmt.Sprintf("%d rows %x", n, h.Sum(nil)[:8])
}

func diffPrints(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for _, line := range a {
		if !slices.Contains(b, line) {
			out = append(out, "now   "+line)
		}
	}
	for _, line := range b {
		if !slices.Contains(a, line) {
			out = append(out, "was   "+line)
		}
	}
	return strings.Join(out, "\n")
}

// waitQuiet waits until the databases stop changing: the relays have
// published what the set-up wrote and the consumers have applied it.
func waitQuiet(t *testing.T, dataDir string) {
	t.Helper()
	last := fingerprint(t, dataDir)
	stable := 0
	eventually(t, "the databases to settle", 20*time.Second, func() bool {
		now := fingerprint(t, dataDir)
		if now == last {
			stable++
		} else {
			stable, last = 0, now
		}
		return stable >= 5
	})
}
