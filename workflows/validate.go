package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/irbot/irbot/internal/policy"
)

// Roles that may steer any incident regardless of task ownership.
var steeringRoles = []string{"commander", "admin"}

// ErrTypeClosed marks the rejection of an action on a closed incident, so
// surfaces can answer "conflict" rather than "bad request".
const ErrTypeClosed = "IncidentClosed"

// ErrTypeForbidden marks a refusal because of the person's roles (or the
// two-person rule), so surfaces answer 403 rather than 400.
const ErrTypeForbidden = "Forbidden"

// denied is a rejection because of who asks, not what they ask.
func denied(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrTypeForbidden)
}

// rejection is an Update validation failure. Its message is shown to the
// person as is, so it says what was wrong and what would be right.
func rejection(format string, args ...any) error { return fmt.Errorf(format, args...) }

// effectiveRoles are the actor's roles from the users file plus the roles
// assigned to them in this incident.
func (inc *incident) effectiveRoles(a Actor) []string {
	return policy.Effective(a.Roles, AssignedRoles(inc.state, a.ID))
}

// AssignedRoles are the roles assigned to user in the incident.
func AssignedRoles(st IncidentState, user string) []string {
	var out []string
	for _, r := range st.Roles {
		if r.User == user {
			out = append(out, r.Role)
		}
	}
	return out
}

// actionAllowed checks the policy's roles for an action.
func (inc *incident) actionAllowed(action string, a Actor) error {
	if !policy.Allowed(action, inc.effectiveRoles(a)) {
		return needRoles(action, policy.Actions[action]...)
	}
	return nil
}

// holdsAny reports whether the actor may act under any of roles (the
// policy leaves read-only roles out).
func (inc *incident) holdsAny(a Actor, roles ...string) bool {
	return policy.MayActAs(inc.effectiveRoles(a), roles)
}

func needRoles(action string, roles ...string) error {
	return denied("%s needs one of the roles %s in this incident or in the users file", action, strings.Join(roles, ", "))
}

// validate runs before an Update is accepted. A rejected Update leaves no
// trace in the workflow history. It must not change any state.
func (inc *incident) validate(name string, a Action) error {
	return inc.validateAt(time.Time{}, name, a)
}

// validateAt is validate knowing the workflow's current time (zero when
// unknown), so stated times can be checked against the moment of recording.
func (inc *incident) validateAt(now time.Time, name string, a Action) error {
	if a.Type != "" && a.Type != name {
		return rejection("action type %q sent to the %q update", a.Type, name)
	}
	if a.Actor.ID == "" {
		return rejection("the action has no actor: every change must say who made it")
	}
	if err := CheckAction(a); err != nil {
		return err
	}
	if inc.state.Status == StatusClosed {
		return temporal.NewApplicationError(fmt.Sprintf("incident %s is closed; open a new incident for new work", inc.state.ID), ErrTypeClosed)
	}
	if eff := inc.effectiveRoles(a.Actor); len(eff) == 0 {
		return denied("%s has no role in irbot; ask an admin to add you to the users file", a.Actor.ID)
	} else if len(policy.Acting(eff)) == 0 {
		return denied("%s is read-only: it reads the record (timeline, registers, evidence, verify) and takes no incident action", strings.Join(eff, ", "))
	}
	act, ok := incidentActions[name]
	if !ok {
		return rejection("unknown action %q; actions are %s", name, strings.Join(ActionTypes, ", "))
	}
	return act.validate(inc, a, now)
}

func (inc *incident) phaseIndex(id string) int {
	if id == "complete" {
		return len(inc.state.Phases)
	}
	for i, p := range inc.state.Phases {
		if p.ID == id {
			return i
		}
	}
	return -1
}
