package app_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/apidoc"
	"github.com/openhouse/openhouse/internal/platform/apidoc/apidoctest"
)

var (
	update   = flag.Bool("update", false, "write the generated API documents to docs/ (go generate ./internal/app)")
	breaking = flag.Bool("breaking", false, "with -update: accept changes that break clients of the committed OpenAPI document")
)

const refresh = "go generate ./internal/app"

// generatedOpenAPI is the document of a process that runs every service,
// the Stripe webhook included.
func generatedOpenAPI(t *testing.T) (*openapi3.T, []byte) {
	t.Helper()
	t.Setenv("OPENHOUSE_STRIPE_WEBHOOK_SECRET", "whsec_document")
	a, c := startApp(t, withServiceSecrets(backends(t)["embedded"]))
	// Wait until it serves (Run has finished starting), with a plain
	// client: the committed document may not know the route yet.
	if resp, err := http.Get(c.base + "/healthz"); err == nil {
		resp.Body.Close()
	}
	doc, err := app.OpenAPI(a.Routes())
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return doc, append(out, '\n')
}

// TestOpenAPIDocument: the committed docs/openapi.json is the document the
// code describes (the routes' table and their Go types); every operation
// has an id, a summary and its error answers; and a change that breaks
// clients of the committed document (a path, field or status removed or
// renamed) is refused unless it is made on purpose with -breaking.
func TestOpenAPIDocument(t *testing.T) {
	doc, got := generatedOpenAPI(t)
	for _, finding := range apidoc.Lint(doc) {
		t.Errorf("lint: %s", finding)
	}
	if _, err := apidoc.NewValidator(got); err != nil {
		t.Fatalf("the generated document: %v", err)
	}
	path := filepath.Join("..", "..", "docs", "openapi.json")
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(committed, got) {
		return
	}
	old, err := apidoc.NewValidator(committed)
	if err != nil && !*update {
		t.Fatalf("docs/openapi.json: %v; run %s", err, refresh)
	}
	if err == nil {
		now, _ := apidoc.NewValidator(got)
		if breaks := apidoc.Breaking(old.Document(), now.Document()); len(breaks) > 0 && !*breaking {
			t.Fatalf("the API changed in ways that break clients of docs/openapi.json:\n  %s\n"+
				"Outside clients are written against it (../shared/api-contract.md: add, never rename or remove). "+
				"Keep the old path, field or status; if the break is deliberate, run "+
				"go test ./internal/app -run 'TestOpenAPIDocument' -update -breaking and say why in the commit.",
				strings.Join(breaks, "\n  "))
		}
	}
	if !*update {
		t.Fatalf("docs/openapi.json is stale: the routes or their types changed. Run %s and commit docs/openapi.json.", refresh)
	}
	if err := os.WriteFile(path, got, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// TestAsyncAPIDocument: the committed docs/asyncapi.json is the document
// the code describes (the catalogue in internal/events, the services'
// subscriptions and watches) and a valid AsyncAPI 3.0 document; every
// event type the events package declares is in the catalogue; and
// docs/events.md names, for every event, exactly the services that
// consume it.
func TestAsyncAPIDocument(t *testing.T) {
	a, c := startApp(t, withServiceSecrets(backends(t)["embedded"]))
	if resp, err := http.Get(c.base + "/healthz"); err == nil {
		resp.Body.Close()
	}
	doc, err := a.AsyncAPI()
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if err := apidoctest.ValidateAsyncAPI(got); err != nil {
		t.Fatalf("the generated AsyncAPI document is not valid AsyncAPI 3.0: %v", err)
	}

	declared := declaredEventTypes(t)
	inCatalogue := map[string]bool{}
	for _, e := range events.Catalogue {
		inCatalogue[e.Type] = true
	}
	for _, typ := range declared {
		if !inCatalogue[typ] {
			t.Errorf("event type %s is declared in internal/events but not in events.Catalogue: add {Type..., <its data type>{}, \"what it announces\"} to internal/events/catalogue.go", typ)
		}
	}

	checkEventsDoc(t, doc)

	path := filepath.Join("..", "..", "docs", "asyncapi.json")
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(committed, got) {
		return
	}
	if !*update {
		t.Fatalf("docs/asyncapi.json is stale: the events, their types or their consumers changed. Run %s and commit docs/asyncapi.json.", refresh)
	}
	if err := os.WriteFile(path, got, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// declaredEventTypes are the values of the Type... constants of
// internal/events.
func declaredEventTypes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "events", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Type") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d event types in internal/events", len(out))
	}
	return out
}

// checkEventsDoc compares the consumers docs/events.md names for each
// event (a "Consumers:" sentence under the event's heading, or the last
// column of its row in a table whose last column is "consumers") with the
// receive operations of the AsyncAPI document.
func checkEventsDoc(t *testing.T, doc map[string]any) {
	t.Helper()
	want := map[string][]string{}
	for _, op := range doc["operations"].(map[string]any) {
		o := op.(map[string]any)
		if o["action"] == "receive" {
			typ := o["x-event-type"].(string)
			want[typ] = append(want[typ], o["x-consumer"].(string))
		}
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "events.md"))
	if err != nil {
		t.Fatal(err)
	}
	said := eventsDocConsumers(string(raw))
	for _, e := range events.Catalogue {
		w := slices.Sorted(slices.Values(want[e.Type]))
		got, ok := said[e.Type]
		switch {
		case !ok:
			t.Errorf("docs/events.md does not say who consumes %s: give it a heading (### `%s`) with a \"Consumers: %s.\" sentence, or a table row whose last column is its consumers",
				e.Type, e.Type, strings.Join(w, ", "))
		case !slices.Equal(got, w):
			t.Errorf("docs/events.md says %s is consumed by %v; the code's subscriptions and watches say %v", e.Type, got, w)
		}
	}
}

var (
	headingType = regexp.MustCompile("^#+ `(openhouse\\.[a-z_.0-9]+)`")
	rowType     = regexp.MustCompile("^\\| `(openhouse\\.[a-z_.0-9]+)` \\|")
	consumersOf = regexp.MustCompile(`Consumers?: ([^.]*(?:\.[A-Za-z_][^.]*)*)\.`)
)

// eventsDocConsumers reads docs/events.md: event type -> consumer names,
// sorted ("none" for an event nobody consumes).
func eventsDocConsumers(md string) map[string][]string {
	out := map[string][]string{}
	var section string
	var text strings.Builder
	flush := func() {
		if section == "" {
			return
		}
		if m := consumersOf.FindStringSubmatch(text.String()); m != nil {
			out[section] = consumerNames(m[1])
		}
		section = ""
		text.Reset()
	}
	tableHasConsumers := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "#") {
			flush()
			if m := headingType.FindStringSubmatch(line); m != nil {
				section = m[1]
			}
			continue
		}
		if strings.HasPrefix(line, "| type |") || strings.HasPrefix(line, "| field |") || strings.HasPrefix(line, "| name |") || strings.HasPrefix(line, "| attribute |") {
			cells := strings.Split(strings.Trim(line, "| "), "|")
			tableHasConsumers = strings.TrimSpace(cells[len(cells)-1]) == "consumers"
		}
		if m := rowType.FindStringSubmatch(line); m != nil && tableHasConsumers {
			cells := strings.Split(strings.Trim(line, "| "), "|")
			out[m[1]] = consumerNames(cells[len(cells)-1])
			continue
		}
		if section != "" {
			text.WriteString(line + " ")
		}
	}
	flush()
	return out
}

// consumerNames reads "appointment (assigns one), notification" as
// [appointment notification]: the first words of the comma-separated items
// outside parentheses ("every process" is one name, "none" is none).
func consumerNames(s string) []string {
	var items []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, s[start:i])
				start = i + 1
			}
		}
	}
	items = append(items, s[start:])
	var out []string
	for _, it := range items {
		words := strings.Fields(strings.TrimSpace(it))
		switch {
		case len(words) == 0:
		case len(words) >= 2 && words[0] == "every" && strings.TrimRight(words[1], "(),") == "process":
			out = append(out, "every process")
		case words[0] == "none":
		default:
			out = append(out, strings.Trim(words[0], "`*"))
		}
	}
	slices.Sort(out)
	return out
}
