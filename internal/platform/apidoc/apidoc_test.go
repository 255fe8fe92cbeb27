package apidoc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/apidoc"
	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

type petView struct {
	ID    string  `json:"id"`
	Name  string  `json:"name" example:"Rex"`
	Owner *string `json:"owner" doc:"null for strays"`
	Tag   string  `json:"tag,omitempty" enum:"good,bad"`
}

type petBody struct {
	Name *string `json:"name" required:"true"`
}

type petQuery struct {
	Kind string `query:"kind" enum:"dog,cat"`
}

// table is a small authorization table; answer is what GET /pets/{id}
// sends, so a test can make the server stray from the document.
func table(answer *string) []auth.Route {
	get := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(*answer))
	})
	create := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b petBody
		if err := httpapi.Decode(w, r, &b); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusCreated, petView{ID: "p2", Name: *b.Name})
	})
	list := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList([]petView{{ID: "p1", Name: "Rex"}}, ""))
	})
	users := auth.AnyUser()
	return []auth.Route{
		{Pattern: "GET /pets/{id}", Rule: users, Owner: auth.OwnedByPath, Handler: get,
			Doc: httpapi.Doc{Summary: "Get a pet", Reply: petView{}}},
		{Pattern: "POST /pets", Rule: users, Owner: auth.OwnedByCaller, Handler: create, Body: petBody{},
			Doc: httpapi.Doc{Summary: "Add a pet", Reply: petView{}, Status: http.StatusCreated}},
		{Pattern: "GET /pets", Rule: auth.Public(), Owner: auth.Unowned, Handler: list,
			Doc: httpapi.Doc{Summary: "List pets", Reply: httpapi.List[petView]{}, Params: petQuery{}}},
	}
}

func document(t *testing.T, routes []auth.Route) []byte {
	t.Helper()
	doc, err := apidoc.OpenAPI(routes, apidoc.Info{Title: "pets", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func exchange(t *testing.T, v *apidoc.Validator, srv *httptest.Server, method, path, body string) (reqErr, respErr error) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	ex, err := v.Route(req, []byte(body))
	if err != nil {
		return err, nil
	}
	reqErr = v.Request(ex)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	return reqErr, v.Response(ex, resp.StatusCode, resp.Header, raw)
}

// TestValidatorHoldsTheServerToTheDocument: an answer with a field, a null
// or a status the document does not describe fails, and so do a request
// to an undocumented route and an undeclared query parameter.
func TestValidatorHoldsTheServerToTheDocument(t *testing.T) {
	answer := `{"id":"p1","name":"Rex","owner":null}`
	routes := table(&answer)
	mux := http.NewServeMux()
	if err := auth.Mount(mux, routes); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(auth.Authenticate(nil)(mux))
	defer srv.Close()
	v, err := apidoc.NewValidator(document(t, routes))
	if err != nil {
		t.Fatal(err)
	}
	if reqErr, respErr := exchange(t, v, srv, "GET", "/pets", ""); reqErr != nil || respErr != nil {
		t.Fatalf("a documented exchange: %v / %v", reqErr, respErr)
	}
	for name, bad := range map[string]string{
		"an undocumented field": `{"id":"p1","name":"Rex","owner":null,"age":3}`,
		"a missing field":       `{"id":"p1","owner":null}`,
		"a value off the enum":  `{"id":"p1","name":"Rex","owner":null,"tag":"ugly"}`,
		"a wrong type":          `{"id":"p1","name":7,"owner":null}`,
	} {
		answer = bad
		req, _ := http.NewRequest("GET", srv.URL+"/pets/p1", nil)
		ex, err := v.Route(req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Response(ex, 200, http.Header{"Content-Type": {"application/json"}}, []byte(bad)); err == nil {
			t.Errorf("%s passed: %s", name, bad)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/pets/p1", nil)
	ex, _ := v.Route(req, nil)
	if err := v.Response(ex, http.StatusTeapot, http.Header{"Content-Type": {"application/problem+json"}}, []byte(`{}`)); err == nil {
		t.Error("an undocumented status passed")
	}
	if err := v.Response(ex, 200, http.Header{"Content-Type": {"text/plain"}}, []byte(`x`)); err == nil {
		t.Error("an undocumented content type passed")
	}
	if reqErr, _ := exchange(t, v, srv, "GET", "/cats", ""); reqErr == nil {
		t.Error("an undocumented route passed")
	}
	if reqErr, _ := exchange(t, v, srv, "GET", "/pets?colour=red", ""); reqErr == nil {
		t.Error("an undeclared query parameter passed")
	}
	if reqErr, _ := exchange(t, v, srv, "GET", "/pets?kind=dog", ""); reqErr != nil {
		t.Errorf("a declared one: %v", reqErr)
	}
}

// TestLintAsksForWhatIsMissing: a row without a summary is named, with
// what to add.
func TestLintAsksForWhatIsMissing(t *testing.T) {
	answer := `{}`
	routes := table(&answer)
	routes[1].Doc.Summary = ""
	v, err := apidoc.NewValidator(document(t, routes))
	if err != nil {
		t.Fatal(err)
	}
	got := apidoc.Lint(v.Document())
	if len(got) != 1 || !strings.Contains(got[0], "POST /pets: no summary: add Doc") {
		t.Fatalf("lint = %q", got)
	}
}

// TestBreakingChanges: removing a path, a field or a status, or requiring
// a new field of requests, is a break; adding is not.
func TestBreakingChanges(t *testing.T) {
	answer := `{}`
	base := table(&answer)
	load := func(routes []auth.Route) *apidoc.Validator {
		v, err := apidoc.NewValidator(document(t, routes))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	old := load(base)
	if got := apidoc.Breaking(old.Document(), load(base).Document()); len(got) != 0 {
		t.Fatalf("the same document breaks: %q", got)
	}
	added := append(slices.Clone(base), auth.Route{Pattern: "DELETE /pets/{id}", Rule: auth.AnyUser(), Owner: auth.OwnedByPath,
		Handler: http.NotFoundHandler(), Doc: httpapi.Doc{Summary: "Remove a pet"}})
	if got := apidoc.Breaking(old.Document(), load(added).Document()); len(got) != 0 {
		t.Fatalf("an added route breaks: %q", got)
	}
	renamed := slices.Clone(base)
	renamed[0].Pattern = "GET /animals/{id}"
	if got := apidoc.Breaking(old.Document(), load(renamed).Document()); !slices.Contains(got, "GET /pets/{id}: the operation was removed") {
		t.Errorf("a renamed path: %q", got)
	}
	type slimPet struct {
		ID string `json:"id"`
	}
	slim := slices.Clone(base)
	slim[0].Doc.Reply = slimPet{}
	got := apidoc.Breaking(old.Document(), load(slim).Document())
	if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "answer 200: field name was removed") }) {
		t.Errorf("a removed field: %q", got)
	}
	created := slices.Clone(base)
	created[1].Doc.Status = http.StatusOK
	if got := apidoc.Breaking(old.Document(), load(created).Document()); !slices.Contains(got, "POST /pets: answer 201 was removed") {
		t.Errorf("a changed status: %q", got)
	}
	type strictBody struct {
		Name  *string `json:"name" required:"true"`
		Breed string  `json:"breed"`
	}
	strict := slices.Clone(base)
	strict[1].Body = strictBody{}
	if got := apidoc.Breaking(old.Document(), load(strict).Document()); !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "field breed is now required") }) {
		t.Errorf("a newly required request field: %q", got)
	}
}
