package apidoc

import (
	"fmt"
	"slices"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// Breaking lists what newer takes away from clients written against older
// (both loaded, refs resolved): an operation removed (a path renamed is one
// removed and one added), a parameter removed or newly required, an answer
// status or content type removed, a field removed from an answer or no
// longer always sent, a field a request could send removed, or one newly
// required, and a field whose type changed. Additions are not breaks.
func Breaking(older, newer *openapi3.T) []string {
	var out []string
	for _, path := range older.Paths.InMatchingOrder() {
		oldItem, newItem := older.Paths.Value(path), newer.Paths.Value(path)
		for _, method := range sortedMethods(oldItem) {
			oldOp := oldItem.GetOperation(method)
			where := method + " " + path
			var newOp *openapi3.Operation
			if newItem != nil {
				newOp = newItem.GetOperation(method)
			}
			if newOp == nil {
				out = append(out, where+": the operation was removed")
				continue
			}
			add := func(format string, args ...any) { out = append(out, where+": "+fmt.Sprintf(format, args...)) }
			params := func(op *openapi3.Operation) map[string]*openapi3.Parameter {
				m := map[string]*openapi3.Parameter{}
				for _, p := range op.Parameters {
					if p.Value != nil {
						m[p.Value.In+" "+p.Value.Name] = p.Value
					}
				}
				return m
			}
			oldParams, newParams := params(oldOp), params(newOp)
			for key := range oldParams {
				if newParams[key] == nil {
					add("parameter %s was removed", key)
				}
			}
			for key, p := range newParams {
				if p.Required && (oldParams[key] == nil || !oldParams[key].Required) {
					add("parameter %s is now required", key)
				}
			}
			if oldOp.RequestBody != nil && oldOp.RequestBody.Value != nil {
				switch {
				case newOp.RequestBody == nil || newOp.RequestBody.Value == nil:
					add("the request body was removed")
				default:
					for ct, mt := range oldOp.RequestBody.Value.Content {
						nmt := newOp.RequestBody.Value.Content.Get(ct)
						if nmt == nil {
							add("the request body no longer takes %s", ct)
							continue
						}
						compare(&out, where+" request", mt.Schema, nmt.Schema, false, 0)
					}
				}
			} else if newOp.RequestBody != nil && newOp.RequestBody.Value != nil && newOp.RequestBody.Value.Required {
				add("a request body is now required")
			}
			if oldOp.Responses == nil {
				continue
			}
			for code, oldResp := range oldOp.Responses.Map() {
				newResp := newOp.Responses.Value(code)
				if newResp == nil {
					add("answer %s was removed", code)
					continue
				}
				if oldResp.Value == nil || newResp.Value == nil {
					continue
				}
				for ct, mt := range oldResp.Value.Content {
					nmt := newResp.Value.Content.Get(ct)
					if nmt == nil {
						add("answer %s is no longer %s", code, ct)
						continue
					}
					compare(&out, where+" answer "+code, mt.Schema, nmt.Schema, true, 0)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// compare reports fields of old missing from new. In answers (answer
// true) a field always sent must stay always sent; in requests a field
// may not become required.
func compare(out *[]string, where string, old, new *openapi3.SchemaRef, answer bool, depth int) {
	if old == nil || old.Value == nil || new == nil || new.Value == nil || depth > 12 {
		return
	}
	o, n := flatten(old.Value), flatten(new.Value)
	if o.Type != nil && n.Type != nil && !sameTypes(*o.Type, *n.Type, answer) {
		*out = append(*out, fmt.Sprintf("%s: type %v became %v", where, *o.Type, *n.Type))
		return
	}
	for name, prop := range o.Properties {
		np, ok := n.Properties[name]
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: field %s was removed", where, name))
			continue
		}
		if answer && slices.Contains(o.Required, name) && !slices.Contains(n.Required, name) {
			*out = append(*out, fmt.Sprintf("%s: field %s is no longer always sent", where, name))
		}
		compare(out, where+"."+name, prop, np, answer, depth+1)
	}
	if !answer {
		for _, name := range n.Required {
			if !slices.Contains(o.Required, name) {
				*out = append(*out, fmt.Sprintf("%s: field %s is now required", where, name))
			}
		}
	}
	if o.Items != nil {
		compare(out, where+"[]", o.Items, n.Items, answer, depth+1)
	}
}

// flatten is a schema with the properties of its single-branch oneOf (a
// nullable object: the object or null) taken in.
func flatten(s *openapi3.Schema) *openapi3.Schema {
	for _, branch := range s.OneOf {
		if branch.Value != nil && branch.Value.Properties != nil {
			return branch.Value
		}
	}
	return s
}

// sameTypes: in answers the new types must be among the old (a client
// handles only those); in requests the old must be among the new.
func sameTypes(old, new openapi3.Types, answer bool) bool {
	sub, super := []string(old), []string(new)
	if answer {
		sub, super = super, sub
	}
	for _, t := range sub {
		if !slices.Contains(super, t) && !(t == "integer" && slices.Contains(super, "number")) {
			return false
		}
	}
	return true
}

func sortedMethods(item *openapi3.PathItem) []string {
	var out []string
	for m := range item.Operations() {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}
