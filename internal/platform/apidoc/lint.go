package apidoc

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Lint lists what the document lacks for a client writer: every operation
// needs an id, a summary, a success answer and its error answers (401 and
// 403 when it needs a token, 404 when it names a resource, 400 when it
// reads a body, 500), and every answer a description. Each finding
// says what to add to the route's row.
func Lint(doc *openapi3.T) []string {
	var out []string
	ids := map[string]string{}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			where := method + " " + path
			add := func(format string, args ...any) {
				out = append(out, where+": "+fmt.Sprintf(format, args...))
			}
			switch {
			case op.OperationID == "":
				add("no operationId")
			case ids[op.OperationID] != "":
				add("operationId %s is also %s's", op.OperationID, ids[op.OperationID])
			default:
				ids[op.OperationID] = where
			}
			if strings.TrimSpace(op.Summary) == "" {
				add(`no summary: add Doc: httpapi.Doc{Summary: "...", Reply: <answer type>{}} to its auth.Route row`)
			}
			if op.Responses == nil {
				add("no answers")
				continue
			}
			success := false
			for code, r := range op.Responses.Map() {
				if strings.HasPrefix(code, "2") || strings.HasPrefix(code, "3") {
					success = true
				}
				if r.Value == nil || r.Value.Description == nil || *r.Value.Description == "" {
					add("answer %s has no description", code)
				}
			}
			if !success {
				add("no success answer")
			}
			need := []int{http.StatusInternalServerError}
			if op.Security != nil && len(*op.Security) > 0 {
				need = append(need, http.StatusUnauthorized)
				if _, basic := (*op.Security)[0][basicScheme]; !basic {
					need = append(need, http.StatusForbidden)
				}
			}
			if strings.Contains(path, "{") {
				need = append(need, http.StatusNotFound)
			}
			if op.RequestBody != nil {
				need = append(need, http.StatusBadRequest)
			}
			slices.Sort(need)
			for _, status := range need {
				r := op.Responses.Status(status)
				if r == nil {
					add("no %d answer", status)
					continue
				}
				if r.Value != nil && status >= 400 && r.Value.Content.Get("application/problem+json") == nil {
					add("the %d answer is not application/problem+json", status)
				}
			}
		}
	}
	return out
}
