package console

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// fakeDrills plays drills on the store: the permission answers are the
// real service's (mayRunDrills), the states are what a DrillWorkflow
// reports.
type fakeDrills struct {
	st       store.Store
	mu       sync.Mutex
	states   map[string]*workflows.DrillState
	controls []string
	plans    map[string][]workflows.Improvement
	final    map[string]bool
}

var _ Drills = (*fakeDrills)(nil)

func (d *fakeDrills) MayRunDrills(a workflows.Actor) error {
	return (&incident.Service{}).MayRunDrills(a)
}

func (d *fakeDrills) Scenarios(ctx context.Context, a workflows.Actor) ([]DrillScenario, error) {
	return []DrillScenario{{ID: "ransomware-eu", Title: "Ransomware at an EU retailer", Regimes: []string{"eu-gdpr"}, Duration: "72h0m0s", Objectives: []string{"Notify the authority within 72 hours"}, Autoplay: true}}, nil
}

func (d *fakeDrills) StartDrill(ctx context.Context, a workflows.Actor, scenario string, autoplay bool) (string, error) {
	if err := d.MayRunDrills(a); err != nil {
		return "", err
	}
	return "DRILL-2026-0009", nil
}

func (d *fakeDrills) WriteReportHTML(ctx context.Context, a workflows.Actor, w io.Writer, id string) error {
	_, err := io.WriteString(w, "<h1>After-Action Report "+id+"</h1>")
	return err
}

func (d *fakeDrills) Drill(ctx context.Context, a workflows.Actor, id string) (*workflows.DrillState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, ok := d.states[id]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no drill %s", id)
	}
	cp := *st
	return &cp, nil
}

func (d *fakeDrills) Control(ctx context.Context, a workflows.Actor, id, action string) error {
	if err := d.MayRunDrills(a); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.controls = append(d.controls, id+" "+action)
	return nil
}

func (d *fakeDrills) Improve(ctx context.Context, a workflows.Actor, id string, items []workflows.Improvement, final bool) error {
	if err := d.MayRunDrills(a); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.plans[id], d.final[id] = items, final
	return nil
}

// drillsFixture has one drill in play (one inject still to come), one
// finished drill with a plan, and a drill incident declared by hand.
func drillsFixture(t *testing.T) (*fixture, *fakeDrills) {
	t.Helper()
	d := &fakeDrills{states: map[string]*workflows.DrillState{}, plans: map[string][]workflows.Improvement{}, final: map[string]bool{}}
	f := newFixture(t, func(c *Config) { c.Drills = d })
	d.st = f.st
	now := time.Now().UTC()
	for i, inc := range []store.Incident{
		{ID: "DRILL-2026-0001", Title: "[DRILL] Ransomware", Status: "open"},
		{ID: "DRILL-2026-0002", Title: "[DRILL] Lost laptop", Status: "closed"},
		{ID: "DRILL-2026-0003", Title: "Hand-made drill", Status: "open"},
	} {
		inc.Mode, inc.Severity, inc.Phase = "drill", "high", "contain"
		inc.DeclaredAt = now.Add(time.Duration(i) * time.Minute)
		require.NoError(t, f.st.UpsertIncident(t.Context(), inc))
	}
	d.states["DRILL-2026-0001"] = &workflows.DrillState{IncidentID: "DRILL-2026-0001", Scenario: "ransomware-eu", Status: workflows.DrillRunning,
		Events: []workflows.DrillEvent{{ID: "i1", Kind: "inject", DeliveredAt: &now}, {ID: "i2", Kind: "inject"}}}
	d.states["DRILL-2026-0002"] = &workflows.DrillState{IncidentID: "DRILL-2026-0002", Scenario: "lost-laptop", Status: workflows.DrillEnded,
		Improvements: []workflows.Improvement{{Issue: "Slow escalation", Action: "Page the DPO", Owner: "dana@example.com", Due: "2026-03-01"}}}
	return f, d
}

func TestDrillsPageForTheFacilitator(t *testing.T) {
	f, d := drillsFixture(t)
	c, csrf := f.signIn(t, managerToken)
	status, body, _ := get(t, c, f.srv.URL+"/drills")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `id="start-drill"`, "a manager starts drills from the scenarios")
	require.Contains(t, body, "Ransomware at an EU retailer")
	require.Contains(t, body, "Notify the authority within 72 hours", "the scenario's objectives")
	for _, a := range []string{"pause", "inject_now", "skip", "end"} {
		require.Contains(t, body, `action="/drills/DRILL-2026-0001/control"`)
		require.Contains(t, body, `name="action" value="`+a+`"`, "control %s on the running drill", a)
	}
	require.NotContains(t, body, `action="/drills/DRILL-2026-0003/control"`, "a drill declared by hand has no play to steer")
	require.Contains(t, body, "1 of 2", "injects delivered so far")
	require.Contains(t, body, `href="/drills/DRILL-2026-0002/report"`)
	require.Contains(t, body, "Slow escalation", "the finished drill's improvement plan")
	require.Contains(t, body, `action="/drills/DRILL-2026-0002/improvements"`)

	status, _, h := post(t, c, f.srv.URL+"/drills/DRILL-2026-0001/control", url.Values{"csrf": {csrf}, "action": {"pause"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/drills", h.Get("Location"))
	require.Equal(t, []string{"DRILL-2026-0001 pause"}, d.controls)

	d.states["DRILL-2026-0001"].Status = workflows.DrillPaused
	_, body, _ = get(t, c, f.srv.URL+"/drills")
	require.Contains(t, body, `name="action" value="resume"`)
	require.NotContains(t, body, `name="action" value="pause"`, "a paused drill offers resume, not pause")

	status, _, _ = post(t, c, f.srv.URL+"/drills/DRILL-2026-0002/improvements", url.Values{"csrf": {csrf},
		"issue": {"Slow escalation", "", "Notice template 顧客"}, "action": {"Page the DPO", "", "Add the DPA's address"},
		"owner": {"dana@example.com", "", "lee@example.com"}, "due": {"2026-03-01", "", "2026-04-01"}, "final": {"1"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, []workflows.Improvement{
		{Issue: "Slow escalation", Action: "Page the DPO", Owner: "dana@example.com", Due: "2026-03-01"},
		{Issue: "Notice template 顧客", Action: "Add the DPA's address", Owner: "lee@example.com", Due: "2026-04-01"},
	}, d.plans["DRILL-2026-0002"], "blank rows are left out")
	require.True(t, d.final["DRILL-2026-0002"])

	for name, form := range map[string]url.Values{
		"rows of unequal length": {"issue": {"a", "b"}, "action": {"a"}, "owner": {"a", "b"}, "due": {"", ""}},
		"too many rows":          {"issue": make([]string, 51), "action": make([]string, 51), "owner": make([]string, 51), "due": make([]string, 51)},
	} {
		form.Set("csrf", csrf)
		status, body, _ = post(t, c, f.srv.URL+"/drills/DRILL-2026-0002/improvements", form)
		require.Equal(t, http.StatusBadRequest, status, name)
		require.Contains(t, body, "improvement", name)
	}

	status, body, _ = get(t, c, f.srv.URL+"/drills/DRILL-2026-0002/report")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "After-Action Report DRILL-2026-0002")
}

func TestDrillsPageForEveryoneElse(t *testing.T) {
	f, d := drillsFixture(t)
	for _, tok := range []string{complianceToken, responderToken} {
		c, csrf := f.signIn(t, tok)
		status, body, _ := get(t, c, f.srv.URL+"/drills")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, `id="drills-read-only"`)
		require.NotContains(t, body, `id="start-drill"`)
		require.NotContains(t, body, "/control")
		require.NotContains(t, body, "/improvements")
		require.Contains(t, body, `href="/drills/DRILL-2026-0002/report"`, "everyone reads the reports")
		require.Contains(t, body, "Slow escalation")

		status, body, _ = post(t, c, f.srv.URL+"/drills/DRILL-2026-0001/control", url.Values{"csrf": {csrf}, "action": {"end"}})
		require.Equal(t, http.StatusForbidden, status, "the service refuses a control from someone who does not run drills")
		require.Contains(t, body, "manager")
		status, _, _ = post(t, c, f.srv.URL+"/drills", url.Values{"csrf": {csrf}, "scenario": {"ransomware-eu"}})
		require.Equal(t, http.StatusForbidden, status)
		status, _, _ = get(t, c, f.srv.URL+"/")
		require.Equal(t, http.StatusOK, status)
	}
	require.Empty(t, d.controls)

	m, _ := f.signIn(t, managerToken)
	status, body, _ := post(t, m, f.srv.URL+"/drills/DRILL-2026-0001/control", url.Values{"csrf": {"forged"}, "action": {"end"}})
	require.Equal(t, http.StatusForbidden, status)
	require.True(t, strings.Contains(body, "CSRF"))
	require.Empty(t, d.controls, "a forged control reaches nothing")
	status, _, h := get(t, f.browser(t), f.srv.URL+"/drills")
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/login", h.Get("Location"))
}

// fakeSchedules keeps drill schedules in memory; who may schedule is the
// real service's rule, and a duplicate is refused as the service refuses it.
type fakeSchedules struct {
	mu      sync.Mutex
	list    []schedule.DrillSchedule
	reqs    []incident.DrillScheduleRequest
	deleted []string
	listErr error
}

var _ DrillSchedules = (*fakeSchedules)(nil)

func (f *fakeSchedules) CreateDrillSchedule(ctx context.Context, a workflows.Actor, req incident.DrillScheduleRequest) (*schedule.DrillSchedule, error) {
	if err := (&incident.Service{}).MayRunDrills(a); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	for _, d := range f.list {
		if d.Scenario == req.Scenario && d.Cron == req.Cron && d.TimeZone == req.TimeZone {
			return nil, apperr.New(apperr.Conflict, "%s is already scheduled at these times: schedule %s", req.Scenario, d.ID)
		}
	}
	next := time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
	d := schedule.DrillSchedule{ID: "irbot-drill-schedule-" + req.Scenario + "-n" + strconv.Itoa(len(f.list)), Scenario: req.Scenario, Cron: req.Cron, TimeZone: req.TimeZone, By: a.ID, NextRun: &next}
	f.list = append(f.list, d)
	return &d, nil
}

func (f *fakeSchedules) DrillSchedules(ctx context.Context, a workflows.Actor) ([]schedule.DrillSchedule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list), f.listErr
}

func (f *fakeSchedules) DeleteDrillSchedule(ctx context.Context, a workflows.Actor, id string) error {
	if err := (&incident.Service{}).MayRunDrills(a); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, d := range f.list {
		if d.ID == id {
			f.list = slices.Delete(f.list, i, i+1)
			f.deleted = append(f.deleted, id)
			return nil
		}
	}
	return apperr.New(apperr.NotFound, "no drill schedule %q", id)
}

// The drills page lists the schedules with their next run in their own
// zone; a manager schedules a scenario and deletes a schedule from it, a
// duplicate is refused with the service's 409 and message; everyone else
// reads the list without forms, and a posted form is refused by the
// service (403); a forged form reaches nothing; a schedule list that cannot
// be read leaves the rest of the page standing.
func TestDrillsPageSchedules(t *testing.T) {
	d := &fakeDrills{states: map[string]*workflows.DrillState{}, plans: map[string][]workflows.Improvement{}, final: map[string]bool{}}
	fs := &fakeSchedules{}
	f := newFixture(t, func(c *Config) { c.Drills, c.Schedules = d, fs })
	c, csrf := f.signIn(t, managerToken)

	status, body, _ := get(t, c, f.srv.URL+"/drills")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "No drills are scheduled.")
	require.Contains(t, body, `id="schedule-drill"`, "a manager gets the schedule form")

	status, _, h := post(t, c, f.srv.URL+"/drill-schedules", url.Values{"csrf": {csrf}, "scenario": {"ransomware-eu"}, "cron": {"0 9 1 */3 *"}, "time_zone": {"Europe/Paris"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/drills#schedules-h", h.Get("Location"))
	require.Equal(t, []incident.DrillScheduleRequest{{Scenario: "ransomware-eu", Cron: "0 9 1 */3 *", TimeZone: "Europe/Paris"}}, fs.reqs, "the form's fields reach the service as typed")
	_, body, _ = get(t, c, f.srv.URL+"/drills")
	require.Contains(t, body, "scheduled (irbot-drill-schedule-ransomware-eu-n0)", "the flash names the new schedule")
	require.Contains(t, body, "<code>0 9 1 */3 *</code>")
	require.Contains(t, body, "2027-01-01 09:00 CET", "the next run in the schedule's own zone")
	require.Contains(t, body, `action="/drill-schedules/irbot-drill-schedule-ransomware-eu-n0/delete"`)

	status, body, _ = post(t, c, f.srv.URL+"/drill-schedules", url.Values{"csrf": {csrf}, "scenario": {"ransomware-eu"}, "cron": {"0 9 1 */3 *"}, "time_zone": {"Europe/Paris"}})
	require.Equal(t, http.StatusConflict, status, "a duplicate is refused")
	require.Contains(t, body, "irbot-drill-schedule-ransomware-eu-n0", "the refusal names the schedule that exists")

	// Hostile text is passed to the service as typed and shown escaped.
	hostile := "<script>alert(1)</script> \x00 0 9 * * 1 日本"
	status, _, _ = post(t, c, f.srv.URL+"/drill-schedules", url.Values{"csrf": {csrf}, "scenario": {"ransomware-eu"}, "cron": {hostile}, "time_zone": {"UTC"}})
	require.Equal(t, http.StatusSeeOther, status)
	_, body, _ = get(t, c, f.srv.URL+"/drills")
	require.NotContains(t, body, "<script>alert(1)</script>")
	require.Contains(t, body, "&lt;script&gt;")

	for _, tok := range []string{complianceToken, responderToken} {
		o, ocsrf := f.signIn(t, tok)
		status, body, _ = get(t, o, f.srv.URL+"/drills")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, "irbot-drill-schedule-ransomware-eu-n0", "everyone sees the schedules")
		require.NotContains(t, body, `id="schedule-drill"`)
		require.NotContains(t, body, "/delete")
		status, body, _ = post(t, o, f.srv.URL+"/drill-schedules/irbot-drill-schedule-ransomware-eu-n0/delete", url.Values{"csrf": {ocsrf}})
		require.Equal(t, http.StatusForbidden, status, "the service refuses a delete from someone who does not run drills")
		require.Contains(t, body, "manager")
		status, _, _ = post(t, o, f.srv.URL+"/drill-schedules", url.Values{"csrf": {ocsrf}, "scenario": {"ransomware-eu"}, "cron": {"0 9 * * 2"}})
		require.Equal(t, http.StatusForbidden, status)
	}
	status, _, _ = post(t, c, f.srv.URL+"/drill-schedules/irbot-drill-schedule-ransomware-eu-n0/delete", url.Values{"csrf": {"forged"}})
	require.Equal(t, http.StatusForbidden, status)
	require.Empty(t, fs.deleted, "a forged delete reaches nothing")

	status, _, h = post(t, c, f.srv.URL+"/drill-schedules/irbot-drill-schedule-ransomware-eu-n0/delete", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/drills#schedules-h", h.Get("Location"))
	require.Equal(t, []string{"irbot-drill-schedule-ransomware-eu-n0"}, fs.deleted)
	status, _, _ = post(t, c, f.srv.URL+"/drill-schedules/irbot-drill-schedule-ransomware-eu-n0/delete", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusNotFound, status, "deleted twice: the second is not found")

	fs.listErr = apperr.New(apperr.Unavailable, "the drill schedules could not be listed: the workflow engine did not answer")
	status, body, _ = get(t, c, f.srv.URL+"/drills")
	require.Equal(t, http.StatusOK, status, "the rest of the drills page stands")
	require.Contains(t, body, "could not be listed")
	require.Contains(t, body, "Ransomware at an EU retailer")
}
