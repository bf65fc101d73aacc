package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/csvexport"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

// page is what every template gets.
type page struct {
	Title  string
	Actor  workflows.Actor
	CSRF   string
	Error  string
	Flash  string
	Nav    string
	Data   any
	Signed bool
	// MayRecord and MaySignIns show the Record and Sign-ins links: the
	// policy's and the service's answers, not a copy in a template.
	MayRecord  bool
	MaySignIns bool
}

var funcs = template.FuncMap{
	"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"utcp": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"isop": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"inzone": func(t *time.Time, zone string) string {
		if t == nil {
			return "—"
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		return t.In(loc).Format("2006-01-02 15:04 MST")
	},
	"join": strings.Join,
	"short": func(h string) string {
		if len(h) > 16 {
			return h[:16]
		}
		return h
	},
	"delivered": func(d *workflows.DrillState) int {
		n := 0
		for _, e := range d.Events {
			if e.DeliveredAt != nil {
				n++
			}
		}
		return n
	},
	"controlLabel": func(a string) string {
		return map[string]string{workflows.DrillPause: "Pause", workflows.DrillResume: "Resume", workflows.DrillInjectNow: "Inject the next one now",
			workflows.DrillSkip: "Skip the next one", workflows.DrillEnd: "End the drill"}[a]
	},
	// improvementRows are the plan's rows and two blank ones to add.
	"improvementRows": func(items []workflows.Improvement) []workflows.Improvement {
		return append(slices.Clone(items), workflows.Improvement{}, workflows.Improvement{})
	},
	"asset": assetURL,
	"has":   slices.Contains[[]string],
	"add":   func(a, b int) int { return a + b },
	"deref": func(b *bool) bool { return b != nil && *b },
}

func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

// render writes a page through the layout; it renders into a buffer first
// so a template error never sends half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if p.Actor.ID == "" {
		p.Actor, p.Signed = c.actor(r)
	} else {
		p.Signed = true
	}
	if p.Signed {
		p.MayRecord = c.cfg.Record != nil && mayReadRecord(p.Actor)
		p.MaySignIns = c.cfg.Service.MayReviewSignIns(p.Actor) == nil
	}
	p.CSRF = c.csrfToken(r.Context())
	if p.Flash == "" {
		p.Flash = c.sessions.PopString(r.Context(), keyFlash)
	}
	var buf bytes.Buffer
	t := c.pages[name]
	if t == nil {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		c.log.Error("console render", "page", name, "error", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// ---- incidents ----

type incidentsView struct {
	Mode, Status, Severity, Regime, From, To string
	Page                                     store.IncidentPage
	Offset, Limit                            int
	PrevURL, NextURL                         string
	Empty                                    bool
	Regimes                                  []string
	Severities                               []string
	Drills                                   bool
	MayRunDrills                             bool
	Scenarios                                []DrillScenario
}

func parseDate(name, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "%s %q is not a date like 2026-03-01", name, v)
	}
	return &t, nil
}

func (c *Console) incidentsPage(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	q := r.URL.Query()
	v := incidentsView{Mode: q.Get("mode"), Status: q.Get("status"), Severity: q.Get("severity"), Regime: q.Get("regime"),
		From: q.Get("from"), To: q.Get("to"), Limit: 50, Regimes: c.cfg.Regimes, Severities: workflows.Severities, Drills: c.cfg.Drills != nil}
	if v.Mode == "" {
		v.Mode = workflows.ModeLive
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			c.fail(w, r, apperr.New(apperr.Invalid, "offset must be a non-negative number, got %q", s))
			return
		}
		v.Offset = n
	}
	f := store.IncidentFilter{Mode: v.Mode, Status: v.Status, Severity: v.Severity, Regime: v.Regime, Limit: v.Limit, Offset: v.Offset}
	var err error
	if f.From, err = parseDate("from", v.From); err != nil {
		c.fail(w, r, err)
		return
	}
	if f.To, err = parseDate("to", v.To); err != nil {
		c.fail(w, r, err)
		return
	}
	if f.To != nil {
		end := f.To.AddDate(0, 0, 1) // "to" is inclusive on the page
		f.To = &end
	}
	v.Page, err = c.cfg.Service.ListPage(r.Context(), actor, f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	filtered := v.Status != "" || v.Severity != "" || v.Regime != "" || v.From != "" || v.To != "" || v.Offset > 0
	v.Empty = v.Page.Total == 0 && !filtered
	if v.Empty && c.cfg.Drills != nil {
		if v.MayRunDrills = c.cfg.Drills.MayRunDrills(actor) == nil; v.MayRunDrills {
			v.Scenarios, _ = c.cfg.Drills.Scenarios(r.Context(), actor)
		}
	}
	link := func(off int) string {
		u := url.Values{}
		for k, val := range map[string]string{"mode": v.Mode, "status": v.Status, "severity": v.Severity, "regime": v.Regime, "from": v.From, "to": v.To} {
			if val != "" {
				u.Set(k, val)
			}
		}
		u.Set("offset", strconv.Itoa(off))
		return "/incidents?" + u.Encode()
	}
	if v.Offset > 0 {
		v.PrevURL = link(max(0, v.Offset-v.Limit))
	}
	if v.Offset+v.Limit < v.Page.Total {
		v.NextURL = link(v.Offset + v.Limit)
	}
	c.render(w, r, http.StatusOK, "incidents", page{Title: "Incidents", Actor: actor, Nav: v.Mode, Data: v})
}

func (c *Console) declare(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	req := incident.DeclareRequest{
		Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), Severity: r.PostFormValue("severity"),
		Mode: r.PostFormValue("mode"), RequestKey: r.PostFormValue("request_key"),
	}
	for _, reg := range r.PostForm["regime"] {
		if reg = strings.TrimSpace(reg); reg != "" {
			req.Regimes = append(req.Regimes, reg)
		}
	}
	st, err := c.cfg.Service.Declare(r.Context(), actor, req)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.sessions.Put(r.Context(), keyFlash, "Declared "+st.ID+": the clocks are running.")
	http.Redirect(w, r, "/incidents/"+url.PathEscape(st.ID), http.StatusSeeOther)
}

// ---- one incident ----

type clockView struct {
	workflows.ClockState
	Zone string
}

type incidentView struct {
	State     *workflows.IncidentState
	Clocks    []clockView
	Notices   []workflows.NoticeState
	Events    []store.Event
	Kinds     []string
	Actors    []string
	Kind      string
	Who       string
	Verify    *store.VerifyResult
	ChainHead string
	Regimes   []string
	Evidence  bool
	Error     string
	Offers    workflows.Offers
	// Drafts are the draft-a-notice forms, one per clock with a recipient,
	// each offering only the languages its template exists in.
	Drafts []draftView
}

// draftView is the draft-a-notice form of one clock; Error and To come
// back with a refused draft, shown in that form.
type draftView struct {
	Clock     string // regime/obligation
	Recipient string
	Languages []langOption
	To        string
	Error     string
}

type langOption struct {
	Tag, Name string
	Selected  bool
}

// drafted is what a refused draft posted, to show it again in its form.
type drafted struct {
	clock, to, language, err string
}

func (c *Console) incidentPage(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	c.showIncident(w, r, actor, http.StatusOK, "")
}

func (c *Console) showIncident(w http.ResponseWriter, r *http.Request, actor workflows.Actor, status int, actionErr string) {
	c.showIncidentDraft(w, r, actor, status, actionErr, drafted{})
}

// draftViews are the draft forms of st's clocks that have a recipient
// outside the organisation; d (a refused draft) fills its clock's form.
func (c *Console) draftViews(st *workflows.IncidentState, d drafted) []draftView {
	var out []draftView
	for _, cl := range st.Clocks {
		if cl.Recipient == "" || cl.Recipient == "internal" {
			continue
		}
		dv := draftView{Clock: cl.Regime + "/" + cl.Obligation, Recipient: cl.Recipient}
		langs, def := c.cfg.Service.NoticeLanguages(cl.Regime, cl.Obligation)
		pick := def
		if dv.Clock == d.clock {
			dv.To, dv.Error = d.to, d.err
			if slices.Contains(langs, d.language) {
				pick = d.language
			}
		}
		for _, l := range langs {
			dv.Languages = append(dv.Languages, langOption{Tag: l, Name: templates.LanguageName(l), Selected: l == pick})
		}
		out = append(out, dv)
	}
	return out
}

func (c *Console) showIncidentDraft(w http.ResponseWriter, r *http.Request, actor workflows.Actor, status int, actionErr string, d drafted) {
	ctx := r.Context()
	id := r.PathValue("id")
	st, err := c.cfg.Service.Get(ctx, actor, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := incidentView{State: st, Kind: r.URL.Query().Get("kind"), Who: r.URL.Query().Get("actor"), Regimes: st.Regimes, Evidence: c.cfg.Evidence != nil, Error: actionErr}
	for _, cl := range st.Clocks {
		v.Clocks = append(v.Clocks, clockView{ClockState: cl, Zone: c.cfg.Service.ClockZone(cl.Regime, cl.Obligation)})
	}
	if ns, err := c.cfg.Service.Notices(ctx, actor, id); err == nil {
		v.Notices = ns
	}
	v.Offers = c.cfg.Service.Offers(actor, st, v.Notices)
	if v.Offers.CreateNotice {
		v.Drafts = c.draftViews(st, d)
		if d.err != "" && !slices.ContainsFunc(v.Drafts, func(dv draftView) bool { return dv.Clock == d.clock }) {
			v.Error = d.err // no form for that clock: say it at the top
		}
	} else if d.err != "" {
		v.Error = d.err
	}
	events, err := c.cfg.Service.Timeline(ctx, actor, id)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		c.fail(w, r, err)
		return
	}
	for _, e := range events {
		if !slices.Contains(v.Kinds, e.Kind) {
			v.Kinds = append(v.Kinds, e.Kind)
		}
		if !slices.Contains(v.Actors, e.Actor) {
			v.Actors = append(v.Actors, e.Actor)
		}
		if (v.Kind == "" || e.Kind == v.Kind) && (v.Who == "" || e.Actor == v.Who) {
			v.Events = append(v.Events, e)
		}
	}
	slices.Sort(v.Kinds)
	slices.Sort(v.Actors)
	if strings.HasSuffix(r.URL.Path, "/verify") {
		res, err := c.cfg.Service.Verify(ctx, actor, id)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		v.Verify = &res
		if len(events) > 0 {
			v.ChainHead = events[len(events)-1].Hash
		}
	}
	c.render(w, r, status, "incident", page{Title: st.ID + " " + st.Title, Actor: actor, Data: v})
}

// act runs one incident action from a form through the service; a refusal
// is shown on the page and recorded on the timeline by the service.
func (c *Console) act(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	id := r.PathValue("id")
	a := workflows.Action{Type: r.PostFormValue("type"), Task: r.PostFormValue("task"), Gate: r.PostFormValue("gate"),
		Name: strings.TrimSpace(r.PostFormValue("name")), Text: r.PostFormValue("text"), Source: "console", RequestID: r.PostFormValue("request_id")}
	if a.Type == workflows.ActionSetFact {
		raw := strings.TrimSpace(r.PostFormValue("value"))
		if !json.Valid([]byte(raw)) {
			b, _ := json.Marshal(raw) // plain words are a JSON string
			raw = string(b)
		}
		a.Value = json.RawMessage(raw)
	}
	if _, err := c.cfg.Service.Act(r.Context(), actor, id, a); err != nil {
		c.refused(w, r, actor, err)
		return
	}
	c.sessions.Put(r.Context(), keyFlash, "Done: "+strings.ReplaceAll(a.Type, "_", " ")+".")
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

// refused shows why an action was refused. The service has put the refusal
// on the timeline (noticeAct records a notice's own).
func (c *Console) refused(w http.ResponseWriter, r *http.Request, actor workflows.Actor, err error) {
	c.refusedDraft(w, r, actor, err, nil)
}

// refusedDraft is refused for a draft form: with d, the reason is shown in
// the form of d's clock, with what was posted.
func (c *Console) refusedDraft(w http.ResponseWriter, r *http.Request, actor workflows.Actor, err error, d *drafted) {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Forbidden, apperr.Conflict:
		status := statusOf(err)
		if apperr.CodeOf(err) == apperr.Invalid && strings.Contains(apperr.MessageOf(err), "role") {
			status = http.StatusForbidden
		}
		msg := "Refused: " + apperr.MessageOf(err)
		if d == nil {
			c.showIncident(w, r, actor, status, msg)
			return
		}
		d.err = msg
		c.showIncidentDraft(w, r, actor, status, "", *d)
	default:
		c.fail(w, r, err)
	}
}

// maxDraftTo bounds the addresses a refused draft shows again.
const maxDraftTo = 4000

func (c *Console) draftNotice(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	id := r.PathValue("id")
	req := incident.NoticeRequest{Regime: r.PostFormValue("regime"), Obligation: r.PostFormValue("obligation"), RequestKey: r.PostFormValue("request_id"),
		Language: strings.TrimSpace(r.PostFormValue("language")), Source: "console"}
	if clock := r.PostFormValue("clock"); clock != "" {
		req.Regime, req.Obligation, _ = strings.Cut(clock, "/")
	}
	for _, t := range strings.FieldsFunc(r.PostFormValue("to"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		req.To = append(req.To, t)
	}
	ns, err := c.cfg.Service.DraftNotice(r.Context(), actor, id, req)
	if err != nil {
		to := []rune(r.PostFormValue("to"))
		d := drafted{clock: req.Regime + "/" + req.Obligation, to: string(to[:min(len(to), maxDraftTo)]), language: req.Language}
		c.refusedDraft(w, r, actor, err, &d)
		return
	}
	c.sessions.Put(r.Context(), keyFlash, "Drafted notice "+ns.ID+".")
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

func (c *Console) noticeAct(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	id, nid := r.PathValue("id"), r.PathValue("notice")
	a := workflows.NoticeAction{Type: r.PostFormValue("type"), Reason: r.PostFormValue("reason"), Source: "console"}
	if _, err := c.cfg.Service.NoticeAct(r.Context(), actor, id, nid, a); err != nil {
		// The service has put a refusal by the rules on the timeline.
		c.refused(w, r, actor, err)
		return
	}
	c.sessions.Put(r.Context(), keyFlash, "Notice "+nid+": "+a.Type+" done.")
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

func (c *Console) notAvailable(w http.ResponseWriter, r *http.Request, actor workflows.Actor, what string) {
	c.render(w, r, http.StatusNotImplemented, "error", page{Title: "Not available", Actor: actor, Error: what + " is not available in this build."})
}

func (c *Console) evidence(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	id := r.PathValue("id")
	// The service decides who may read the incident's record.
	if _, err := c.cfg.Service.Verify(r.Context(), actor, id); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.cfg.Evidence == nil {
		c.notAvailable(w, r, actor, "The evidence pack")
		return
	}
	var buf bytes.Buffer
	if err := c.cfg.Evidence.WriteEvidence(r.Context(), actor, &buf, id); err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id+"-evidence.zip"))
	_, _ = buf.WriteTo(w)
}

// ---- registers ----

type registerView struct {
	Entries          []store.RegisterEntry
	From, To, Regime string
	Regimes          []string
	CSVURL           string
}

// registerQuery reads a register page's query: from and to as dates (to
// as given, inclusive), a known regime and format html or csv; anything else
// is an Invalid error naming it.
func registerQuery(q url.Values, what string, regimes []string) (from, to *time.Time, format string, err error) {
	for k := range q {
		if !slices.Contains([]string{"from", "to", "regime", "format"}, k) {
			return nil, nil, "", apperr.New(apperr.Invalid, "unknown filter %q; the %s filters by from, to and regime", k, what)
		}
	}
	if from, err = parseDate("from", q.Get("from")); err != nil {
		return nil, nil, "", err
	}
	if to, err = parseDate("to", q.Get("to")); err != nil {
		return nil, nil, "", err
	}
	if r := q.Get("regime"); r != "" && len(regimes) > 0 && !slices.Contains(regimes, r) {
		return nil, nil, "", apperr.New(apperr.Invalid, "unknown regime %q", r)
	}
	format = q.Get("format")
	if format != "" && format != "html" && format != "csv" {
		return nil, nil, "", apperr.New(apperr.Invalid, "format must be html or csv, got %q", format)
	}
	return from, to, format, nil
}

func (c *Console) registerPage(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	q := r.URL.Query()
	v := registerView{From: q.Get("from"), To: q.Get("to"), Regime: q.Get("regime"), Regimes: c.cfg.Regimes}
	from, to, format, err := registerQuery(q, "register", v.Regimes)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	all, err := c.cfg.Service.Register(r.Context(), actor)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	rf := incident.RegisterFilter{From: from, Regime: v.Regime}
	if to != nil {
		end := to.AddDate(0, 0, 1) // "to" is inclusive on the page
		rf.To = &end
	}
	for _, e := range all {
		if rf.Matches(e) {
			v.Entries = append(v.Entries, e)
		}
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="notification-register.csv"`)
		_ = csvexport.WriteRegister(w, v.Entries)
		return
	}
	qs := q
	qs.Set("format", "csv")
	v.CSVURL = "/register?" + qs.Encode()
	c.render(w, r, http.StatusOK, "register", page{Title: "Notification register", Actor: actor, Nav: "register", Data: v})
}

type breachView struct {
	Entries          []incident.BreachEntry
	From, To, Regime string
	Regimes          []string
	CSVURL           string
}

func (c *Console) breachRegister(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.BreachRegister == nil {
		// Same readers as the notification register: the service says who.
		if _, err := c.cfg.Service.Register(r.Context(), actor); err != nil {
			c.fail(w, r, err)
			return
		}
		c.notAvailable(w, r, actor, "The breach register")
		return
	}
	q := r.URL.Query()
	v := breachView{From: q.Get("from"), To: q.Get("to"), Regime: q.Get("regime"), Regimes: c.cfg.Regimes}
	from, to, format, err := registerQuery(q, "breach register", v.Regimes)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f := incident.BreachFilter{From: from, Regime: v.Regime}
	if to != nil {
		end := to.AddDate(0, 0, 1) // "to" is inclusive on the page
		f.To = &end
	}
	if v.Entries, err = c.cfg.BreachRegister.BreachRegister(r.Context(), actor, f); err != nil {
		c.fail(w, r, err)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="breach-register.csv"`)
		_ = incident.WriteBreachRegisterCSV(w, v.Entries)
		return
	}
	qs := q
	qs.Set("format", "csv")
	v.CSVURL = "/breach-register?" + qs.Encode()
	c.render(w, r, http.StatusOK, "breach", page{Title: "Breach register", Actor: actor, Nav: "breach", Data: v})
}

// ---- drills ----

// drillRow is one drill on the drills page: its incident from the index and,
// for drills played from a scenario, the drill's live state.
type drillRow struct {
	store.Incident
	State    *workflows.DrillState
	Controls []string
}

type drillsView struct {
	Available bool
	MayRun    bool
	Scenarios []DrillScenario
	Running   []drillRow
	Finished  []drillRow
	MoreURL   string
	// Schedules: nil when the console has none wired; SchedulesErr when
	// they could not be listed (the rest of the page still shows).
	Schedules    []schedule.DrillSchedule
	HasSchedules bool
	SchedulesErr string
}

// drillRowsShown bounds the drills whose live state the page asks for, per
// list: each is one query to the workflow engine.
const drillRowsShown = 20

// drillControls are the facilitator controls that fit a drill's status (the
// workflow still decides each one).
func drillControls(st *workflows.DrillState) []string {
	switch {
	case st == nil || st.Status == workflows.DrillEnded:
		return nil
	case st.Status == workflows.DrillPaused:
		return []string{workflows.DrillResume, workflows.DrillEnd}
	}
	out := []string{workflows.DrillPause}
	if slices.ContainsFunc(st.Events, func(e workflows.DrillEvent) bool { return e.DeliveredAt == nil && !e.Skipped }) {
		out = append(out, workflows.DrillInjectNow, workflows.DrillSkip)
	}
	return append(out, workflows.DrillEnd)
}

// drillsPage lists the scenarios (with a start form for those who run
// drills), the drills in play with their facilitator controls, and the
// finished drills with their reports and improvement plans.
func (c *Console) drillsPage(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	ctx := r.Context()
	v := drillsView{Available: c.cfg.Drills != nil, MoreURL: "/incidents?mode=drill"}
	if v.Available {
		v.MayRun = c.cfg.Drills.MayRunDrills(actor) == nil
		var err error
		if v.Scenarios, err = c.cfg.Drills.Scenarios(ctx, actor); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	if c.cfg.Schedules != nil {
		v.HasSchedules = true
		list, err := c.cfg.Schedules.DrillSchedules(ctx, actor)
		if err != nil {
			v.SchedulesErr = apperr.MessageOf(err)
		}
		v.Schedules = list
	}
	for _, list := range []struct {
		status string
		rows   *[]drillRow
	}{{workflows.StatusOpen, &v.Running}, {workflows.StatusClosed, &v.Finished}} {
		page, err := c.cfg.Service.ListPage(ctx, actor, store.IncidentFilter{Mode: workflows.ModeDrill, Status: list.status, Limit: drillRowsShown})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, inc := range page.Incidents {
			row := drillRow{Incident: inc}
			if v.Available {
				// A drill declared by hand has no play: no state, no controls.
				if st, err := c.cfg.Drills.Drill(ctx, actor, inc.ID); err == nil {
					row.State = st
					if v.MayRun {
						row.Controls = drillControls(st)
					}
				}
			}
			*list.rows = append(*list.rows, row)
		}
	}
	c.render(w, r, http.StatusOK, "drills", page{Title: "Drills", Actor: actor, Nav: "drill", Data: v})
}

// drillControl applies one facilitator control through the drill service.
func (c *Console) drillControl(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Drills == nil {
		c.notAvailable(w, r, actor, "Drills are")
		return
	}
	id, action := r.PathValue("id"), r.PostFormValue("action")
	if err := c.cfg.Drills.Control(r.Context(), actor, id, action); err != nil {
		c.fail(w, r, err)
		return
	}
	c.sessions.Put(r.Context(), keyFlash, "Drill "+id+": "+strings.ReplaceAll(action, "_", " ")+" done.")
	http.Redirect(w, r, "/drills", http.StatusSeeOther)
}

// maxImprovements bounds the rows of one improvement plan form.
const maxImprovements = 50

// drillImprove replaces a drill's improvement plan from the form's rows
// (issue, action, owner, due repeated); blank rows are left out.
func (c *Console) drillImprove(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Drills == nil {
		c.notAvailable(w, r, actor, "Drills are")
		return
	}
	f := r.PostForm
	issues, actions, owners, dues := f["issue"], f["action"], f["owner"], f["due"]
	if len(actions) != len(issues) || len(owners) != len(issues) || len(dues) != len(issues) {
		c.fail(w, r, apperr.New(apperr.Invalid, "each improvement row needs an issue, an action, an owner and a due date field"))
		return
	}
	if len(issues) > maxImprovements {
		c.fail(w, r, apperr.New(apperr.Invalid, "an improvement plan holds at most %d rows, got %d", maxImprovements, len(issues)))
		return
	}
	items := []workflows.Improvement{}
	for i := range issues {
		it := workflows.Improvement{Issue: strings.TrimSpace(issues[i]), Action: strings.TrimSpace(actions[i]), Owner: strings.TrimSpace(owners[i]), Due: strings.TrimSpace(dues[i])}
		if it != (workflows.Improvement{}) {
			items = append(items, it)
		}
	}
	final := f.Get("final") != ""
	id := r.PathValue("id")
	if err := c.cfg.Drills.Improve(r.Context(), actor, id, items, final); err != nil {
		c.fail(w, r, err)
		return
	}
	msg := "Drill " + id + ": improvement plan saved."
	if final {
		msg = "Drill " + id + ": improvement plan saved and the report made final."
	}
	c.sessions.Put(r.Context(), keyFlash, msg)
	http.Redirect(w, r, "/drills#drill-"+url.PathEscape(id), http.StatusSeeOther)
}

func (c *Console) startDrill(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Drills == nil {
		c.notAvailable(w, r, actor, "Drills are")
		return
	}
	id, err := c.cfg.Drills.StartDrill(r.Context(), actor, r.PostFormValue("scenario"), r.PostFormValue("autoplay") != "")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

func (c *Console) drillReport(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Drills == nil {
		c.notAvailable(w, r, actor, "Drill reports are")
		return
	}
	var buf bytes.Buffer
	if err := c.cfg.Drills.WriteReportHTML(r.Context(), actor, &buf, r.PathValue("id")); err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

// createDrillSchedule schedules a scenario from the drills page's form
// through the service, which checks the role, the expression, the time zone
// and duplicates.
func (c *Console) createDrillSchedule(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Schedules == nil {
		c.notAvailable(w, r, actor, "Drill schedules are")
		return
	}
	d, err := c.cfg.Schedules.CreateDrillSchedule(r.Context(), actor, incident.DrillScheduleRequest{
		Scenario: r.PostFormValue("scenario"), Cron: r.PostFormValue("cron"), TimeZone: r.PostFormValue("time_zone"),
	})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	msg := "Drill " + d.Scenario + " scheduled (" + d.ID + ")"
	if d.NextRun != nil {
		msg += "; next run " + d.NextRun.Format("Mon 2 Jan 2006 15:04 MST")
	}
	c.sessions.Put(r.Context(), keyFlash, msg+". The managers are reminded a day ahead.")
	http.Redirect(w, r, "/drills#schedules-h", http.StatusSeeOther)
}

// deleteDrillSchedule deletes a drill schedule through the service.
func (c *Console) deleteDrillSchedule(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Schedules == nil {
		c.notAvailable(w, r, actor, "Drill schedules are")
		return
	}
	id := r.PathValue("id")
	if err := c.cfg.Schedules.DeleteDrillSchedule(r.Context(), actor, id); err != nil {
		c.fail(w, r, err)
		return
	}
	c.sessions.Put(r.Context(), keyFlash, "Drill schedule "+id+" deleted: no more runs or reminders. Drills it started play on.")
	http.Redirect(w, r, "/drills#schedules-h", http.StatusSeeOther)
}
