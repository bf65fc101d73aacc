package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Incident actions as a table: each action is one entry, in its own file
// (action_<name>.go), holding what it does in one line, its check against
// the incident's state and its effect. Who may take it is
// internal/policy's Actions (a test keeps the two lists equal); its Update
// name is its constant in names.go and its fields are Action's (types.go),
// both part of the history format and the API, so neither changes shape.
//
// Adding an action: a constant in names.go (and in ActionTypes), its roles
// in internal/policy, a file with its entry, the entry in incidentActions
// below; then the surfaces.

// incidentAction is one incident action.
type incidentAction struct {
	// name is the Update name (names.go).
	name string
	// describe says in one line what the action does.
	describe string
	// validate checks the action against the incident's state before the
	// Update is accepted (roles, the object's rules). It must not change
	// anything. now is the workflow's time, zero when unknown. The checks
	// every action shares (actor, limits, closed incident, any role at all)
	// have run already.
	validate func(inc *incident, a Action, now time.Time) error
	// prepare, if set, fills what the action leaves to the moment it is
	// asked (record_notification: sent now), before anything is checked.
	prepare func(a *Action, now time.Time)
	// check, if set, is the action's rule that needs no incident state
	// (set_fact: the value's form, a time that has happened). The service
	// runs it before the Update, with CheckAction's limits (CheckRequest).
	check func(a Action, now time.Time) error
	// apply changes the state for the accepted action and queues its
	// timeline entries; it returns the index of the last entry queued.
	apply func(inc *incident, ctx workflow.Context, a Action, at applied) int
}

// applied is what every action's effect is recorded with: when it happened,
// who did it, and the event data every entry carries.
type applied struct {
	now   time.Time
	actor string
	// with builds an event's data from key/value pairs, with the source,
	// the actor's name and roles, and occurred_at.
	with func(kv ...any) map[string]any
}

// incidentActions maps each Update name to its entry. create_notice is an
// entry too; its Update is registered with the notices (incident_notices.go).
var incidentActions = func() map[string]*incidentAction {
	m := map[string]*incidentAction{}
	for _, a := range []*incidentAction{
		&completeTaskAction, &assignRoleAction, &setSeverityAction, &setFactAction, &noteAction,
		&approveAction, &recordNotificationAction, &decideNotToNotifyAction, &snoozeClockAction, &delayClockAction,
		&closeAction, &addReferenceAction, &createNoticeAction,
	} {
		m[a.name] = a
	}
	return m
}()

// CheckRequest prepares and checks an action as asked, before it reaches the
// incident: the entry's defaults (prepare), the limits on every field
// (CheckAction) and the entry's stateless rule (check). The Update
// validator has the last word.
func CheckRequest(a *Action, now time.Time) error {
	act, ok := incidentActions[a.Type]
	if ok && act.prepare != nil {
		act.prepare(a, now)
	}
	if err := CheckAction(*a); err != nil {
		return err
	}
	if ok && act.check != nil {
		return act.check(*a, now)
	}
	return nil
}

// DescribeAction says in one line what an incident action does ("" for an
// unknown one).
func DescribeAction(name string) string {
	if a, ok := incidentActions[name]; ok {
		return a.describe
	}
	return ""
}
