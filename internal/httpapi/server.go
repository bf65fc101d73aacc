// Package httpapi serves irbot's JSON API (described in openapi.json) and
// the health endpoints, and mounts the Slack endpoints and the console
// (internal/console) on the same mux. Handlers only translate HTTP to calls
// on the incident service; every rule lives in the service and the workflow.
package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/csvexport"
	"github.com/irbot/irbot/internal/evidence"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/metrics"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// maxBody bounds every request body.
const maxBody = 1 << 20

// Service is the incident service as the API uses it: each group of
// endpoints declares the small interface it uses, and *incident.Service must
// provide them all. A missing method is a build error, never an endpoint
// that is silently not served.
type Service interface {
	IncidentService
	NoticeService
	RecordService
	DrillService
	DrillScheduleService
	WitnessService
	breachRegisters
	registerFilters
	incidentPages
	metrics.Source
}

var _ Service = (*incident.Service)(nil)

// IncidentService is the part of the incident service the incident,
// timeline and register endpoints use.
type IncidentService interface {
	Declare(ctx context.Context, actor workflows.Actor, req incident.DeclareRequest) (*workflows.IncidentState, error)
	List(ctx context.Context, actor workflows.Actor) ([]store.Incident, error)
	Get(ctx context.Context, actor workflows.Actor, id string) (*workflows.IncidentState, error)
	Act(ctx context.Context, actor workflows.Actor, id string, a workflows.Action) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, actor workflows.Actor, id string) ([]store.Event, error)
	Verify(ctx context.Context, actor workflows.Actor, id string) (store.VerifyResult, error)
	Register(ctx context.Context, actor workflows.Actor) ([]store.RegisterEntry, error)
}

// Server is the HTTP front end.
type Server struct {
	Service   Service
	Directory *auth.Directory
	Logger    *slog.Logger
	// Ready reports whether Temporal, the store and the worker are ready.
	Ready func(ctx context.Context) error
	// Extra mounts more handlers (Slack endpoints, console) on the same mux.
	Extra map[string]http.Handler
	// Evidence builds evidence packs (nil: 501).
	Evidence EvidenceWriter
	// Codec is the Temporal remote payload codec (codec.go); nil: 404.
	Codec http.Handler
	// MetricsToken is the bearer token GET /metrics wants
	// (IRBOT_METRICS_TOKEN); empty: metrics are off (401).
	MetricsToken string
}

// metricsMaxAge is how long one reading of the record serves scrapes.
const metricsMaxAge = 2 * time.Second

// Handler returns the routed handler with logging and panic recovery.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Health{OK: true})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI)
	mux.Handle("GET /metrics", metrics.Handler(s.Service, s.MetricsToken, metricsMaxAge))
	mux.HandleFunc("POST /api/v1/incidents", s.authed(s.declare))
	mux.HandleFunc("GET /api/v1/incidents", s.authed(s.list))
	mux.HandleFunc("GET /api/v1/incidents/{id}", s.authed(s.get))
	mux.HandleFunc("POST /api/v1/incidents/{id}/actions", s.authed(s.act))
	mux.HandleFunc("GET /api/v1/incidents/{id}/timeline", s.authed(s.timeline))
	mux.HandleFunc("GET /api/v1/incidents/{id}/timeline/verify", s.authed(s.verify))
	mux.HandleFunc("GET /api/v1/register", s.authed(s.register))
	mux.HandleFunc("POST /api/v1/codec/{op}", s.authed(s.codec))
	s.noticeRoutes(mux)
	s.recordRoutes(mux)
	s.drillRoutes(mux)
	s.drillScheduleRoutes(mux)
	s.evidenceRoutes(mux)
	s.checkpointRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	for pattern, h := range s.Extra {
		mux.Handle(pattern, h)
	}
	return s.recoverer(s.logRequests(securityHeaders(mux)))
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready == nil {
		writeJSON(w, http.StatusServiceUnavailable, Readiness{Error: "starting"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, Readiness{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, Readiness{Ready: true})
}

type actorHandler func(w http.ResponseWriter, r *http.Request, actor workflows.Actor)

// authed resolves the bearer token to a person before anything else.
func (s *Server) authed(h actorHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="irbot"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer TOKEN")
			return
		}
		u, ok := s.Directory.ByToken(strings.TrimSpace(token))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="irbot", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unknown or revoked token")
			return
		}
		h(w, r, u.Actor())
	}
}

func (s *Server) declare(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	var req struct {
		incident.DeclareRequest
		AwareAt *string `json:"aware_at,omitempty"`
	}
	if !s.decode(w, r, &req) {
		return
	}
	if req.AwareAt != nil && *req.AwareAt != "" {
		t, err := time.Parse(time.RFC3339, *req.AwareAt)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("aware_at %q is not an RFC 3339 time, e.g. 2026-03-01T09:30:00Z", *req.AwareAt))
			return
		}
		req.DeclareRequest.AwareAt = &t
	}
	if req.RequestKey == "" {
		req.RequestKey = r.Header.Get("Idempotency-Key")
	}
	st, err := s.Service.Declare(r.Context(), actor, req.DeclareRequest)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, incidentView(st))
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	q, filtered, ok := queryParams(w, r, incidentsParams)
	if !ok {
		return
	}
	if filtered {
		s.listFiltered(w, r, actor, q)
		return
	}
	list, err := s.Service.List(r.Context(), actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Incident{}
	}
	writeJSON(w, http.StatusOK, IncidentList{Incidents: list})
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	st, err := s.Service.Get(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, incidentView(st))
}

func (s *Server) act(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "the body is larger than 1 MiB")
		return
	}
	a, err := incident.ParseAction(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a.Source = "api" // the surface says where an action came from, never the body
	st, err := s.Service.Act(r.Context(), actor, r.PathValue("id"), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, incidentView(st))
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	format, ok := formatParam(w, r, "json", "csv", "md")
	if !ok {
		return
	}
	id := r.PathValue("id")
	events, err := s.Service.Timeline(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if events == nil {
		events = []store.Event{}
	}
	switch format {
	case "json":
		writeJSON(w, http.StatusOK, Timeline{IncidentID: id, Events: events})
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id+"-timeline.csv"))
		_ = WriteTimelineCSV(w, events)
	case "md":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_ = WriteTimelineMarkdown(w, id, events)
	}
}

// formatParam reads ?format=, defaulting to the first allowed value, and
// answers 400 naming the allowed ones when it is something else.
func formatParam(w http.ResponseWriter, r *http.Request, allowed ...string) (string, bool) {
	format := r.URL.Query().Get("format")
	if format == "" {
		return allowed[0], true
	}
	if !slices.Contains(allowed, format) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format must be %s, got %q", strings.Join(allowed, ", "), format))
		return "", false
	}
	return format, true
}

// WriteTimelineCSV writes events as CSV with a header row (csvexport.WriteTimeline).
func WriteTimelineCSV(w io.Writer, events []store.Event) error {
	return csvexport.WriteTimeline(w, events)
}

// WriteTimelineMarkdown writes events as a Markdown table for reports
// (the same table as the evidence pack's timeline.md).
func WriteTimelineMarkdown(w io.Writer, id string, events []store.Event) error {
	_, err := io.WriteString(w, evidence.TimelineMarkdown(id, events))
	return err
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	res, err := s.Service.Verify(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	format, ok := formatParam(w, r, "json", "csv")
	if !ok {
		return
	}
	entries, ok := s.registerEntries(w, r, actor)
	if !ok {
		return
	}
	if entries == nil {
		entries = []store.RegisterEntry{}
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, Register{Entries: entries})
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	_ = WriteRegisterCSV(w, entries)
}

// WriteRegisterCSV writes register entries as CSV with a header row (csvexport.WriteRegister).
func WriteRegisterCSV(w io.Writer, entries []store.RegisterEntry) error {
	return csvexport.WriteRegister(w, entries)
}

// decode reads a JSON body strictly and answers 400 with the reason if it is
// not what the endpoint takes.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "send JSON with Content-Type: application/json")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the body is larger than 1 MiB")
		} else {
			writeError(w, http.StatusBadRequest, "cannot read the body")
		}
		return false
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD and store text
	// other than what was sent: refuse it instead.
	if !utf8.Valid(body) {
		writeError(w, http.StatusBadRequest, "the body is not valid UTF-8 text")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		switch {
		case errors.Is(err, io.EOF):
			writeError(w, http.StatusBadRequest, "the body is empty: send a JSON object")
		default:
			writeError(w, http.StatusBadRequest, "malformed JSON: "+apperr.JSONProblem(err))
		}
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "malformed JSON: more than one value in the body")
		return false
	}
	return true
}

// fail maps a service error to a status. Internal errors are logged in full
// with a reference; the person sees only the reference.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := apperr.CodeOf(err)
	status := map[string]int{
		apperr.Invalid: http.StatusBadRequest, apperr.Unauthorized: http.StatusUnauthorized,
		apperr.Forbidden: http.StatusForbidden, apperr.NotFound: http.StatusNotFound,
		apperr.Conflict: http.StatusConflict, apperr.Unavailable: http.StatusServiceUnavailable,
	}[code]
	if status == 0 {
		ref := newRef()
		s.logger().Error("request failed", "ref", ref, "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, "internal error (ref "+ref+")")
		return
	}
	writeError(w, status, apperr.MessageOf(err)) // a 503 gets Retry-After (headers.go)
}

func newRef() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs method, path (never the query: it may carry a Slack
// response URL or a token by mistake), status and duration.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		path := r.URL.Path
		if strings.HasPrefix(path, "/login/link/") { // the path is a sign-in secret
			path = "/login/link/REDACTED"
		}
		s.logger().Info("http", "method", r.Method, "path", path, "status", rec.status, "ms", time.Since(start).Milliseconds())
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				ref := newRef()
				s.logger().Error("panic", "ref", ref, "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeError(w, http.StatusInternalServerError, "internal error (ref "+ref+")")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
