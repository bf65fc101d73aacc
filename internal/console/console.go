// Package console is irbot's web console: server-rendered pages on the same
// incident service as Slack and the API. Handlers only parse and present;
// every permission and business rule is the service's. Sessions are
// github.com/alexedwards/scs/v2 cookies kept in the store; every form carries
// a per-session CSRF token and the whole console sits behind Go's
// http.CrossOriginProtection and a strict Content-Security-Policy (no inline
// script or style).
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Service is the incident service as the console uses it.
type Service interface {
	Declare(ctx context.Context, actor workflows.Actor, req incident.DeclareRequest) (*workflows.IncidentState, error)
	ListPage(ctx context.Context, actor workflows.Actor, f store.IncidentFilter) (store.IncidentPage, error)
	Get(ctx context.Context, actor workflows.Actor, id string) (*workflows.IncidentState, error)
	Act(ctx context.Context, actor workflows.Actor, id string, a workflows.Action) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, actor workflows.Actor, id string) ([]store.Event, error)
	Verify(ctx context.Context, actor workflows.Actor, id string) (store.VerifyResult, error)
	Register(ctx context.Context, actor workflows.Actor) ([]store.RegisterEntry, error)
	Notices(ctx context.Context, actor workflows.Actor, id string) ([]workflows.NoticeState, error)
	DraftNotice(ctx context.Context, actor workflows.Actor, id string, req incident.NoticeRequest) (*workflows.NoticeState, error)
	NoticeAct(ctx context.Context, actor workflows.Actor, id, noticeID string, a workflows.NoticeAction) (*workflows.NoticeState, error)
	RecordDenial(ctx context.Context, incidentID string, actor workflows.Actor, a workflows.Action, reason string) error
	MayReviewSignIns(actor workflows.Actor) error
	ClockZone(regime, obligation string) string
	// NoticeLanguages are the languages a notice for the obligation can be
	// drafted in and the default (the regime's jurisdiction's).
	NoticeLanguages(regime, obligation string) (langs []string, def string)
	// Offers says which action forms the incident page shows a person.
	Offers(actor workflows.Actor, st *workflows.IncidentState, notices []workflows.NoticeState) workflows.Offers
}

var _ Service = (*incident.Service)(nil)

// Store is what the console keeps: sessions, sign-in links, sign-ins.
type Store interface {
	store.ConsoleStore
}

// EvidencePacks writes an incident's evidence pack (a zip). Nil means "not
// available in this build" (501).
type EvidencePacks interface {
	WriteEvidence(ctx context.Context, actor workflows.Actor, w io.Writer, incidentID string) error
}

// BreachRegister reads the breach register (one row per live incident),
// filtered. Nil means "not available in this build" (501).
type BreachRegister interface {
	BreachRegister(ctx context.Context, actor workflows.Actor, f incident.BreachFilter) ([]incident.BreachEntry, error)
}

var _ BreachRegister = (*incident.Service)(nil)

// DrillScenario is one drill scenario as the console lists it.
type DrillScenario struct {
	ID         string
	Title      string
	Summary    string
	Regimes    []string
	Duration   string
	Objectives []string
	Autoplay   bool
}

// Drills runs drills. Nil means the drills tab says
// "drills not available in this build".
type Drills interface {
	Scenarios(ctx context.Context, actor workflows.Actor) ([]DrillScenario, error)
	// StartDrill starts scenario (with autoplay when asked) and returns the
	// drill's incident ID.
	StartDrill(ctx context.Context, actor workflows.Actor, scenario string, autoplay bool) (incidentID string, err error)
	// WriteReportHTML writes the drill's report with its improvement plan.
	WriteReportHTML(ctx context.Context, actor workflows.Actor, w io.Writer, incidentID string) error
	// Drill is a drill's live state (status, injects, improvement plan).
	Drill(ctx context.Context, actor workflows.Actor, incidentID string) (*workflows.DrillState, error)
	// Control applies a facilitator control (workflows.DrillActionTypes).
	Control(ctx context.Context, actor workflows.Actor, incidentID, action string) error
	// Improve replaces the drill's improvement plan; final makes the report
	// final.
	Improve(ctx context.Context, actor workflows.Actor, incidentID string, items []workflows.Improvement, final bool) error
	// MayRunDrills says whether actor may start and steer drills; the page
	// shows the start form and the facilitator controls only then.
	MayRunDrills(actor workflows.Actor) error
}

// DrillSchedules schedules drills on cron expressions: the incident
// service, which holds every rule (roles, the cron parser, duplicates).
// Nil: the drills page lists no schedules.
type DrillSchedules interface {
	CreateDrillSchedule(ctx context.Context, actor workflows.Actor, req incident.DrillScheduleRequest) (*schedule.DrillSchedule, error)
	DrillSchedules(ctx context.Context, actor workflows.Actor) ([]schedule.DrillSchedule, error)
	DeleteDrillSchedule(ctx context.Context, actor workflows.Actor, id string) error
}

var _ DrillSchedules = (*incident.Service)(nil)

// LocalAdminID is the identity of the first-run local administrator that
// `irbot serve` offers a sign-in link for when no users are configured.
const LocalAdminID = "local-admin"

// Config wires a Console.
type Config struct {
	Service   Service
	Store     Store
	Directory *auth.Directory
	Logger    *slog.Logger
	// LocalAdmin allows the first-run local admin (no users configured);
	// LocalAdminAnywhere lets its link be used from other than loopback.
	LocalAdmin         bool
	LocalAdminAnywhere bool
	// PublicURL is the console's external base URL (IRBOT_PUBLIC_URL); an
	// https URL makes the session cookie Secure.
	PublicURL string
	// SecureCookie forces Secure cookies (the server itself speaks TLS).
	SecureCookie bool
	// TrustedProxyHeader names a header carrying the signed-in user's ID,
	// believed only from TrustedProxies (off when empty).
	TrustedProxyHeader string
	TrustedProxies     []netip.Prefix
	// Regimes offered in the declare form and the filters.
	Regimes []string
	// Optional parts built by other branches; nil says "not available".
	Evidence       EvidencePacks
	BreachRegister BreachRegister
	Drills         Drills
	Schedules      DrillSchedules
	Record         Record
	Now            func() time.Time
}

// Console is the web console's handler.
type Console struct {
	cfg      Config
	sessions *scs.SessionManager
	pages    map[string]*template.Template
	limiter  *limiter
	log      *slog.Logger
}

// Session keys.
const (
	keyUser    = "uid"
	keyName    = "name"
	keyRoles   = "roles"
	keyBuiltin = "builtin"
	keyCSRF    = "csrf"
	keyFlash   = "flash"
)

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.Service == nil || cfg.Store == nil || cfg.Directory == nil {
		return nil, errors.New("console: Service, Store and Directory are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, log: cfg.Logger, limiter: newLimiter(10, time.Minute)}
	if c.log == nil {
		c.log = slog.Default()
	}
	sm := scs.New()
	sm.Store = sessionStore{cfg.Store}
	// No idle timeout: it would rewrite the session row on every request,
	// a synchronous store write on each page view.
	sm.Lifetime = 12 * time.Hour
	sm.Cookie.Name = "irbot_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.SecureCookie || strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://")
	sm.Cookie.Path = "/"
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		c.log.Error("console session", "error", err)
		http.Error(w, "session store unavailable; try again", http.StatusServiceUnavailable)
	}
	c.sessions = sm
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	return c, nil
}

// sessionStore adapts the store to scs's CtxStore.
type sessionStore struct{ st Store }

func (s sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}
func (s sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}
func (s sessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }
func (s sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	return s.st.SessionFind(ctx, token)
}
func (s sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.st.SessionCommit(ctx, token, b, expiry)
}
func (s sessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.st.SessionDelete(ctx, token)
}

var _ scs.CtxStore = sessionStore{}

// Routes returns the console's patterns for the HTTP server's mux. The
// JSON API keeps /api/v1.
func (c *Console) Routes() map[string]http.Handler {
	h := c.Handler()
	return map[string]http.Handler{"/": h}
}

// Handler is the whole console, with sessions, CSRF and security headers.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", c.loginPage)
	mux.HandleFunc("POST /login", c.loginToken)
	mux.HandleFunc("GET /login/link/{token}", c.linkPage)
	mux.HandleFunc("POST /login/link/{token}", c.linkConsume)
	mux.HandleFunc("POST /logout", c.logout)
	mux.HandleFunc("GET /{$}", c.authed(c.incidentsPage))
	mux.HandleFunc("GET /incidents", c.authed(c.incidentsPage))
	mux.HandleFunc("POST /incidents", c.authed(c.declare))
	mux.HandleFunc("GET /incidents/{id}", c.authed(c.incidentPage))
	mux.HandleFunc("GET /incidents/{id}/verify", c.authed(c.incidentPage))
	mux.HandleFunc("POST /incidents/{id}/actions", c.authed(c.act))
	mux.HandleFunc("POST /incidents/{id}/notices", c.authed(c.draftNotice))
	mux.HandleFunc("POST /incidents/{id}/notices/{notice}/actions", c.authed(c.noticeAct))
	mux.HandleFunc("GET /incidents/{id}/evidence", c.authed(c.evidence))
	mux.HandleFunc("GET /register", c.authed(c.registerPage))
	mux.HandleFunc("GET /breach-register", c.authed(c.breachRegister))
	mux.HandleFunc("GET /drills", c.authed(c.drillsPage))
	mux.HandleFunc("POST /drills", c.authed(c.startDrill))
	mux.HandleFunc("POST /drills/{id}/control", c.authed(c.drillControl))
	mux.HandleFunc("POST /drills/{id}/improvements", c.authed(c.drillImprove))
	mux.HandleFunc("GET /drills/{id}/report", c.authed(c.drillReport))
	mux.HandleFunc("POST /drill-schedules", c.authed(c.createDrillSchedule))
	mux.HandleFunc("POST /drill-schedules/{id}/delete", c.authed(c.deleteDrillSchedule))
	mux.HandleFunc("GET /sign-ins", c.authed(c.signInsPage))
	mux.HandleFunc("GET /record", c.authed(c.recordPage))
	mux.HandleFunc("GET /record/checkpoints/{n}", c.authed(c.checkpointFile))
	mux.HandleFunc("POST /record/checkpoints", c.authed(c.signCheckpoint))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusNotFound, "error", page{Title: "Not found", Error: "There is no page at " + r.URL.Path + "."})
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	// Static files are the same for everyone: no session is loaded for
	// them (no store read, no cookie, no Vary: Cookie), so browsers and
	// shared caches may keep them.
	outer := http.NewServeMux()
	outer.Handle("GET /static/", staticHandler())
	outer.Handle("/", cop.Handler(c.sessions.LoadAndSave(c.checkCSRF(mux))))
	return securityHeaders(c.secure(), outer)
}

// assetVersions maps each static file to the start of its SHA-256: the
// pages link /static/NAME?v=VERSION, so a new build's files get new URLs
// and the old ones can be cached for good.
var assetVersions = func() map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:8])
		return nil
	})
	return out
}()

// assetURL is the versioned URL of a static file.
func assetURL(name string) string {
	if v, ok := assetVersions[name]; ok {
		return "/static/" + name + "?v=" + v
	}
	return "/static/" + name
}

// staticHandler serves the embedded files with an ETag; a request for the
// current version (?v=) may be cached for a year as immutable, any other
// must revalidate (304 when unchanged).
func staticHandler() http.Handler {
	static, _ := fs.Sub(staticFiles, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		v, ok := assetVersions[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("ETag", `"`+v+`"`)
		if r.URL.Query().Get("v") == v {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

func (c *Console) secure() bool { return c.sessions.Cookie.Secure }

// securityHeaders sets a strict CSP and the usual headers on every answer.
func securityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// Sign-in links carry their secret in the path: never send it on.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// csrfToken returns the session's CSRF token, creating it on first use.
func (c *Console) csrfToken(ctx context.Context) string {
	t := c.sessions.GetString(ctx, keyCSRF)
	if t == "" {
		t = randomToken(32)
		c.sessions.Put(ctx, keyCSRF, t)
	}
	return t
}

// checkCSRF refuses every POST whose form token is not the session's.
func (c *Console) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		want := c.sessions.GetString(r.Context(), keyCSRF)
		got := r.PostFormValue("csrf")
		if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			c.render(w, r, http.StatusForbidden, "error", page{Title: "Form expired", Error: "This form is missing its security token or it is out of date (CSRF check). Go back, reload the page and try again."})
			return
		}
		next.ServeHTTP(w, r)
	})
}

type actorHandler func(w http.ResponseWriter, r *http.Request, actor workflows.Actor)

// authed resolves the session (or a trusted proxy's header) to a person;
// without one, pages redirect to the sign-in page.
func (c *Console) authed(h actorHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, ok := c.actor(r)
		if !ok {
			if actor, ok = c.proxySignIn(r); !ok {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
		}
		h(w, r, actor)
	}
}

// actor is the signed-in person. People from the users file are looked up
// afresh on every request, so a removed user or a changed role takes effect
// at once; the built-in identities (local admin, bootstrap token) keep the
// roles they signed in with.
func (c *Console) actor(r *http.Request) (workflows.Actor, bool) {
	ctx := r.Context()
	id := c.sessions.GetString(ctx, keyUser)
	if id == "" {
		return workflows.Actor{}, false
	}
	if c.sessions.GetBool(ctx, keyBuiltin) {
		roles, _ := c.sessions.Get(ctx, keyRoles).([]string)
		return workflows.Actor{ID: id, Name: c.sessions.GetString(ctx, keyName), Roles: roles}, true
	}
	u, ok := c.cfg.Directory.ByID(id)
	if !ok {
		return workflows.Actor{}, false
	}
	return u.Actor(), true
}

// startSession signs actor in: a new session token (no fixation), a new
// CSRF token, and the sign-in on the record.
func (c *Console) startSession(r *http.Request, actor workflows.Actor, builtin bool, method string) error {
	ctx := r.Context()
	if err := c.sessions.RenewToken(ctx); err != nil {
		return err
	}
	c.sessions.Put(ctx, keyUser, actor.ID)
	c.sessions.Put(ctx, keyName, actor.Name)
	c.sessions.Put(ctx, keyBuiltin, builtin)
	if builtin {
		c.sessions.Put(ctx, keyRoles, actor.Roles)
	}
	c.sessions.Put(ctx, keyCSRF, randomToken(32))
	c.recordSignIn(r, actor.ID, method, true, "")
	return nil
}

func (c *Console) recordSignIn(r *http.Request, userID, method string, ok bool, reason string) {
	si := store.SignIn{At: c.cfg.Now().UTC(), UserID: userID, Method: method, OK: ok, Remote: remoteIP(r).String(), Reason: reason}
	if err := c.cfg.Store.RecordSignIn(r.Context(), si); err != nil {
		c.log.Error("console: record sign-in", "error", err)
	}
	c.log.Info("console sign-in", "user", userID, "method", method, "ok", ok)
}

// proxySignIn signs in the person a trusted proxy names in its header.
func (c *Console) proxySignIn(r *http.Request) (workflows.Actor, bool) {
	if c.cfg.TrustedProxyHeader == "" {
		return workflows.Actor{}, false
	}
	v := strings.TrimSpace(r.Header.Get(c.cfg.TrustedProxyHeader))
	if v == "" || !c.fromTrustedProxy(r) {
		return workflows.Actor{}, false
	}
	u, ok := c.cfg.Directory.ByID(v)
	if !ok {
		c.recordSignIn(r, v, "proxy", false, "not in the users file")
		return workflows.Actor{}, false
	}
	if err := c.startSession(r, u.Actor(), false, "proxy"); err != nil {
		return workflows.Actor{}, false
	}
	return u.Actor(), true
}

func (c *Console) fromTrustedProxy(r *http.Request) bool {
	ip := remoteIP(r)
	for _, p := range c.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// limiter is a fixed-window counter per client address, for POST /login.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[netip.Addr]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, per time.Duration) *limiter {
	return &limiter{max: max, window: per, seen: map[netip.Addr]*window{}}
}

// allow counts one attempt from ip and says whether it is within the limit.
func (l *limiter) allow(ip netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 10000 { // forget everyone rather than grow without bound
		l.seen = map[netip.Addr]*window{}
	}
	w := l.seen[ip]
	if w == nil || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.seen[ip] = w
	}
	w.n++
	return w.n <= l.max
}

// statusOf maps a service error to the status the page answers with.
func statusOf(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail shows a service error as a page: the service's own words for domain
// errors, a reference for internal ones.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := apperr.MessageOf(err)
	if status == http.StatusInternalServerError {
		ref := randomToken(6)
		c.log.Error("console request failed", "ref", ref, "path", r.URL.Path, "error", err)
		msg = "internal error (ref " + ref + ")"
	}
	c.render(w, r, status, "error", page{Title: http.StatusText(status), Error: msg})
}
