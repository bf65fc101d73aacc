// Package slack builds irbot's Slack Block Kit messages and modals: the
// incident card, the announcement, help, the notices list, the declare, note,
// close, clock and notice modals, and clock reminders. One function builds each message, from state, so
// updating a message re-renders it; action, block and callback IDs are
// constants shared with the handlers in internal/slackbot.
//
// Every builder respects Block Kit's limits (50 blocks per message, 3000
// characters per section, 150 per header, 75 per button label, 24 per modal
// title) and truncates gracefully rather than letting Slack reject a message.
package slack

import (
	"strconv"
	"strings"
)

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

	// ActionClockMenu is the overflow menu of an open clock on the card; its
	// option values are ClockValue(ClockOptionNotified or
	// ClockOptionNotNotify, incident, regime, obligation).
	ActionClockMenu = "irbot.clock"
	// ActionClocksPage shows a page of the incident's clocks privately,
	// each open one with its menu: no clock is out of reach when they do
	// not all fit on the card. Its value is Value(incident, page).
	ActionClocksPage = "irbot.clocks_page"

	// Notice buttons in the /incident notices list; the value is
	// Value(incident, notice). Reject and SendLate open a modal asking the
	// reason; Approve and Send act at once.
	ActionNoticeApprove  = "irbot.notice_approve"
	ActionNoticeReject   = "irbot.notice_reject"
	ActionNoticeSend     = "irbot.notice_send"
	ActionNoticeSendLate = "irbot.notice_send_late"
)

// ElementID makes an action ID unique within its block, as Slack requires
// (it answers invalid_blocks otherwise): the n-th element of one kind in a
// block is action#n. Handlers switch on BaseAction of what comes back.
func ElementID(action string, n int) string {
	if n == 0 {
		return action
	}
	return action + "#" + strconv.Itoa(n)
}

// BaseAction is the inverse of ElementID: the action an element performs.
func BaseAction(actionID string) string {
	if i := strings.IndexByte(actionID, '#'); i >= 0 {
		return actionID[:i]
	}
	return actionID
}

// Options of a clock's overflow menu.
const (
	ClockOptionNotified  = "notified"
	ClockOptionNotNotify = "not_notify"
)

// ClockValue is the value of a clock menu option: what to do, and which
// incident and clock.
func ClockValue(option, incidentID, regime, obligation string) string {
	return option + "|" + incidentID + "|" + regime + "/" + obligation
}

// SplitClockValue is the inverse of ClockValue.
func SplitClockValue(v string) (option, incidentID, regime, obligation string) {
	option, rest := SplitValue(v)
	incidentID, key := SplitValue(rest)
	regime, obligation = SplitClockKey(key)
	return option, incidentID, regime, obligation
}

// SplitClockKey splits "regime/obligation".
func SplitClockKey(key string) (regime, obligation string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

// Modal callback IDs.
const (
	CallbackDeclare = "irbot.declare"
	CallbackNote    = "irbot.note"
	CallbackClose   = "irbot.close"
	// CallbackNotified and CallbackNotNotify settle a clock; their private
	// metadata is Value(incident, "regime/obligation").
	CallbackNotified  = "irbot.notified"
	CallbackNotNotify = "irbot.not_notify"
	// CallbackNoticeReject and CallbackNoticeSend ask a notice action's
	// reason; their private metadata is Value(incident, notice).
	CallbackNoticeReject = "irbot.notice_reject"
	CallbackNoticeSend   = "irbot.notice_send"
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
	BlockReference    = "reference"
	BlockSentAt       = "sent_at"
	BlockLateReason   = "late_reason"
	BlockRationale    = "rationale"
	BlockNoticeReason = "notice_reason"

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
