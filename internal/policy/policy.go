// Package policy is the one table of who may do what in irbot: the roles,
// which roles may take each incident action, which roles an incident may
// hand out, and how a person's effective roles in an incident are formed.
// The incident service and the workflow validators both read it; a surface
// never decides a permission on its own. Anything not listed is denied.
package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Roles, as the users file names them.
const (
	Responder  = "responder"
	Commander  = "commander"
	DPO        = "dpo"
	Legal      = "legal"
	Manager    = "manager"
	Compliance = "compliance"
	Admin      = "admin"
)

// Recorder is irbot's own role, never a person's (the users file accepts
// only Roles): irbot writes into the record what Slack told it, such as a
// message pinned by a channel member without a role, as a note naming them.
// It may take no other action.
const Recorder = "recorder"

// Roles lists every role.
var Roles = []string{Responder, Commander, DPO, Legal, Manager, Compliance, Admin}

// ReadOnly roles read the record and never act in it: compliance reviews
// what others did (timelines, registers, evidence packs, verify,
// checkpoints) and takes no incident action, whatever a playbook or an
// action's list names. Every "may act" test below leaves them out.
var ReadOnly = []string{Compliance}

// actingRoles are the roles that may act at all: Roles without ReadOnly.
var actingRoles = slices.DeleteFunc(slices.Clone(Roles), func(r string) bool { return slices.Contains(ReadOnly, r) })

// Acting returns roles without the read-only ones: the roles a person may
// act under.
func Acting(roles []string) []string {
	return slices.DeleteFunc(slices.Clone(roles), func(r string) bool { return slices.Contains(ReadOnly, r) })
}

// MayActAs reports whether roles include any of allowed, counting only
// acting roles: the test for an action's roles and for the roles an object
// names (a task's owner, a gate's or a notice's approvers).
func MayActAs(roles, allowed []string) bool {
	return HoldsAny(Acting(roles), allowed)
}

// IncidentRoles are the roles an incident may give to anyone: they carry
// work inside that incident, not authority the organisation grants. Every
// other role (dpo, legal, manager, compliance) comes only from the users
// file, and admin is never given inside an incident.
var IncidentRoles = []string{Commander, Responder}

// clockRoles own the regulatory clocks: recording, snoozing or delaying a
// clock is theirs.
var clockRoles = []string{DPO, Legal, Commander, Admin}

// Actions maps each incident action to the roles that may take it. Some
// actions narrow this further by their object (a task's role, a gate's
// roles, the two-person rule); those rules live with the object in the
// playbook and are checked by the workflow validators.
var Actions = map[string][]string{
	"complete_task":        {Commander, Admin}, // plus the task's own role
	"assign_role":          {Commander, Manager, Admin},
	"set_severity":         {Commander, Responder, Manager, Admin},
	"set_fact":             {Commander, Responder, DPO, Legal, Admin},
	"note":                 append(slices.Clone(actingRoles), Recorder),
	"approve":              {}, // only the gate's roles
	"record_notification":  clockRoles,
	"decide_not_to_notify": {DPO, Legal, Admin},
	"snooze_clock":         clockRoles,
	"delay_clock":          clockRoles,
	"create_notice":        {DPO, Legal, Commander, Admin},
	"close":                {Commander, Admin},
	"add_reference":        clockRoles, // an authority's case number on a sent notice
}

// RegisterReaders may read the notification register, the breach register
// and evidence packs (which carry both): the people accountable for
// notifications and the auditors.
var RegisterReaders = []string{Compliance, DPO, Legal, Manager, Commander, Admin}

// Record actions: reading or witnessing the record across incidents, not
// acting inside one.
const (
	// ReadCheckpoints reads the signed checkpoints of the chain heads.
	ReadCheckpoints = "read_checkpoints"
	// SignCheckpoint has irbot sign a checkpoint of every chain head now.
	SignCheckpoint = "sign_checkpoint"
	// ReadTombstones lists what retention purged (a purged incident's ID,
	// title, times and final chain head).
	ReadTombstones = "read_tombstones"
)

// RecordActions maps each record action to the roles that may take it:
// whoever may read the record (RegisterReaders). A checkpoint only makes
// the record checkable elsewhere, so taking one is a reader's right too.
var RecordActions = map[string][]string{
	ReadCheckpoints: RegisterReaders,
	SignCheckpoint:  RegisterReaders,
	ReadTombstones:  RegisterReaders,
}

// MayOnRecord reports whether roles may take a record action. Unknown
// actions are denied.
func MayOnRecord(action string, roles []string) bool {
	return HoldsAny(roles, RecordActions[action])
}

// Allowed reports whether any of roles may take action. Unknown actions are
// denied.
func Allowed(action string, roles []string) bool {
	return MayActAs(roles, Actions[action])
}

// HoldsAny reports whether roles include any of allowed: the one "may
// this person" test behind every list above.
func HoldsAny(roles, allowed []string) bool {
	return slices.ContainsFunc(allowed, func(r string) bool { return slices.Contains(roles, r) })
}

// Effective returns a person's roles in an incident: the roles the users
// file gives them, plus the incident roles (commander, responder) assigned
// to them in this incident. An assignment of any other role confers nothing,
// so a role cannot be gained through irbot itself, whatever an incident's
// history holds.
func Effective(org, assigned []string) []string {
	out := slices.Clone(org)
	for _, r := range assigned {
		if slices.Contains(IncidentRoles, r) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// CanAssign says why role may not be given to someone who holds assigneeOrg
// in the users file, or returns nil.
func CanAssign(role string, assigneeOrg []string) error {
	switch {
	case !slices.Contains(Roles, role):
		return fmt.Errorf("unknown role %q; roles are %s", role, strings.Join(Roles, ", "))
	case role == Admin:
		return fmt.Errorf("admin cannot be given inside an incident; admins are named in the users file")
	case slices.Contains(IncidentRoles, role), slices.Contains(assigneeOrg, role):
		return nil
	}
	return fmt.Errorf("%s can only be given to someone who holds it in the users file; inside an incident anyone may be %s", role, strings.Join(IncidentRoles, " or "))
}

// DrillRoles start, steer and schedule drills and edit their after-action
// report; they also see the evaluator's notes (expected answers, guidance)
// that participants do not.
var DrillRoles = []string{Manager, Admin}

// MayRunDrills reports whether roles may start, steer or schedule a drill.
func MayRunDrills(roles []string) bool {
	return HoldsAny(roles, DrillRoles)
}

// PayloadReaders may use the payload codec endpoint (the Temporal UI's and
// CLI's remote codec), which decrypts workflow payloads: whatever an
// incident's history holds, personal data included. Compliance reviews,
// admins operate; nobody else reads raw histories.
var PayloadReaders = []string{Compliance, Admin}

// MayDecodePayloads reports whether roles include a PayloadReaders role.
func MayDecodePayloads(roles []string) bool {
	return HoldsAny(roles, PayloadReaders)
}

// actionNotes narrow an action beyond its roles; the README's role table
// shows them beside the action.
var actionNotes = map[string]string{
	"complete_task":        "also the task's own role (playbook), unless it is compliance",
	"approve":              "only the gate's roles (playbook), never compliance; a notice gate only after the notice's two-person approval",
	"assign_role":          "commander and responder to anyone; dpo, legal, manager, compliance only to who holds them in the users file; admin never",
	"decide_not_to_notify": "two people: a second dpo, legal or admin confirms, as for a notice",
	"note":                 "everyone but compliance, which is read-only; irbot records messages pinned by members without a role",
}

// MarkdownTable renders who may do what as the README's role table: one row
// per incident action, then the reading, drill and codec rights.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| action | " + strings.Join(Roles, " | ") + " | also |\n")
	b.WriteString("|---|" + strings.Repeat("---|", len(Roles)) + "---|\n")
	row := func(name string, allowed []string, note string) {
		b.WriteString("| `" + name + "` |")
		for _, r := range Roles {
			if slices.Contains(allowed, r) {
				b.WriteString(" yes |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString(" " + note + " |\n")
	}
	names := make([]string, 0, len(Actions))
	for a := range Actions {
		names = append(names, a)
	}
	slices.Sort(names)
	for _, a := range names {
		row(a, Actions[a], actionNotes[a])
	}
	row("read registers and evidence packs", RegisterReaders, "")
	row("read checkpoints (`GET /api/v1/checkpoints/{n}`)", RecordActions[ReadCheckpoints], "")
	row("sign a checkpoint now (`POST /api/v1/checkpoints`)", RecordActions[SignCheckpoint], "")
	row("list tombstones of purged incidents", RecordActions[ReadTombstones], "")
	row("start, steer, schedule drills; evaluator notes", DrillRoles, "")
	row("decode workflow payloads (codec endpoint)", PayloadReaders, "")
	return b.String()
}
