// Package docs embeds the API descriptions generated from the code, so
// every process serves the whole API's (internal/platform/apidoc): the
// OpenAPI document of the HTTP API and the AsyncAPI document of the events.
// Both are written by `go generate ./internal/app`, and the app's tests fail
// when they differ from what the code describes.
package docs

import _ "embed"

// OpenAPI is openapi.json, the OpenAPI 3.1 document of the HTTP API.
//
//go:embed openapi.json
var OpenAPI []byte

// AsyncAPI is asyncapi.json, the AsyncAPI 3.0 document of the events.
//
//go:embed asyncapi.json
var AsyncAPI []byte
