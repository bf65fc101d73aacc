package workflows_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// eventsOf returns the incident's stored timeline, and the data of each
// event by kind (the last one of that kind).
func eventsOf(t *testing.T, ie *incidentEnv) ([]store.Event, map[string]map[string]any) {
	t.Helper()
	evs, err := ie.store.Events(t.Context(), "INC-2026-0001")
	require.NoError(t, err)
	by := map[string]map[string]any{}
	for _, e := range evs {
		var m map[string]any
		require.NoError(t, json.Unmarshal(e.Data, &m))
		by[e.Kind] = m
	}
	return evs, by
}

// snapshot copies a state so later changes to the workflow's own slices
// do not show through.
func snapshot(t *testing.T, st *workflows.IncidentState) workflows.IncidentState {
	t.Helper()
	b, err := json.Marshal(st)
	require.NoError(t, err)
	var out workflows.IncidentState
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func seqOf(evs []store.Event, kind string) int64 {
	for _, e := range evs {
		if e.Kind == kind {
			return e.Seq
		}
	}
	return 0
}

// TestHonestTimes: a sent_at in the future is refused; one far before its
// recording is accepted but flagged; the settled clock keeps its margin; a
// reference is added later as its own event; the declaration says who knew
// what when.
func TestHonestTimes(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	gdpr := func(who workflows.Actor, typ string) workflows.Action {
		return workflows.Action{Type: typ, Actor: who, Regime: "eu-gdpr", Obligation: "supervisory-authority"}
	}
	var errs []string
	var settled workflows.IncidentState
	note := func(name string) func(st *workflows.IncidentState, err error) {
		return func(st *workflows.IncidentState, err error) {
			if err != nil {
				errs = append(errs, name+": "+err.Error())
				return
			}
			settled = *st
		}
	}
	ie.env.RegisterDelayedCallback(func() {
		a := gdpr(dpo, workflows.ActionRecordNotification)
		future := ie.start.Add(10 * 24 * time.Hour)
		a.SentAt, a.Reason = &future, "a stated reason does not make a future time true"
		ie.update(a, "future", note("future"))
		a.RequestID = ""
		skew := ie.start.Add(48*time.Hour + workflows.MaxFutureSkew + time.Minute) // recorded at +48h: past the allowed skew
		a.SentAt = &skew
		ie.update(a, "skew", note("skew"))
		ref := gdpr(dpo, workflows.ActionAddReference)
		ref.Reference = "DPA-2026-118"
		ie.update(ref, "ref-too-early", note("ref-too-early"))
	}, 48*time.Hour)
	ie.env.RegisterDelayedCallback(func() {
		a := gdpr(dpo, workflows.ActionRecordNotification)
		sent := ie.start.Add(20 * time.Hour) // recorded 28 h after it was sent
		a.SentAt = &sent
		ie.update(a, "back-dated", note("back-dated"))
	}, 48*time.Hour+time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		ref := gdpr(dpo, workflows.ActionAddReference)
		ref.Reference = "DPA-2026-118"
		ie.update(ref, "ref", note("ref"))
		bad := gdpr(dpo, workflows.ActionAddReference)
		bad.Reference = "x\x00y"
		ie.update(bad, "ref-nul", note("ref-nul"))
	}, 49*time.Hour)
	ie.cancelAt(50 * time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	ie.requireCanceled(t)

	require.Len(t, errs, 4, "%v", errs)
	require.Contains(t, errs[0], "future: sent_at 2026-03-12T08:00:00Z is in the future")
	require.Contains(t, errs[1], "skew: sent_at")
	require.Contains(t, errs[2], "ref-too-early: eu-gdpr/supervisory-authority has no notice recorded as sent")
	require.Contains(t, errs[3], "reference contains a NUL character")

	c := findClock(settled, "eu-gdpr", "supervisory-authority")
	require.Equal(t, workflows.ClockMet, c.Status)
	require.Equal(t, "2 d 4 h", c.MetBy, "due 72 h after awareness, sent after 20 h: 52 h to spare")
	require.Empty(t, c.LateBy)
	require.Equal(t, "DPA-2026-118", c.Reference)

	evs, by := eventsOf(t, ie)
	require.Equal(t, "incident.declared", evs[0].Kind, "the declaration is the first event")
	decl := by["incident.declared"]
	require.Equal(t, ie.start.Format(time.RFC3339Nano), decl["aware_at"])
	require.Equal(t, ie.start.Format(time.RFC3339Nano), decl["discovered_at"])
	require.Equal(t, declarer.ID, decl["stated_by"].(map[string]any)["id"])
	rec := by["notification.recorded"]
	require.Equal(t, "1 d 4 h", rec["recorded_after"])
	require.Contains(t, rec["flag"], "before it was recorded")
	require.Equal(t, ie.start.Add(20*time.Hour).Format(time.RFC3339Nano), rec["occurred_at"])
	require.Equal(t, "2 d 4 h", rec["met_by"])
	ref := by["notification.reference_added"]
	require.Equal(t, "DPA-2026-118", ref["reference"])
	require.Empty(t, ref["previous"])
	require.Greater(t, seqOf(evs, "notification.reference_added"), seqOf(evs, "notification.recorded"))
}

// TestLateClockShowsByHowMuch: a late notice keeps late_by, fixed.
func TestLateClockShowsByHowMuch(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	var st workflows.IncidentState
	ie.env.RegisterDelayedCallback(func() {
		sent := ie.start.Add(72*time.Hour + 119*time.Hour)
		ie.update(workflows.Action{Type: workflows.ActionRecordNotification, Actor: dpo, Regime: "eu-gdpr", Obligation: "supervisory-authority",
			SentAt: &sent, Reason: "the processor told us late"}, "late", func(s *workflows.IncidentState, err error) {
			require.NoError(t, err)
			st = *s
		})
	}, 200*time.Hour)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, 201*time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	c := findClock(st, "eu-gdpr", "supervisory-authority")
	require.Equal(t, workflows.ClockLate, c.Status)
	require.Equal(t, "4 d 23 h", c.LateBy)
	require.Empty(t, c.MetBy)
	require.NotNil(t, c.SettledAt)
}

// TestDecisionNotToNotifyTheAuthorityNeedsTwoPeople: one person proposes,
// the same person cannot confirm, a second one does.
func TestDecisionNotToNotifyTheAuthorityNeedsTwoPeople(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	decide := func(who workflows.Actor, reason string) workflows.Action {
		return workflows.Action{Type: workflows.ActionDecideNotToNotify, Actor: who, Regime: "eu-gdpr", Obligation: "supervisory-authority", Reason: reason}
	}
	var proposed, confirmed workflows.IncidentState
	var errs []string
	ie.env.RegisterDelayedCallback(func() {
		ie.update(decide(dpo, "Encrypted backup, key not exposed: unlikely to result in a risk"), "p", func(s *workflows.IncidentState, err error) {
			require.NoError(t, err)
			proposed = snapshot(t, s) // the test env hands out the live state
		})
	}, time.Hour)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(decide(dpo, ""), "again", func(_ *workflows.IncidentState, err error) {
			if err != nil {
				errs = append(errs, err.Error())
			}
		})
	}, 2*time.Hour)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(decide(lawyer, ""), "c", func(s *workflows.IncidentState, err error) {
			require.NoError(t, err)
			confirmed = *s
		})
	}, 3*time.Hour)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, 4*time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)

	p := findClock(proposed, "eu-gdpr", "supervisory-authority")
	require.True(t, p.Open(), "one person's decision does not settle the authority's clock")
	require.NotNil(t, p.Proposed)
	require.Equal(t, dpo.ID, p.Proposed.By)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "needs two different people")
	c := findClock(confirmed, "eu-gdpr", "supervisory-authority")
	require.Equal(t, workflows.ClockNotNotified, c.Status)
	require.Equal(t, []string{dpo.ID, lawyer.ID}, c.DecidedBy)
	require.Nil(t, c.Proposed)
	reg, err := ie.store.ListRegister(t.Context())
	require.NoError(t, err)
	r := findRegister(reg, "supervisory-authority")
	require.Equal(t, dpo.ID+", "+lawyer.ID, r.DecidedBy)
	require.Contains(t, r.Rationale, "Encrypted backup")
	evs, _ := eventsOf(t, ie)
	require.Less(t, seqOf(evs, "notification.not_required.proposed"), seqOf(evs, "notification.not_required"))
}

// TestConsequencesNeverPrecedeCauses: moving awareness back makes the clock
// overdue; the clock.changed is on the timeline before the clock.overdue it
// causes, and the declaration before everything.
func TestConsequencesNeverPrecedeCauses(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	ie.env.RegisterDelayedCallback(func() {
		aware := fmt.Sprintf("%q", ie.start.Add(-100*time.Hour).Format(time.RFC3339))
		ie.update(workflows.Action{Type: workflows.ActionSetFact, Actor: dpo, Name: "aware_at", Value: json.RawMessage(aware)}, "aware",
			func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, time.Hour)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, 2*time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	evs, _ := eventsOf(t, ie)
	require.Equal(t, "incident.declared", evs[0].Kind)
	changed, overdue := seqOf(evs, "clock.changed"), seqOf(evs, "clock.overdue")
	require.NotZero(t, changed)
	require.NotZero(t, overdue, "the moved clock is overdue")
	require.Less(t, changed, overdue, "the cause comes first")
	for i, e := range evs {
		require.Equal(t, int64(i+1), e.Seq)
		if i > 0 {
			require.False(t, e.At.Before(evs[i-1].At), "event %d (%s) recorded before event %d", e.Seq, e.Kind, evs[i-1].Seq)
		}
	}
}

// TestEventsSayWhoByNameAndRole: an action's event carries the actor's
// name and the roles it was allowed under.
func TestEventsSayWhoByNameAndRole(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionNote, Actor: dpo, Text: "Bucket made private"}, "n",
			func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, time.Hour)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, 2*time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	_, by := eventsOf(t, ie)
	n := by["note.added"]
	require.Equal(t, dpo.Name, n["actor_name"])
	require.Equal(t, []any{"dpo"}, n["actor_roles"])
}
