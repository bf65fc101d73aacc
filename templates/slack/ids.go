// Package slack builds irbot's Slack Block Kit messages and modals: the
// incident card, the announcement, help, the declare, note and close modals,
// and clock reminders. One function builds each message, from state, so
// updating a message re-renders it; action, block and callback IDs are
// constants shared with the handlers in internal/slackbot.
//
// Every builder respects Block Kit's limits (50 blocks per message, 3000
// characters per section, 150 per header, 75 per button label, 24 per modal
// title) and truncates gracefully rather than letting Slack reject a message.
package slack

// Action IDs of interactive elements. Handlers in internal/slackbot switch on
// these; a button's value carries its argument (task, gate or role ID) and the
// incident ID as "INCIDENT|ARG".
const (
	ActionTaskDone   = "irbot.task_done"
	ActionApprove    = "irbot.approve"
	ActionClaimRole  = "irbot.claim_role"
	ActionSeverity   = "irbot.severity"
	ActionAddNote    = "irbot.add_note"
	ActionClose      = "irbot.close"
	ActionJoin       = "irbot.join"
	ActionOpenStatus = "irbot.status"
)

// Modal callback IDs.
const (
	CallbackDeclare = "irbot.declare"
	CallbackNote    = "irbot.note"
	CallbackClose   = "irbot.close"
)

// Block and action IDs of the declare modal's inputs.
const (
	BlockTitle        = "title"
	BlockSummary      = "summary"
	BlockSeverity     = "severity"
	BlockAwareAt      = "aware_at"
	BlockPersonalData = "personal_data"
	BlockRegimes      = "regimes"
	BlockCommander    = "commander"
	BlockMode         = "mode"
	BlockPublic       = "public"
	BlockNoteText     = "note_text"
	BlockCloseReason  = "close_reason"

	// InputAction is the action ID of every modal input: each input block
	// holds one element, so the block ID alone names the field.
	InputAction = "value"
)

// Limits from the Block Kit reference.
const (
	MaxBlocks        = 50
	MaxModalBlocks   = 100
	MaxSectionText   = 3000
	MaxHeaderText    = 150
	MaxButtonText    = 75
	MaxOptionText    = 75
	MaxModalTitle    = 24
	MaxFieldText     = 2000
	MaxButtonValue   = 2000
	MaxSelectOptions = 100
	MaxFallbackText  = 3000
)

// Value joins an incident ID and a button argument into a button value.
func Value(incidentID, arg string) string { return incidentID + "|" + arg }

// SplitValue is the inverse of Value.
func SplitValue(v string) (incidentID, arg string) {
	for i := 0; i < len(v); i++ {
		if v[i] == '|' {
			return v[:i], v[i+1:]
		}
	}
	return v, ""
}

// CardBlockID is the block ID of the card's actions block; it carries the
// incident ID for the elements that have no value of their own (the severity
// select).
func CardBlockID(incidentID string) string { return "card|" + incidentID }

// IncidentOfBlock is the inverse of CardBlockID ("" for other blocks).
func IncidentOfBlock(blockID string) string {
	if len(blockID) > 5 && blockID[:5] == "card|" {
		return blockID[5:]
	}
	return ""
}
