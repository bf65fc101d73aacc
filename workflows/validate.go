package workflows

import (
	"fmt"
	"slices"
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

func (inc *incident) holdsAny(a Actor, roles ...string) bool {
	have := inc.effectiveRoles(a)
	for _, r := range roles {
		if slices.Contains(have, r) {
			return true
		}
	}
	return false
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
	if len(inc.effectiveRoles(a.Actor)) == 0 {
		return denied("%s has no role in irbot; ask an admin to add you to the users file", a.Actor.ID)
	}
	switch name {
	case ActionCompleteTask:
		return inc.validateCompleteTask(a)
	case ActionAssignRole:
		if !slices.Contains(policy.Roles, a.Role) {
			return rejection("unknown role %q; roles are %s", a.Role, strings.Join(policy.Roles, ", "))
		}
		if strings.TrimSpace(a.User) == "" {
			return rejection("assign_role needs the user who takes the role")
		}
		self := a.User == a.Actor.ID && slices.Contains(a.Actor.Roles, a.Role)
		if !self && !policy.Allowed(ActionAssignRole, inc.effectiveRoles(a.Actor)) {
			return denied("only the commander, a manager or an admin may assign %s to someone else; you may claim a role you hold in the users file", a.Role)
		}
		assignee := a.AssigneeRoles
		if a.User == a.Actor.ID {
			assignee = a.Actor.Roles
		}
		if err := policy.CanAssign(a.Role, assignee); err != nil {
			return denied("%v", err)
		}
	case ActionSetSeverity:
		if !slices.Contains(Severities, a.Severity) {
			return rejection("unknown severity %q; use one of %s", a.Severity, strings.Join(Severities, ", "))
		}
		if a.Severity == inc.state.Severity {
			return rejection("severity is already %s", a.Severity)
		}
		if err := inc.actionAllowed(ActionSetSeverity, a.Actor); err != nil {
			return err
		}
	case ActionSetFact:
		if _, err := NormalizeFact(a.Name, a.Value); err != nil {
			return err
		}
		if err := inc.actionAllowed(ActionSetFact, a.Actor); err != nil {
			return err
		}
	case ActionNote:
		if strings.TrimSpace(a.Text) == "" {
			return rejection("a note needs text")
		}
	case ActionApprove:
		return inc.validateApprove(a)
	case ActionRecordNotification, ActionDecideNotToNotify, ActionSnoozeClock:
		return inc.validateClockAction(name, a, now)
	case ActionAddReference:
		return inc.validateAddReference(a)
	case ActionDelayClock:
		return inc.validateDelay(a)
	case ActionCreateNotice:
		return inc.validateCreateNotice(a)
	case ActionClose:
		// A drill's manager ends it in one command, open clocks and all: its
		// clocks are play, and the report shows them as missed.
		drill := inc.state.Mode == ModeDrill
		if err := inc.actionAllowed(ActionClose, a.Actor); err != nil && !(drill && inc.holdsAny(a.Actor, "manager")) {
			return err
		}
		if open := inc.openClocks(); len(open) > 0 && !drill {
			return rejection("cannot close: %s still open; record the notification or a documented decision not to notify first", strings.Join(open, ", "))
		}
		if inc.state.Phase != "complete" && strings.TrimSpace(a.Reason) == "" {
			return rejection("cannot close: phase %s is not finished (next: %s); finish the playbook or give a reason to close early", inc.state.Phase, inc.state.NextAction)
		}
	default:
		return rejection("unknown action %q; actions are %s", name, strings.Join(ActionTypes, ", "))
	}
	return nil
}

func (inc *incident) validateCompleteTask(a Action) error {
	if a.Task == "" {
		return rejection("complete_task needs the task id")
	}
	var task *TaskState
	for i := range inc.state.Tasks {
		if inc.state.Tasks[i].ID == a.Task {
			task = &inc.state.Tasks[i]
		}
	}
	if task == nil {
		ids := make([]string, 0, len(inc.state.Tasks))
		for _, t := range inc.state.Tasks {
			if t.Phase == inc.state.Phase && !t.Done {
				ids = append(ids, t.ID)
			}
		}
		return rejection("unknown task %q; open tasks in phase %s: %s", a.Task, inc.state.Phase, strings.Join(ids, ", "))
	}
	if task.Done {
		return rejection("task %s was already completed by %s", task.ID, task.DoneBy)
	}
	if inc.phaseIndex(task.Phase) > inc.phaseIndex(inc.state.Phase) {
		return rejection("task %s belongs to phase %s; the incident is in phase %s", task.ID, task.Phase, inc.state.Phase)
	}
	if !inc.holdsAny(a.Actor, append([]string{task.Role}, steeringRoles...)...) {
		return denied("task %s is for the %s role; you hold %s", task.ID, task.Role, strings.Join(inc.effectiveRoles(a.Actor), ", "))
	}
	return nil
}

func (inc *incident) validateApprove(a Action) error {
	var gate *GateState
	for i := range inc.state.Gates {
		if inc.state.Gates[i].ID == a.Gate {
			gate = &inc.state.Gates[i]
		}
	}
	if gate == nil {
		ids := make([]string, 0, len(inc.state.Gates))
		for _, g := range inc.state.Gates {
			ids = append(ids, g.ID)
		}
		return rejection("unknown gate %q; gates are %s", a.Gate, strings.Join(ids, ", "))
	}
	if gate.Approved {
		return rejection("gate %s is already approved", gate.ID)
	}
	for _, n := range inc.state.Notices {
		if noticeGates[n.Recipient] == gate.ID {
			return rejection("gate %s approves the notice itself: it is satisfied when notice %s is approved by a second person (irbot notice %s %s approve), not by approving the gate", gate.ID, n.ID, inc.state.ID, n.ID)
		}
	}
	if inc.phaseIndex(gate.Phase) > inc.phaseIndex(inc.state.Phase) {
		return rejection("gate %s belongs to phase %s; the incident is in phase %s", gate.ID, gate.Phase, inc.state.Phase)
	}
	if !inc.holdsAny(a.Actor, gate.Roles...) {
		return denied("gate %s must be approved by someone with the role %s", gate.ID, strings.Join(gate.Roles, " or "))
	}
	if gate.TwoPerson {
		for _, ap := range gate.Approvals {
			if ap.By == a.Actor.ID {
				return denied("gate %s needs two different people: you already approved it", gate.ID)
			}
		}
		if a.Actor.ID == inc.state.DeclaredBy.ID {
			return denied("gate %s follows the two-person rule: the person who declared the incident cannot approve it", gate.ID)
		}
	}
	return nil
}

func (inc *incident) validateClockAction(name string, a Action, now time.Time) error {
	if a.Regime == "" || a.Obligation == "" {
		return rejection("%s needs regime and obligation, e.g. eu-gdpr and supervisory-authority", name)
	}
	var c *ClockState
	for i := range inc.state.Clocks {
		if inc.state.Clocks[i].Regime == a.Regime && inc.state.Clocks[i].Obligation == a.Obligation {
			c = &inc.state.Clocks[i]
		}
	}
	if c == nil {
		keys := make([]string, 0, len(inc.state.Clocks))
		for _, k := range inc.state.Clocks {
			keys = append(keys, k.Key())
		}
		return rejection("incident %s has no clock %s/%s; its clocks are %s", inc.state.ID, a.Regime, a.Obligation, strings.Join(keys, ", "))
	}
	if !c.Open() {
		return rejection("clock %s is already settled (%s)", c.Key(), c.Status)
	}
	switch name {
	case ActionRecordNotification:
		if err := inc.actionAllowed(name, a.Actor); err != nil {
			return err
		}
		if a.SentAt != nil && c.DueAt != nil && a.SentAt.After(*c.DueAt) && strings.TrimSpace(a.Reason) == "" && c.Semantics != "asap" {
			return rejection("the notice was sent after the due time %s: give the reason for the delay (reason)", c.DueAt.Format(time.RFC3339))
		}
		if a.SentAt != nil && a.SentAt.Before(inc.state.DeclaredAt.Add(-365*24*time.Hour)) {
			return rejection("sent_at %s is more than a year before the incident was declared", a.SentAt.Format(time.RFC3339))
		}
		if a.SentAt != nil && !now.IsZero() {
			if err := CheckHappened("sent_at", *a.SentAt, now); err != nil {
				return err
			}
		}
	case ActionDecideNotToNotify:
		if err := inc.actionAllowed(name, a.Actor); err != nil {
			return err
		}
		if p := c.Proposed; p != nil {
			// The second person of a two-person decision confirms it.
			if p.By == a.Actor.ID {
				return rejection("a decision not to notify the %s needs two different people: you proposed it, so someone else with the role dpo, legal or admin must confirm it", c.Recipient)
			}
			return nil
		}
		return CheckNotNotifyRationale(a.Reason)
	case ActionSnoozeClock:
		if err := inc.actionAllowed(name, a.Actor); err != nil {
			return err
		}
		if a.Until == nil {
			return rejection("snooze_clock needs until (an RFC 3339 time)")
		}
		if c.DueAt != nil && a.Until.After(*c.DueAt) {
			return rejection("reminders can be snoozed until at most the due time %s; escalations always go out", c.DueAt.Format(time.RFC3339))
		}
	}
	return nil
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

func (inc *incident) validateDelay(a Action) error {
	if !slices.Contains(inc.state.Regimes, a.Regime) {
		return rejection("delay_clock needs one of the incident's regimes (%s), got %q", strings.Join(inc.state.Regimes, ", "), a.Regime)
	}
	if a.Obligation != "" && inc.clock(a.Regime, a.Obligation) == nil {
		return rejection("incident %s has no clock %s/%s", inc.state.ID, a.Regime, a.Obligation)
	}
	if err := inc.actionAllowed(ActionDelayClock, a.Actor); err != nil {
		return err
	}
	if inc.openDelay(a.Regime, a.Obligation) == nil && !Documented(a.Reason) {
		return rejection("a law-enforcement delay must be documented: give the reason (reason), e.g. the agency and its written request")
	}
	return nil
}

func (inc *incident) validateAddReference(a Action) error {
	if a.Regime == "" || a.Obligation == "" {
		return rejection("add_reference needs regime and obligation, e.g. eu-gdpr and supervisory-authority")
	}
	c := inc.clock(a.Regime, a.Obligation)
	if c == nil {
		return rejection("incident %s has no clock %s/%s", inc.state.ID, a.Regime, a.Obligation)
	}
	if c.SentAt == nil || (c.Status != ClockMet && c.Status != ClockLate) {
		return rejection("%s has no notice recorded as sent (%s): record the notification first", c.Key(), c.Status)
	}
	ref := strings.TrimSpace(a.Reference)
	if ref == "" {
		return rejection("add_reference needs the reference (the authority's case number or receipt)")
	}
	// Size and control characters: CheckAction (limits.go), with every other field.
	if ref == c.Reference {
		return rejection("%s already has the reference %q", c.Key(), ref)
	}
	return inc.actionAllowed(ActionAddReference, a.Actor)
}
