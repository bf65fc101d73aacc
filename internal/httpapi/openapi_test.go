package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

var updateOpenAPI = flag.Bool("update", false, "rewrite openapi.json from the route table")

// apiRoute is one documented endpoint: the route table openapi.json is
// generated from. A route served but missing here, or listed here but not
// served, fails TestOpenAPIDocumentsEveryServedRoute.
type apiRoute struct {
	method, path, summary, tag string
	public                     bool     // no bearer token needed
	query                      []string // query parameters, "name: description"
	idempotent                 bool     // takes an Idempotency-Key header
	body                       any      // JSON request body (a Go value of the type)
	bodyMedia                  string   // a non-JSON request body's media type
	status                     int      // the success status
	resp                       any      // JSON response (a Go value of the type)
	media                      []string // other media types the success answer may have (format=...)
}

// declareBody is POST /api/v1/incidents' body: aware_at is RFC 3339 text.
type declareBody struct {
	incident.DeclareRequest
	AwareAt string `json:"aware_at,omitempty"`
}

// noticeActionBody is POST .../notices/{notice}/actions' body.
type noticeActionBody struct {
	Type   string `json:"type"`
	Reason string `json:"reason,omitempty"`
}

// drillActionBody is POST /api/v1/drills/{id}/actions' body.
type drillActionBody struct {
	Type         string                  `json:"type"`
	Event        string                  `json:"event,omitempty"`
	Question     string                  `json:"question,omitempty"`
	Answer       string                  `json:"answer,omitempty"`
	Improvements []workflows.Improvement `json:"improvements,omitempty"`
	WentWell     string                  `json:"went_well,omitempty"`
	Improve      string                  `json:"improve,omitempty"`
	Rating       int                     `json:"rating,omitempty"`
}

var apiRoutes = []apiRoute{
	{method: "GET", path: "/healthz", summary: "The process runs", tag: "health", public: true, status: 200, resp: Health{}},
	{method: "GET", path: "/metrics", summary: "Prometheus text exposition: live figures (open incidents, clocks, notices sent, refusals), drills only under irbot_drill_*, Slack failures; the bearer token is IRBOT_METRICS_TOKEN, not a user's", tag: "health",
		status: 200, media: []string{"text/plain"}},
	{method: "GET", path: "/readyz", summary: "Temporal, the store and the worker are ready (503 until then)", tag: "health", public: true, status: 200, resp: Readiness{}},
	{method: "GET", path: "/api/v1/openapi.json", summary: "This description", tag: "meta", public: true, status: 200},
	{method: "POST", path: "/api/v1/incidents", summary: "Declare an incident", tag: "incidents", idempotent: true, body: declareBody{}, status: 201, resp: Incident{}},
	{method: "GET", path: "/api/v1/incidents", summary: "List incidents (newest first); any filter pages the answer and sets total", tag: "incidents",
		query: []string{"status: open or closed", "mode: live or drill", "severity: critical, high, medium or low", "regime: a regime id",
			"from: declared at or after (RFC 3339 or YYYY-MM-DD)", "to: declared before (RFC 3339 or YYYY-MM-DD)", "limit: page size (default 500)", "offset: rows to skip"},
		status: 200, resp: IncidentList{}},
	{method: "GET", path: "/api/v1/incidents/{id}", summary: "An incident: phase, tasks, gates, roles, facts, clocks, notices", tag: "incidents", status: 200, resp: Incident{}},
	{method: "POST", path: "/api/v1/incidents/{id}/actions", summary: "Take an incident action (complete_task, set_fact, assign_role, close, ...)", tag: "incidents", body: workflows.Action{}, status: 200, resp: Incident{}},
	{method: "GET", path: "/api/v1/incidents/{id}/timeline", summary: "The hash-chained timeline", tag: "evidence",
		query: []string{"format: json (default), csv or md"}, status: 200, resp: Timeline{}, media: []string{"text/csv", "text/markdown"}},
	{method: "GET", path: "/api/v1/incidents/{id}/timeline/verify", summary: "Recompute the timeline's hash chain", tag: "evidence", status: 200, resp: store.VerifyResult{}},
	{method: "GET", path: "/api/v1/register", summary: "The notification register: every notice and every decision not to notify", tag: "evidence",
		query:  []string{"format: json (default) or csv", "from: recorded at or after", "to: recorded before", "incident: an incident id", "regime: a regime id", "status: a register status"},
		status: 200, resp: Register{}, media: []string{"text/csv"}},
	{method: "GET", path: "/api/v1/incidents/{id}/notices", summary: "The incident's notices", tag: "notices", status: 200, resp: NoticeList{}},
	{method: "POST", path: "/api/v1/incidents/{id}/notices", summary: "Draft a notice for one obligation", tag: "notices", idempotent: true, body: incident.NoticeRequest{}, status: 201, resp: workflows.NoticeState{}},
	{method: "GET", path: "/api/v1/incidents/{id}/notices/{notice}", summary: "One notice", tag: "notices", status: 200, resp: workflows.NoticeState{}},
	{method: "POST", path: "/api/v1/incidents/{id}/notices/{notice}/actions", summary: "approve, reject, send or decide_not_to_notify", tag: "notices", body: noticeActionBody{}, status: 200, resp: workflows.NoticeState{}},
	{method: "POST", path: "/api/v1/incidents/{id}/campaigns", summary: "Upload the recipients of a notice to individuals (CSV) and start sending", tag: "notices",
		query: []string{"notice: the notice id", "skip_invalid: true to send to the valid rows when some are not"}, bodyMedia: "text/csv", status: 202, resp: incident.CampaignReport{}},
	{method: "GET", path: "/api/v1/incidents/{id}/notices/{notice}/campaign", summary: "A campaign's progress", tag: "notices", status: 200, resp: workflows.CampaignProgress{}},
	{method: "GET", path: "/api/v1/drills/scenarios", summary: "The scenario packages", tag: "drills", status: 200, resp: ScenarioList{}},
	{method: "POST", path: "/api/v1/drills", summary: "Start a drill", tag: "drills", idempotent: true, body: incident.DrillRequest{}, status: 201, resp: incident.DrillStarted{}},
	{method: "GET", path: "/api/v1/drills/schedules", summary: "The scheduled drills, soonest first, with their next run times", tag: "drills", status: 200, resp: incident.DrillScheduleList{}},
	{method: "POST", path: "/api/v1/drills/schedules", summary: "Schedule a drill on a cron expression in a time zone (managers); 409 names the schedule when the scenario is already scheduled at these times", tag: "drills", body: incident.DrillScheduleRequest{}, status: 201, resp: schedule.DrillSchedule{}},
	{method: "DELETE", path: "/api/v1/drills/schedules/{id}", summary: "Delete a drill schedule (managers)", tag: "drills", status: 200, resp: DrillScheduleDeleted{}},
	{method: "GET", path: "/api/v1/drills/{id}", summary: "A drill", tag: "drills", status: 200, resp: Drill{}},
	{method: "POST", path: "/api/v1/drills/{id}/actions", summary: "pause, resume, inject_now, skip, end, answer, feedback, improve or finalize", tag: "drills", body: drillActionBody{}, status: 200, resp: Drill{}},
	{method: "GET", path: "/api/v1/drills/{id}/report", summary: "The after-action report", tag: "drills",
		query: []string{"format: json (default), md, html or pdf"}, status: 200, media: []string{"application/json", "text/markdown", "text/html", "application/pdf"}},
	{method: "GET", path: "/api/v1/incidents/{id}/evidence", summary: "The incident's evidence pack (zip: manifest, timeline, notices as .eml, registers, verify result, report.pdf, VERIFY.md)", tag: "evidence",
		status: 200, media: []string{"application/zip"}},
	{method: "GET", path: "/api/v1/incidents/{id}/notices/{notice}/message", summary: "The exact message sent (RFC 5322 bytes)", tag: "evidence", status: 200, media: []string{"message/rfc822"}},
	{method: "GET", path: "/api/v1/breach-register", summary: "The breach register (GDPR Art. 33(5)): one row per live incident from its declaration on", tag: "evidence",
		query:  []string{"format: json (default) or csv", "from: declared at or after", "to: declared before", "regime: a regime id", "hipaa_year: the HIPAA annual log of breaches under 500 people for this calendar year"},
		status: 200, resp: BreachRegister{}, media: []string{"text/csv"}},
	{method: "GET", path: "/api/v1/checkpoints/{n}", summary: "A signed checkpoint of every chain head (n: a number, or latest), as irbot verify --checkpoint reads it; record readers", tag: "evidence",
		query: []string{"format: json (default) or text (the daily digest's form)"}, status: 200, resp: store.Checkpoint{}, media: []string{"text/plain"}},
	{method: "POST", path: "/api/v1/checkpoints", summary: "Sign a checkpoint of every chain head now; record readers", tag: "evidence",
		query: []string{"format: json (default) or text (the daily digest's form)"}, status: 201, resp: store.Checkpoint{}, media: []string{"text/plain"}},
	{method: "GET", path: "/api/v1/tombstones", summary: "What retention purged: each purged incident's ID, title, times, event count and final chain head; record readers", tag: "evidence",
		query: []string{"from: purged at or after (RFC 3339 or YYYY-MM-DD)", "to: purged before (RFC 3339, or YYYY-MM-DD included)"}, status: 200, resp: TombstoneList{}},
	{method: "POST", path: "/api/v1/codec/{op}", summary: "Temporal remote payload codec (op: encode or decode) for the Temporal UI and CLI; compliance and admin only", tag: "meta",
		body: codecBody{}, status: 200, resp: codecBody{}},
}

// codecBody is the remote codec's request and answer: Temporal payloads
// in their JSON form.
type codecBody struct {
	Payloads []map[string]any `json:"payloads"`
}

// Types from other packages get their package's name in front, so that
// store.Incident and this package's Incident do not collide.
func schemaName(t reflect.Type) string {
	pkg := filepath.Base(t.PkgPath())
	if pkg == "httpapi" || pkg == "." || t.Name() == "" {
		return strings.ToUpper(t.Name()[:1]) + t.Name()[1:]
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + t.Name()
}

var (
	rawJSONType = reflect.TypeFor[json.RawMessage]()
	spanType    = reflect.TypeFor[playbooks.Span]()
)

// customize makes the generated schemas say what encoding/json writes:
// raw JSON is any value, a Span is text, a nil slice or map is null, and a
// field without omitempty is always present.
func customize(_ string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
	switch {
	case t == rawJSONType:
		*s = openapi3.Schema{Description: "any JSON value", Nullable: true}
	case t == spanType:
		*s = openapi3.Schema{Type: &openapi3.Types{"string"}, Description: "a Go duration, e.g. 6h0m0s", Nullable: s.Nullable}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map:
		s.Nullable = true
	case t.Kind() == reflect.Struct && len(s.Properties) > 0:
		s.Required = nil
		for _, f := range reflect.VisibleFields(t) {
			tag, ok := f.Tag.Lookup("json")
			if !ok || !f.IsExported() || f.Anonymous {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" || strings.Contains(opts, "omitempty") || s.Properties[name] == nil {
				continue
			}
			s.Required = append(s.Required, name)
		}
		slices.Sort(s.Required)
	}
	return nil
}

// componentRef puts v's type in the components and returns a reference to it.
func componentRef(doc *openapi3.T, v any) (*openapi3.SchemaRef, error) {
	t := reflect.TypeOf(v)
	name := schemaName(t)
	if doc.Components.Schemas[name] == nil {
		ref, err := openapi3gen.NewSchemaRefForValue(v, nil, openapi3gen.SchemaCustomizer(customize))
		if err != nil {
			return nil, fmt.Errorf("schema of %s: %w", t, err)
		}
		doc.Components.Schemas[name] = openapi3.NewSchemaRef("", ref.Value)
	}
	return openapi3.NewSchemaRef("#/components/schemas/"+name, nil), nil
}

// buildOpenAPI generates the description from apiRoutes.
func buildOpenAPI() (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "irbot API",
			Version: "v1",
			Description: "irbot's JSON API. Authenticate with Authorization: Bearer TOKEN (a token from the users file or IRBOT_ADMIN_TOKEN). " +
				"Errors are {\"error\": \"...\"}: 400 or 413 for malformed input, 401 without a valid token, 403 when the role does not allow the action, " +
				"404 for unknown ids, 409 for conflicts, 503 with Retry-After when a backend is not ready.",
		},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: openapi3.Schemas{},
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("opaque token")},
			},
		},
		Security: openapi3.SecurityRequirements{{"bearer": []string{}}},
	}
	errRef, err := componentRef(doc, ErrorBody{})
	if err != nil {
		return nil, err
	}
	errResp := func(desc string) *openapi3.ResponseRef {
		return &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(desc).
			WithContent(openapi3.NewContentWithJSONSchemaRef(errRef))}
	}
	for _, r := range apiRoutes {
		op := openapi3.NewOperation()
		op.Summary = r.summary
		op.Tags = []string{r.tag}
		op.OperationID = operationID(r.method, r.path)
		if r.public {
			op.Security = &openapi3.SecurityRequirements{}
		}
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(r.path, -1) {
			op.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema()))
		}
		for _, q := range r.query {
			name, desc, _ := strings.Cut(q, ": ")
			op.AddParameter(openapi3.NewQueryParameter(name).WithDescription(desc).WithSchema(openapi3.NewStringSchema()))
		}
		if r.idempotent {
			op.AddParameter(openapi3.NewHeaderParameter("Idempotency-Key").
				WithDescription("a repeat with the same key answers the first result and changes nothing").
				WithSchema(openapi3.NewStringSchema()))
		}
		switch {
		case r.body != nil:
			ref, err := componentRef(doc, r.body)
			if err != nil {
				return nil, err
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(ref)}
		case r.bodyMedia != "":
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
				WithContent(openapi3.Content{r.bodyMedia: openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())})}
		}
		ok := openapi3.NewResponse().WithDescription(http.StatusText(r.status))
		content := openapi3.Content{}
		if r.resp != nil {
			ref, err := componentRef(doc, r.resp)
			if err != nil {
				return nil, err
			}
			content["application/json"] = openapi3.NewMediaType().WithSchemaRef(ref)
		}
		if r.path == "/api/v1/openapi.json" {
			content["application/json"] = openapi3.NewMediaType().WithSchema(openapi3.NewObjectSchema())
		}
		for _, m := range r.media {
			if content[m] == nil {
				content[m] = openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())
			}
		}
		ok.WithContent(content)
		op.AddResponse(r.status, ok)
		if r.path == "/readyz" {
			op.AddResponse(503, openapi3.NewResponse().WithDescription("not ready yet").WithJSONSchemaRef(openapi3.NewSchemaRef("#/components/schemas/Readiness", nil)))
		}
		if !r.public {
			if r.body != nil || r.bodyMedia != "" || len(r.query) > 0 {
				op.Responses.Set("400", errResp("malformed input, named"))
			}
			op.Responses.Set("401", errResp("no valid bearer token"))
			op.Responses.Set("403", errResp("the role does not allow it"))
			if strings.Contains(r.path, "{") {
				op.Responses.Set("404", errResp("no such incident, notice or drill"))
			}
			op.Responses.Set("503", errResp("a backend is not ready; retry after Retry-After seconds"))
		}
		doc.AddOperation(r.path, r.method, op)
	}
	return doc, nil
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '.' || r == '{' || r == '}' || r == '_' }) {
		if part == "api" || part == "v1" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func renderOpenAPI(t *testing.T) []byte {
	t.Helper()
	doc, err := buildOpenAPI()
	require.NoError(t, err)
	b, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

func loadOpenAPI(t *testing.T, b []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(b)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "openapi.json is not a valid OpenAPI 3 description")
	return doc
}

// The committed description is the one the route table generates, and it
// is valid OpenAPI 3.
// The API's Incident shows every field of the workflow's state except the
// workflow's own bookkeeping, so a new state field is a decision, not an
// accident.
func TestIncidentViewShowsEveryStateField(t *testing.T) {
	internal := map[string]bool{"recent_requests": true, "slack_failures": true, "drill_pause": true,
		"update_nudged_at": true, "unowned_nudged": true}
	fields := func(t reflect.Type) map[string]bool {
		out := map[string]bool{}
		for _, f := range reflect.VisibleFields(t) {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				out[name] = true
			}
		}
		return out
	}
	shown := fields(reflect.TypeFor[Incident]())
	for name := range fields(reflect.TypeFor[workflows.IncidentState]()) {
		if !internal[name] {
			require.True(t, shown[name], "workflows.IncidentState has %q: add it to httpapi.Incident and incidentView, or list it here as internal", name)
		}
	}
	for name := range shown {
		require.True(t, fields(reflect.TypeFor[workflows.IncidentState]())[name], "httpapi.Incident shows %q, which the state does not have", name)
	}
}

func TestOpenAPIIsUpToDateAndValid(t *testing.T) {
	want := renderOpenAPI(t)
	if *updateOpenAPI {
		require.NoError(t, os.WriteFile("openapi.json", want, 0o644))
	}
	loadOpenAPI(t, want)
	require.Equal(t, string(want), string(openAPI),
		"openapi.json is out of date: run go test ./internal/httpapi -run TestOpenAPIIsUpToDateAndValid -update")
}

// routePattern finds the patterns handlers are registered with.
var routePattern = regexp.MustCompile(`"((?:GET|POST|PUT|PATCH|DELETE) (?:/api/[^"\s]*|/healthz|/readyz|/metrics))"`)

// Every route the program registers (anywhere in the module) is in the
// route table, and every route in the table is served.
func TestOpenAPIDocumentsEveryServedRoute(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	registered := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range routePattern.FindAllSubmatch(b, -1) {
			rel, _ := filepath.Rel(root, path)
			registered[string(m[1])] = rel
		}
		return nil
	}))
	require.NotEmpty(t, registered)
	documented := map[string]bool{}
	for _, r := range apiRoutes {
		documented[r.method+" "+r.path] = true
	}
	for route, file := range registered {
		require.True(t, documented[route], "%s (registered in %s) is not in the route table of internal/httpapi/openapi_test.go", route, file)
	}

	srv := newHygieneServer(t, &incident.Service{})
	for _, r := range apiRoutes {
		path := regexp.MustCompile(`\{\w+\}`).ReplaceAllString(r.path, "X-1")
		resp := do(t, srv, r.method, path, "", false)
		body, _ := io.ReadAll(resp.Body)
		if r.public {
			require.NotContains(t, []int{404, 405}, resp.StatusCode, "%s %s is documented but not served: %s", r.method, r.path, body)
			continue
		}
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s %s is documented; without a token it must answer 401, got %d %s", r.method, r.path, resp.StatusCode, body)
	}
}

// The real handlers' answers match the description: the list and register
// endpoints over a real store, the health endpoints, and errors.
func TestAPIAnswersMatchOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t, openAPI)
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	get := newRegisterServer(t)
	check := func(path string, wantStatus int) {
		t.Helper()
		status, body := get(path)
		require.Equal(t, wantStatus, status, "%s: %s", path, body)
		req, err := http.NewRequest("GET", "http://irbot.invalid"+path, nil)
		require.NoError(t, err)
		route, params, err := router.FindRoute(req)
		require.NoError(t, err, path)
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		require.NoError(t, openapi3filter.ValidateRequest(context.Background(), in), path)
		hdr := http.Header{"Content-Type": []string{"application/json"}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: hdr,
			Body: io.NopCloser(bytes.NewReader([]byte(body)))}
		require.NoError(t, openapi3filter.ValidateResponse(context.Background(), out), "%s answered %s", path, body)
	}
	check("/api/v1/incidents", 200)
	check("/api/v1/incidents?mode=live&limit=1", 200)
	check("/api/v1/register", 200)
	check("/api/v1/register?regime=eu-gdpr", 200)
	check("/api/v1/register?from=nonsense", 400)
	check("/healthz", 200)
	check("/api/v1/openapi.json", 200)
	var _ routers.Router = router
}
