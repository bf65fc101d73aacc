package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPI is the API described in OpenAPI 3. It is generated from the
// route table and the response types in openapi_test.go; the test fails
// when it is out of date (`go test ./internal/httpapi -run TestOpenAPI
// -update` rewrites it).
//
//go:embed openapi.json
var openAPI []byte

// serveOpenAPI answers GET /api/v1/openapi.json. The description holds no
// data, so it needs no token.
func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPI)
}

// OpenAPI returns the API's OpenAPI 3 description (JSON).
func OpenAPI() []byte { return openAPI }
