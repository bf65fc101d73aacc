package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

var (
	declarer = workflows.Actor{ID: "U-DECLARER", Name: "Dee Clarer", Roles: []string{"responder"}}
	admin    = workflows.Actor{ID: "U-ADMIN", Name: "Ada Min", Roles: []string{"admin"}}
	dpo      = workflows.Actor{ID: "U-DPO", Name: "Dana DPO", Roles: []string{"dpo"}}
	lawyer   = workflows.Actor{ID: "U-LEGAL", Name: "Lee Gal", Roles: []string{"legal"}}
	nobody   = workflows.Actor{ID: "U-NOBODY", Name: "No Role"}
	outsider = workflows.Actor{ID: "U-SUPPORT", Name: "Sam Port", Roles: []string{"manager"}}
)

type incidentEnv struct {
	env    *testsuite.TestWorkflowEnvironment
	store  store.Store
	start  time.Time
	nudges *nudgeLog
}

// newIncidentEnv runs workflows in the SDK's test environment with skipped
// time, against the real activities and a real SQLite timeline store.
func newIncidentEnv(t *testing.T) *incidentEnv {
	t.Helper()
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	var s testsuite.WorkflowTestSuite
	env := newEnv(&s)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	workflows.Register(env)
	nudges := &nudgeLog{}
	acts := &activities.Activities{Store: st, Nudger: nudges}
	env.RegisterActivityWithOptions(acts.Nudge, activity.RegisterOptions{Name: workflows.NudgeActivityName})
	env.RegisterActivityWithOptions(acts.Record, activity.RegisterOptions{Name: workflows.RecordActivityName})
	env.RegisterActivityWithOptions(acts.RecordBatch, activity.RegisterOptions{Name: workflows.RecordBatchActivityName})
	env.RegisterActivityWithOptions(acts.ClockAlert, activity.RegisterOptions{Name: workflows.ClockAlertActivityName})
	env.RegisterActivityWithOptions(acts.Publish, activity.RegisterOptions{Name: workflows.PublishActivityName})
	env.RegisterActivityWithOptions(acts.Publish, activity.RegisterOptions{Name: workflows.PublishRefActivityName})
	return &incidentEnv{env: env, store: st, start: start, nudges: nudges}
}

func breachInput(t *testing.T, start time.Time) workflows.IncidentInput {
	t.Helper()
	rules, err := playbooks.MustRules().Subset([]string{"eu-gdpr"})
	require.NoError(t, err)
	aware := start
	return workflows.IncidentInput{
		ID: "INC-2026-0001", Title: "Customer database exposed", Severity: "high", Mode: workflows.ModeLive,
		DeclaredBy: declarer, DeclaredAt: start, AwareAt: &aware, Regimes: []string{"eu-gdpr"},
		Playbook: *playbooks.DefaultPlaybook(), Rules: *rules,
	}
}

func (ie *incidentEnv) state(t *testing.T) workflows.IncidentState {
	t.Helper()
	v, err := ie.env.QueryWorkflow(workflows.QueryState)
	require.NoError(t, err)
	var st workflows.IncidentState
	require.NoError(t, v.Get(&st))
	return st
}

// requireCanceled fails with the workflow's own error when it ended other
// than by the test's CancelWorkflow (a panic, a deadlock the SDK detected):
// the assertions after it would only say that results are missing.
func (ie *incidentEnv) requireCanceled(t *testing.T) {
	t.Helper()
	require.True(t, ie.env.IsWorkflowCompleted(), "the workflow is still running")
	err := ie.env.GetWorkflowError()
	var canceled *temporal.CanceledError
	require.True(t, err == nil || errors.As(err, &canceled), "the workflow ended with an error instead of being canceled: %v", err)
}

// cancelAt cancels the workflow at d of workflow time, unless it has
// already ended (then requireCanceled says how: the SDK's test environment
// panics when a workflow that already failed is canceled with children).
func (ie *incidentEnv) cancelAt(d time.Duration) {
	ie.env.RegisterDelayedCallback(func() {
		if !ie.env.IsWorkflowCompleted() {
			ie.env.CancelWorkflow()
		}
	}, d)
}

// update sends one action and returns its outcome through the callbacks.
func (ie *incidentEnv) update(a workflows.Action, id string, onDone func(st *workflows.IncidentState, err error)) {
	ie.env.UpdateWorkflow(a.Type, id, &testsuite.TestUpdateCallback{
		OnReject: func(err error) { onDone(nil, err) },
		OnAccept: func() {},
		OnComplete: func(v any, err error) {
			if err != nil {
				onDone(nil, err)
				return
			}
			// The answer is the outcome; the state is the store's
			// snapshot the action's records wrote, as the service reads it.
			res, ok := v.(workflows.ActionResult)
			if !ok {
				onDone(nil, fmt.Errorf("an Update answered %T, not an ActionResult", v))
				return
			}
			incs, err := ie.store.ListIncidents(context.Background())
			if err == nil && len(incs) != 1 {
				err = fmt.Errorf("%d incidents in the store, want the one under test", len(incs))
			}
			if err != nil {
				onDone(nil, err)
				return
			}
			sn, err := ie.store.LatestSnapshot(context.Background(), incs[0].ID)
			if err != nil {
				onDone(nil, err)
				return
			}
			var st workflows.IncidentState
			if err := json.Unmarshal(sn.State, &st); err != nil {
				onDone(nil, err)
				return
			}
			if st.Events < res.Outcome.Events {
				onDone(nil, fmt.Errorf("the latest snapshot holds %d records, the action's last is %d", st.Events, res.Outcome.Events))
				return
			}
			onDone(&st, nil)
		},
	}, a)
}

// nextStep is what a diligent team does next with the default playbook.
func nextStep(st workflows.IncidentState, approvedBy map[string][]string) (workflows.Action, bool) {
	if st.Status == workflows.StatusClosed {
		return workflows.Action{}, false
	}
	for _, task := range st.Tasks {
		if task.Phase == st.Phase && task.Required && !task.Done {
			return workflows.Action{Type: workflows.ActionCompleteTask, Actor: admin, Task: task.ID}, true
		}
	}
	for _, g := range st.Gates {
		if g.Phase == st.Phase && !g.Approved {
			for _, who := range []workflows.Actor{dpo, lawyer} {
				if !slices.Contains(approvedBy[g.ID], who.ID) && slices.ContainsFunc(g.Roles, func(r string) bool { return slices.Contains(who.Roles, r) }) {
					approvedBy[g.ID] = append(approvedBy[g.ID], who.ID)
					return workflows.Action{Type: workflows.ActionApprove, Actor: who, Gate: g.ID}, true
				}
			}
			if slices.Contains(g.Roles, "commander") {
				return workflows.Action{Type: workflows.ActionApprove, Actor: workflows.Actor{ID: "U-CMDR", Roles: []string{"commander"}}, Gate: g.ID}, true
			}
		}
	}
	for _, c := range st.Clocks {
		if c.Open() && c.Status != workflows.ClockWaiting && c.Status != workflows.ClockNoDeadline {
			sent := st.DeclaredAt.Add(time.Minute) // sent_at may not be in the future
			return workflows.Action{Type: workflows.ActionRecordNotification, Actor: dpo, Regime: c.Regime, Obligation: c.Obligation,
				SentAt: &sent, Reference: "SA-REF-" + c.Obligation}, true
		}
	}
	return workflows.Action{Type: workflows.ActionClose, Actor: admin}, true
}

func TestDefaultPlaybookFromDeclareToClose(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	approvedBy := map[string][]string{}
	var failures []string
	var actions []string
	// One step per simulated minute, each chosen from the state the
	// workflow reports, as a person reading the card would.
	for i := 1; i <= 80; i++ {
		ie.env.RegisterDelayedCallback(func() {
			st := ie.state(t)
			a, ok := nextStep(st, approvedBy)
			if !ok {
				return
			}
			actions = append(actions, a.Type+":"+a.Task+a.Gate+a.Obligation)
			ie.update(a, fmt.Sprintf("step-%d", i), func(_ *workflows.IncidentState, err error) {
				if err != nil {
					failures = append(failures, fmt.Sprintf("%s %s%s: %v", a.Type, a.Task, a.Gate, err))
				}
			})
		}, time.Duration(i)*time.Minute)
	}
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.Empty(t, failures, "a diligent team following the card must never be refused")
	require.True(t, ie.env.IsWorkflowCompleted(), "the incident must close; actions: %v", actions)
	require.NoError(t, ie.env.GetWorkflowError())

	var res workflows.IncidentResult
	require.NoError(t, ie.env.GetWorkflowResult(&res))
	st := res.State
	require.Equal(t, workflows.StatusClosed, st.Status)
	require.Equal(t, "complete", st.Phase)
	for _, p := range st.Phases {
		require.Equal(t, "done", p.Status, "phase %s", p.ID)
	}
	sa := findClock(st, "eu-gdpr", "supervisory-authority")
	require.NotNil(t, sa, "a GDPR incident has the supervisory authority clock")
	require.Equal(t, ie.start.Add(72*time.Hour), sa.DueAt.UTC())
	require.Equal(t, workflows.ClockMet, sa.Status)

	events, err := ie.store.Events(t.Context(), in.ID)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	require.Equal(t, 1, kinds["incident.declared"])
	require.Equal(t, 1, kinds["incident.closed"])
	require.Equal(t, countRequired(st), kinds["task.completed"], "every completed task is on the timeline once")
	require.GreaterOrEqual(t, kinds["phase.changed"], len(st.Phases))
	require.Equal(t, st.Events, len(events)-countClockAlerts(kinds), "every workflow record reached the store exactly once")
	v, err := ie.store.Verify(t.Context(), in.ID)
	require.NoError(t, err)
	require.True(t, v.OK, "the timeline's hash chain must verify: %+v", v)

	reg, err := ie.store.ListRegister(t.Context())
	require.NoError(t, err)
	require.NotEmpty(t, reg, "recorded notices enter the register")
	require.Equal(t, "SA-REF-supervisory-authority", findRegister(reg, "supervisory-authority").Reference)
}

func countRequired(st workflows.IncidentState) int {
	n := 0
	for _, t := range st.Tasks {
		if t.Done {
			n++
		}
	}
	return n
}

func countClockAlerts(kinds map[string]int) int {
	return kinds["clock.reminder"] + kinds["clock.escalation"] + kinds["clock.overdue"]
}

func findClock(st workflows.IncidentState, regime, obligation string) *workflows.ClockState {
	for i := range st.Clocks {
		if st.Clocks[i].Regime == regime && st.Clocks[i].Obligation == obligation {
			return &st.Clocks[i]
		}
	}
	return nil
}

func findRegister(reg []store.RegisterEntry, obligation string) store.RegisterEntry {
	for _, r := range reg {
		if r.Obligation == obligation {
			return r
		}
	}
	return store.RegisterEntry{}
}

func TestValidatorsRejectWithAReasonAndLeaveNoTrace(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	future := ie.start.Add(200 * time.Hour)
	late := ie.start.Add(80 * time.Hour)
	cases := []struct {
		name   string
		action workflows.Action
		want   string
	}{
		{"no actor", workflows.Action{Type: workflows.ActionNote, Text: "x"}, "no actor"},
		{"no role at all", workflows.Action{Type: workflows.ActionNote, Actor: nobody, Text: "x"}, "has no role"},
		{"unknown task", workflows.Action{Type: workflows.ActionCompleteTask, Actor: admin, Task: "make-coffee"}, `unknown task "make-coffee"`},
		{"task of a later phase", workflows.Action{Type: workflows.ActionCompleteTask, Actor: admin, Task: "fix-root-cause"}, "belongs to phase remediate"},
		{"task for another role", workflows.Action{Type: workflows.ActionCompleteTask, Actor: dpo, Task: "isolate"}, "is for the responder role"},
		{"unknown role", workflows.Action{Type: workflows.ActionAssignRole, Actor: admin, Role: "wizard", User: "U1"}, `unknown role "wizard"`},
		{"assign without authority", workflows.Action{Type: workflows.ActionAssignRole, Actor: dpo, Role: "commander", User: "U-OTHER"}, "only the commander"},
		{"bad severity", workflows.Action{Type: workflows.ActionSetSeverity, Actor: admin, Severity: "apocalyptic"}, `unknown severity "apocalyptic"`},
		{"same severity", workflows.Action{Type: workflows.ActionSetSeverity, Actor: admin, Severity: "high"}, "already high"},
		{"unknown fact", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "mood", Value: json.RawMessage(`"tense"`)}, `unknown fact "mood"`},
		{"malformed time fact", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "aware_at", Value: json.RawMessage(`"yesterday"`)}, "not an RFC 3339 time"},
		{"malformed affected", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"California": 3}`)}, "use the ISO 3166 code US-CA"},
		// A past defect: well-formed but made-up jurisdictions were accepted.
		{"private-use country XX", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"XX": 3}`)}, "XX is not an assigned ISO 3166-1 country code"},
		{"private-use country ZZ", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"DE": 1, "ZZ": 3}`)}, "ZZ is not an assigned ISO 3166-1 country code"},
		{"unknown US state", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"US-ZZ": 3}`)}, "ZZ is not an ISO 3166-2 subdivision of United States (US)"},
		{"unknown German state", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"DE-XY": 3}`)}, "XY is not an ISO 3166-2 subdivision of Germany (DE)"},
		{"EU subdivision", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"EU-DE": 3}`)}, "EU has no subdivisions"},
		{"country name", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"Germany": 3}`)}, `"Germany" is a name, not a jurisdiction code: use the ISO 3166 code DE`},
		{"negative count", workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "subjects_count", Value: json.RawMessage(`-4`)}, "0 or more"},
		{"fact without the role", workflows.Action{Type: workflows.ActionSetFact, Actor: outsider, Name: "nature", Value: json.RawMessage(`"x"`)}, "set_fact needs one of the roles"},
		{"empty note", workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: "  "}, "needs text"},
		{"unknown gate", workflows.Action{Type: workflows.ActionApprove, Actor: dpo, Gate: "nope"}, `unknown gate "nope"`},
		{"gate of a later phase", workflows.Action{Type: workflows.ActionApprove, Actor: dpo, Gate: "regulator-notice-approval"}, "belongs to phase notify-regulators"},
		{"unknown clock", workflows.Action{Type: workflows.ActionRecordNotification, Actor: dpo, Regime: "us-ca", Obligation: "ag", SentAt: &late}, "has no clock us-ca/ag"},
		{"late notice without a reason", workflows.Action{Type: workflows.ActionRecordNotification, Actor: dpo, Regime: "eu-gdpr", Obligation: "supervisory-authority", SentAt: &late}, "give the reason for the delay"},
		{"record without the role", workflows.Action{Type: workflows.ActionRecordNotification, Actor: outsider, Regime: "eu-gdpr", Obligation: "supervisory-authority", SentAt: &late, Reason: "x"}, "record_notification needs one of the roles"},
		{"undocumented decision", workflows.Action{Type: workflows.ActionDecideNotToNotify, Actor: dpo, Regime: "eu-gdpr", Obligation: "supervisory-authority", Reason: "meh"}, "must be documented"},
		{"snooze past due", workflows.Action{Type: workflows.ActionSnoozeClock, Actor: dpo, Regime: "eu-gdpr", Obligation: "supervisory-authority", Until: &future}, "at most the due time"},
		{"close without authority", workflows.Action{Type: workflows.ActionClose, Actor: dpo}, "close needs one of the roles"},
		{"close with an open clock", workflows.Action{Type: workflows.ActionClose, Actor: admin, Reason: "false alarm"}, "still open"},
		{"NUL in a note", workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: "a\x00b"}, "text contains a NUL"},
	}
	// Refusals because of who asks are typed, so surfaces answer 403.
	forbidden := []string{"no role at all", "task for another role", "assign without authority", "fact without the role",
		"record without the role", "close without authority"}
	results := make([]error, len(cases))
	accepted := make([]bool, len(cases))
	ie.env.RegisterDelayedCallback(func() {
		for i, c := range cases {
			ie.env.UpdateWorkflow(c.action.Type, fmt.Sprintf("bad-%d", i), &testsuite.TestUpdateCallback{
				OnReject:   func(err error) { results[i] = err },
				OnAccept:   func() { accepted[i] = true },
				OnComplete: func(any, error) {},
			}, c.action)
		}
	}, time.Minute)
	var before, after workflows.IncidentState
	ie.env.RegisterDelayedCallback(func() { before = ie.state(t) }, 30*time.Second)
	ie.env.RegisterDelayedCallback(func() {
		after = ie.state(t)
		// Then close the incident so the test ends: a valid decision and close.
		ie.update(workflows.Action{Type: workflows.ActionDecideNotToNotify, Actor: dpo, Regime: "eu-gdpr", Obligation: "supervisory-authority",
			Reason: "The exposed data was encrypted with a key that was not compromised."}, "ok-1", func(*workflows.IncidentState, error) {})
	}, 2*time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		st := ie.state(t)
		for _, c := range st.Clocks {
			if c.Open() && c.Status != workflows.ClockWaiting && c.Status != workflows.ClockNoDeadline {
				ie.update(workflows.Action{Type: workflows.ActionDecideNotToNotify, Actor: dpo, Regime: c.Regime, Obligation: c.Obligation,
					Reason: "Not required: the data was encrypted and the key is safe."}, "ok-"+c.Key(), func(*workflows.IncidentState, error) {})
			}
		}
	}, 3*time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		// Not notifying an authority takes a second person.
		for _, c := range ie.state(t).Clocks {
			if c.Proposed != nil {
				ie.update(workflows.Action{Type: workflows.ActionDecideNotToNotify, Actor: lawyer, Regime: c.Regime, Obligation: c.Obligation},
					"confirm-"+c.Key(), func(*workflows.IncidentState, error) {})
			}
		}
	}, 3*time.Minute+30*time.Second)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionClose, Actor: admin, Reason: "false positive after forensics"}, "ok-close", func(_ *workflows.IncidentState, err error) {
			require.NoError(t, err)
		})
	}, 4*time.Minute)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.NoError(t, ie.env.GetWorkflowError())
	for i, c := range cases {
		require.False(t, accepted[i], "%s: must be rejected", c.name)
		require.Error(t, results[i], "%s: must be rejected", c.name)
		require.Contains(t, results[i].Error(), c.want, "%s: the person must be told why", c.name)
		var app *temporal.ApplicationError
		isForbidden := errors.As(results[i], &app) && app.Type() == workflows.ErrTypeForbidden
		require.Equal(t, slices.Contains(forbidden, c.name), isForbidden, "%s: a role refusal (and only that) is marked Forbidden", c.name)
	}
	require.Equal(t, before.Events, after.Events, "rejected actions leave no trace on the timeline")
	require.Equal(t, before.Tasks, after.Tasks)

	// Closed: every action is refused.
	var res workflows.IncidentResult
	require.NoError(t, ie.env.GetWorkflowResult(&res))
	require.Equal(t, workflows.StatusClosed, res.State.Status)
}

func TestTwoPersonRule(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	// Skip straight to the notify-regulators phase by completing contain and assess.
	approvedBy := map[string][]string{}
	var rejections []string
	for i := 1; i <= 40; i++ {
		ie.env.RegisterDelayedCallback(func() {
			st := ie.state(t)
			if st.Phase == "notify-regulators" {
				return
			}
			a, _ := nextStep(st, approvedBy)
			ie.update(a, fmt.Sprintf("s-%d", i), func(*workflows.IncidentState, error) {})
		}, time.Duration(i)*time.Minute)
	}
	ie.env.RegisterDelayedCallback(func() {
		st := ie.state(t)
		require.Equal(t, "notify-regulators", st.Phase)
		for _, tk := range st.Tasks {
			if tk.Phase == "notify-regulators" && tk.Required {
				ie.update(workflows.Action{Type: workflows.ActionCompleteTask, Actor: admin, Task: tk.ID}, "t-"+tk.ID, func(*workflows.IncidentState, error) {})
			}
		}
	}, 50*time.Minute)
	gate := "regulator-notice-approval"
	try := func(id string, who workflows.Actor) {
		ie.update(workflows.Action{Type: workflows.ActionApprove, Actor: who, Gate: gate}, id, func(_ *workflows.IncidentState, err error) {
			if err != nil {
				rejections = append(rejections, id+": "+err.Error())
			}
		})
	}
	dpoAndDeclarer := workflows.Actor{ID: declarer.ID, Roles: []string{"dpo"}}
	ie.env.RegisterDelayedCallback(func() { try("first", dpo) }, 51*time.Minute)
	ie.env.RegisterDelayedCallback(func() { try("same-person-again", dpo) }, 52*time.Minute)
	ie.env.RegisterDelayedCallback(func() { try("declarer", dpoAndDeclarer) }, 53*time.Minute)
	var after workflows.IncidentState
	ie.env.RegisterDelayedCallback(func() { try("second", lawyer) }, 54*time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		after = ie.state(t)
		ie.env.CancelWorkflow()
	}, 55*time.Minute)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.Len(t, rejections, 2)
	require.Contains(t, rejections[0], "you already approved it")
	require.Contains(t, rejections[1], "the person who declared the incident cannot approve it")
	for _, g := range after.Gates {
		if g.ID == gate {
			require.True(t, g.Approved)
			require.Len(t, g.Approvals, 2)
		}
	}
	require.Equal(t, "notify-customers", after.Phase, "the approved gate lets the phase advance")
}
