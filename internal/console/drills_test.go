package console

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/incident"
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
