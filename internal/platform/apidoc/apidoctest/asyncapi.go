package apidoctest

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// asyncAPISchema is the JSON Schema of AsyncAPI 3.0.0 documents
// (testdata/README.md).
//
//go:embed testdata/asyncapi-3.0.0.schema.json.gz
var asyncAPISchema []byte

// ValidateAsyncAPI checks doc (JSON) against the AsyncAPI 3.0.0 schema.
func ValidateAsyncAPI(doc []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(asyncAPISchema))
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	const url = "https://asyncapi.com/definitions/3.0.0/asyncapi.json"
	if err := c.AddResource(url, schemaDoc); err != nil {
		return err
	}
	schema, err := c.Compile(url)
	if err != nil {
		return fmt.Errorf("compile the AsyncAPI schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return schema.Validate(inst)
}
