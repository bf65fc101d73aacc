package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/httpapi"
)

var (
	openAPIOnce   sync.Once
	openAPIRouter routers.Router
	openAPIErr    error
)

// checkOpenAPI holds every API answer the tests in this package get to the
// published description: the route is documented, and a JSON answer with a
// documented status has the documented shape. It runs on the real handlers
// over the whole stack, so the description cannot drift from them.
func checkOpenAPI(t *testing.T, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		return
	}
	openAPIOnce.Do(func() {
		var doc *openapi3.T
		doc, openAPIErr = openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
		if openAPIErr == nil {
			openAPIRouter, openAPIErr = legacy.NewRouter(doc)
		}
	})
	require.NoError(t, openAPIErr)
	route, params, err := openAPIRouter.FindRoute(req)
	if err != nil && status == http.StatusNotFound {
		return // an endpoint that does not exist is not in the description
	}
	require.NoError(t, err, "%s %s is served but not in openapi.json", req.Method, req.URL.Path)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(body))}
	require.NoError(t, openapi3filter.ValidateResponse(context.Background(), out),
		"%s %s answered %d with a body openapi.json does not describe: %.2000s", req.Method, req.URL.Path, status, body)
}
