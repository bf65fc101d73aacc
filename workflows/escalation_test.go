package workflows_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/workflows"
)

// The escalations found from outside: a manager making themselves admin, a
// commander making themselves dpo to approve a dpo/legal gate, a manager
// giving legal to a responder, and anyone snoozing a regulatory clock. Each
// is refused as Forbidden (403), and an old assignment of such a role
// confers nothing.
func TestRolesCannotBeGainedInsideAnIncident(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	manager := workflows.Actor{ID: "U-MGR", Roles: []string{"manager"}}
	commander := workflows.Actor{ID: "U-CMD", Roles: []string{"commander"}}
	compliance := workflows.Actor{ID: "U-COMP", Roles: []string{"compliance"}}
	until := ie.start.Add(2 * time.Hour)
	refused := []struct {
		name string
		a    workflows.Action
	}{
		{"manager makes themselves admin", workflows.Action{Type: workflows.ActionAssignRole, Actor: manager, Role: "admin", User: manager.ID}},
		{"commander makes themselves dpo", workflows.Action{Type: workflows.ActionAssignRole, Actor: commander, Role: "dpo", User: commander.ID}},
		{"manager gives legal to a responder", workflows.Action{Type: workflows.ActionAssignRole, Actor: manager, Role: "legal", User: declarer.ID, AssigneeRoles: declarer.Roles}},
		{"admin gives admin", workflows.Action{Type: workflows.ActionAssignRole, Actor: admin, Role: "admin", User: declarer.ID, AssigneeRoles: declarer.Roles}},
		{"compliance snoozes a clock", workflows.Action{Type: workflows.ActionSnoozeClock, Actor: compliance, Regime: "eu-gdpr", Obligation: "supervisory-authority", Until: &until}},
		{"compliance writes a note", workflows.Action{Type: workflows.ActionNote, Actor: compliance, Text: "reviewed"}},
		{"compliance claims its own role", workflows.Action{Type: workflows.ActionAssignRole, Actor: compliance, Role: "compliance", User: compliance.ID}},
		{"compliance completes a task", workflows.Action{Type: workflows.ActionCompleteTask, Actor: compliance, Task: "isolate"}},
		{"responder snoozes a clock", workflows.Action{Type: workflows.ActionSnoozeClock, Actor: declarer, Regime: "eu-gdpr", Obligation: "supervisory-authority", Until: &until}},
	}
	errs := make([]error, len(refused))
	ie.env.RegisterDelayedCallback(func() {
		for i, c := range refused {
			ie.env.UpdateWorkflow(c.a.Type, fmt.Sprintf("esc-%d", i), &testsuite.TestUpdateCallback{
				OnReject: func(err error) { errs[i] = err }, OnAccept: func() {}, OnComplete: func(any, error) {},
			}, c.a)
		}
	}, time.Minute)
	// Allowed: the incident roles, and an org role to someone who holds it.
	var okErrs []error
	ie.env.RegisterDelayedCallback(func() {
		for i, a := range []workflows.Action{
			{Type: workflows.ActionAssignRole, Actor: manager, Role: "commander", User: declarer.ID, AssigneeRoles: declarer.Roles},
			{Type: workflows.ActionAssignRole, Actor: admin, Role: "dpo", User: dpo.ID, AssigneeRoles: dpo.Roles},
			{Type: workflows.ActionSnoozeClock, Actor: dpo, Regime: "eu-gdpr", Obligation: "supervisory-authority", Until: &until},
		} {
			ie.update(a, fmt.Sprintf("ok-%d", i), func(_ *workflows.IncidentState, err error) { okErrs = append(okErrs, err) })
		}
	}, 2*time.Minute)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	for i, c := range refused {
		require.Error(t, errs[i], "%s must be refused", c.name)
		var app *temporal.ApplicationError
		require.True(t, errors.As(errs[i], &app) && app.Type() == workflows.ErrTypeForbidden, "%s: a 403, got %v", c.name, errs[i])
		if c.a.Actor.ID == compliance.ID {
			require.ErrorContains(t, errs[i], "compliance is read-only", "%s: the refusal says why", c.name)
		}
	}
	require.Len(t, okErrs, 3)
	for _, err := range okErrs {
		require.NoError(t, err)
	}
}
