package apidoc

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// bodies checks JSON bodies against the document's schemas, each compiled
// once. openapi3filter compiles a schema again for every body it checks
// with JSON Schema 2020-12 (an OpenAPI 3.1 document), and compiling costs
// far more than checking (docs/performance.md, "Hot paths"); the checks are
// the same (the document's schema at its JSON pointer, formats asserted).
type bodies struct {
	mu       sync.Mutex // the compiler is not safe for concurrent use
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

const documentURL = "mem:///openapi.json"

func newBodies(document []byte) (*bodies, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(document))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(documentURL, doc); err != nil {
		return nil, err
	}
	return &bodies{compiler: c, compiled: map[string]*jsonschema.Schema{}}, nil
}

// check validates a JSON body against the schema at pointer.
func (b *bodies) check(pointer string, body []byte) error {
	b.mu.Lock()
	schema, ok := b.compiled[pointer]
	if !ok {
		var err error
		schema, err = b.compiler.Compile(documentURL + "#" + pointer)
		if err != nil {
			b.mu.Unlock()
			return fmt.Errorf("compile the schema at %s: %w", pointer, err)
		}
		b.compiled[pointer] = schema
	}
	b.mu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the body is not JSON: %w", err)
	}
	return schema.Validate(inst)
}

// pointer is the JSON pointer of the given keys (RFC 6901).
func pointer(keys ...string) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k))
	}
	return b.String()
}

// mediaKey is the key of content that documents the Content-Type ct, or
// "" if none does.
func mediaKey(content openapi3.Content, ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	for key := range content {
		if k, _, err := mime.ParseMediaType(key); err == nil && strings.EqualFold(k, mt) {
			return key
		}
	}
	return ""
}

// isJSON reports whether a media type is JSON (application/json or a
// +json suffix).
func isJSON(key string) bool {
	mt, _, _ := mime.ParseMediaType(key)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
