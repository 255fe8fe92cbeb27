// Package apiclient is a Go client of the HTTP API generated from the
// committed OpenAPI document (docs/openapi.json) by oapi-codegen; the app's
// tests drive the booking journey with it (TestGeneratedClientBooksATour),
// showing that the document is complete enough to write a client from.
// Regenerate it after the document: go generate ./internal/app/...
package apiclient

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../../../docs/openapi.json
