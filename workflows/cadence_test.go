package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// nudgeLog is the Nudger the workflow tests watch: it keeps every nudge the
// Nudge activity delivers.
type nudgeLog struct {
	mu  sync.Mutex
	got []workflows.Nudge
}

func (l *nudgeLog) Nudge(_ context.Context, n workflows.Nudge) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, n)
	return nil
}

// at lists the offsets from start of the nudges of kind.
func (l *nudgeLog) at(kind string, start time.Time) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for _, n := range l.got {
		if n.Kind == kind {
			out = append(out, n.At.Sub(start))
		}
	}
	return out
}

// quietIncident is a live incident with no regime (no clocks), so only the
// status-update cadence sets timers.
func quietIncident(start time.Time, severity, commander string) workflows.IncidentInput {
	return workflows.IncidentInput{
		ID: "INC-2026-0042", Title: "Laptop stolen", Severity: severity, Mode: workflows.ModeLive,
		DeclaredBy: declarer, DeclaredAt: start, Commander: commander, Playbook: *playbooks.DefaultPlaybook(),
	}
}

func (ie *incidentEnv) kinds(t *testing.T, id string) map[string]int {
	t.Helper()
	events, err := ie.store.Events(t.Context(), id)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	return kinds
}

// TestOverdueStatusUpdateNudgesOncePerPeriodNeverAfterClose: at critical
// severity (30 minutes) with no update the commander is nudged at 30 and
// 60 minutes, once each; a status update at 70 minutes counts the next one
// from it (due at 100); after the close at 115 minutes nothing more comes,
// hours later.
func TestOverdueStatusUpdateNudgesOncePerPeriodNeverAfterClose(t *testing.T) {
	ie := newIncidentEnv(t)
	in := quietIncident(ie.start, "critical", "U-CMD")
	var failures []string
	act := func(a workflows.Action, at time.Duration) {
		ie.env.RegisterDelayedCallback(func() {
			ie.update(a, a.Type+at.String(), func(_ *workflows.IncidentState, err error) {
				if err != nil {
					failures = append(failures, a.Type+": "+err.Error())
				}
			})
		}, at)
	}
	act(workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: "Status update: contained.", StatusUpdate: true}, 70*time.Minute)
	var afterUpdate workflows.IncidentState
	ie.env.RegisterDelayedCallback(func() { afterUpdate = ie.state(t) }, 71*time.Minute)
	act(workflows.Action{Type: workflows.ActionClose, Actor: admin, Reason: "False alarm after all."}, 115*time.Minute)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.Empty(t, failures)
	require.True(t, ie.env.IsWorkflowCompleted())
	require.NoError(t, ie.env.GetWorkflowError())

	require.Equal(t, []time.Duration{30 * time.Minute, 60 * time.Minute, 100 * time.Minute}, ie.nudges.at(workflows.NudgeUpdateOverdue, ie.start),
		"once per cadence period while overdue; the update resets the count")
	require.Empty(t, ie.nudges.at(workflows.NudgeUnowned, ie.start), "a commander and a severity from the start: nothing to point out")
	ie.nudges.mu.Lock()
	first := ie.nudges.got[0]
	ie.nudges.mu.Unlock()
	require.Equal(t, "U-CMD", first.Commander, "the commander is the one nudged")
	require.Equal(t, ie.start.Add(30*time.Minute), first.DueAt.UTC())
	require.Equal(t, "30m0s", first.Cadence)

	require.NotNil(t, afterUpdate.UpdatedAt)
	require.Equal(t, ie.start.Add(70*time.Minute), afterUpdate.UpdatedAt.UTC())
	require.Equal(t, ie.start.Add(100*time.Minute), afterUpdate.UpdateDueAt.UTC())
	require.Nil(t, afterUpdate.UpdateNudgedAt, "an update clears the nudge")

	kinds := ie.kinds(t, in.ID)
	require.Equal(t, 3, kinds["update.nudged"], "each nudge is on the timeline once")
	require.Zero(t, kinds["incident.unowned"])
	v, err := ie.store.Verify(t.Context(), in.ID)
	require.NoError(t, err)
	require.True(t, v.OK)
}

// TestStatusUpdateDueWhenThePersonSaid: an update that names when the next
// one is due moves the nudge there, and a severity change re-counts the
// period from the last update.
func TestStatusUpdateDueWhenThePersonSaid(t *testing.T) {
	ie := newIncidentEnv(t)
	in := quietIncident(ie.start, "high", "U-CMD")
	due := ie.start.Add(3 * time.Hour)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: "Status update: slow going.", StatusUpdate: true, Until: &due}, "u1",
			func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, 10*time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		// Critical from 3h50 on: due 30 minutes after the last update,
		// long past, and 30 minutes after the last nudge (3h): nudged at
		// once, then every 30 minutes.
		ie.update(workflows.Action{Type: workflows.ActionSetSeverity, Actor: admin, Severity: "critical"}, "s1",
			func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, 3*time.Hour+50*time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionClose, Actor: admin, Reason: "Done."}, "c1",
			func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, 4*time.Hour+45*time.Minute)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.NoError(t, ie.env.GetWorkflowError())
	require.Equal(t, []time.Duration{3 * time.Hour, 3*time.Hour + 50*time.Minute, 4*time.Hour + 20*time.Minute}, ie.nudges.at(workflows.NudgeUpdateOverdue, ie.start))
}

// TestUnownedIncidentNudgesOnceAfterFifteenMinutes: an incident without a
// commander, or without a severity, gets one nudge after 15 minutes naming
// what it lacks (and no overdue-update nudge when it has no commander).
func TestUnownedIncidentNudgesOnceAfterFifteenMinutes(t *testing.T) {
	for _, tc := range []struct {
		name, severity, commander string
		missing                   []string
	}{
		{"no commander", "low", "", []string{"commander"}},
		{"no severity", "", "U-CMD", []string{"severity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ie := newIncidentEnv(t)
			in := quietIncident(ie.start, tc.severity, tc.commander)
			ie.env.RegisterDelayedCallback(func() {
				ie.update(workflows.Action{Type: workflows.ActionClose, Actor: admin, Reason: "Done."}, "c1",
					func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
			}, 20*time.Hour)
			ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
			require.NoError(t, ie.env.GetWorkflowError())
			require.Equal(t, []time.Duration{15 * time.Minute}, ie.nudges.at(workflows.NudgeUnowned, ie.start))
			if tc.commander == "" {
				require.Empty(t, ie.nudges.at(workflows.NudgeUpdateOverdue, ie.start))
			}
			ie.nudges.mu.Lock()
			n := ie.nudges.got[0]
			ie.nudges.mu.Unlock()
			require.Equal(t, tc.missing, n.Missing)
			require.Equal(t, declarer.ID, n.DeclaredBy)
			require.Equal(t, 1, ie.kinds(t, in.ID)["incident.unowned"])
		})
	}
}

// TestCadenceCarriedOverContinueAsNew: a run resumed from state (what
// continue-as-new hands over) keeps the cadence: the nudge already sent is
// not sent again, and the next overdue one comes a period after the last.
func TestCadenceCarriedOverContinueAsNew(t *testing.T) {
	ie := newIncidentEnv(t)
	in := quietIncident(ie.start.Add(-2*time.Hour), "high", "U-CMD")
	st := workflows.InitialState(in)
	st.Phase = "contain"
	st.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U-CMD", By: declarer.ID, At: in.DeclaredAt}}
	due := ie.start.Add(-time.Hour)
	nudged := ie.start.Add(-20 * time.Minute)
	st.UpdateDueAt, st.UpdateNudgedAt, st.UnownedNudged = &due, &nudged, true
	in.Resume = &st
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionClose, Actor: admin, Reason: "Done."}, "c1",
			func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, 90*time.Minute)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.NoError(t, ie.env.GetWorkflowError())
	require.Equal(t, []time.Duration{40 * time.Minute}, ie.nudges.at(workflows.NudgeUpdateOverdue, ie.start),
		"an hour after the last nudge (carried over), once; then the close")
	require.Empty(t, ie.nudges.at(workflows.NudgeUnowned, ie.start))
}
