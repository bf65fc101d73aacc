// Package workflows holds irbot's Temporal workflows: IncidentWorkflow (one
// per incident), ClockWorkflow (one per open regulatory obligation),
// NoticeWorkflow and CampaignWorkflow (one per notice and mailing),
// DrillWorkflow, ScheduledDrillWorkflow and DrillReminderWorkflow (drills),
// and DigestWorkflow (the daily digest of open clocks); their Input/Result
// types, and the names of their Updates, Queries and Signals. Register
// (register.go) registers them all on a worker.
//
// Every name in this file is recorded in workflow histories. Changing one
// breaks running incidents: add a new name instead, and keep the old one
// working behind workflow.GetVersion.
package workflows

import (
	"fmt"
	"strings"
)

// TaskQueue is the queue irbot's worker polls.
const TaskQueue = "irbot"

// Workflow type names.
const (
	IncidentWorkflowName = "IncidentWorkflow"
	ClockWorkflowName    = "ClockWorkflow"
)

// Activity type names.
const (
	RecordActivityName = "Record"
	// RecordBatchActivityName writes consecutive timeline records in one
	// call (timelineBatchChange).
	RecordBatchActivityName = "RecordBatch"
	ClockAlertActivityName  = "ClockAlert"
	PublishActivityName     = "PublishIncident"
	// PublishRefActivityName is PublishIncident given a reference to the
	// store's snapshot instead of the state (payloadRefsChange). A name of
	// its own: a worker of an older release, mid-upgrade, does not know it
	// and fails the task (retried on another worker) instead of drawing a
	// card from an input it would read as an empty state.
	PublishRefActivityName = "PublishIncidentRef"
	// NudgeActivityName tells the commander (or the channel) that a status
	// update is overdue, or that the incident has no commander or severity.
	NudgeActivityName = "NudgeIncident"
)

// QueryState returns the incident's full IncidentState.
const QueryState = "state"

// Update names: one per action type, the same words the API and CLI use.
const (
	ActionCompleteTask       = "complete_task"
	ActionAssignRole         = "assign_role"
	ActionSetSeverity        = "set_severity"
	ActionSetFact            = "set_fact"
	ActionNote               = "note"
	ActionApprove            = "approve"
	ActionRecordNotification = "record_notification"
	ActionDecideNotToNotify  = "decide_not_to_notify"
	ActionSnoozeClock        = "snooze_clock"
	ActionDelayClock         = "delay_clock"
	ActionClose              = "close"
	// ActionAddReference attaches the authority's case number or a receipt
	// to a notice already recorded as sent, as its own timeline event.
	ActionAddReference = "add_reference"
)

// ActionTypes lists every action an incident accepts, in the order help shows them.
var ActionTypes = []string{
	ActionCompleteTask, ActionAssignRole, ActionSetSeverity, ActionSetFact, ActionNote,
	ActionApprove, ActionRecordNotification, ActionDecideNotToNotify, ActionSnoozeClock, ActionDelayClock, ActionClose,
	ActionAddReference,
}

// SignalSlackResume tells an incident whose Slack publishing a permanent
// error paused that something changed (irbot re-invited, the channel
// unarchived, a person ran /incident repost): its payload is the reason, a
// string. The incident records slack.resumed and re-renders once.
const SignalSlackResume = "slack.resume"

// Clock workflow signals and query.
const (
	SignalClockReschedule = "clock.reschedule"
	SignalClockSettle     = "clock.settle"
	SignalClockSnooze     = "clock.snooze"
	QueryClock            = "clock.state"
)

const incidentWorkflowPrefix = "incident/"

// IncidentWorkflowID is the workflow ID of incident id ("INC-2026-0042").
func IncidentWorkflowID(incidentID string) string { return incidentWorkflowPrefix + incidentID }

// IncidentIDFromWorkflowID is the inverse of IncidentWorkflowID.
func IncidentIDFromWorkflowID(workflowID string) (string, bool) {
	id, ok := strings.CutPrefix(workflowID, incidentWorkflowPrefix)
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// ClockWorkflowID is the workflow ID of the clock for one obligation of one incident.
func ClockWorkflowID(incidentID, regime, obligation string) string {
	return fmt.Sprintf("%s/clock/%s/%s", IncidentWorkflowID(incidentID), regime, obligation)
}

// Notices and campaigns. Each notice is a NoticeWorkflow, a child of
// its incident; a customer campaign is a CampaignWorkflow, a child of the
// notice it delivers.
const (
	NoticeWorkflowName   = "NoticeWorkflow"
	CampaignWorkflowName = "CampaignWorkflow"

	SendNoticeActivityName     = "SendNotice"
	NoticeEventActivityName    = "NoticeEvent"
	CampaignBatchActivityName  = "CampaignBatch"
	CampaignCountsActivityName = "CampaignCounts"

	// ActionCreateNotice is the incident Update that drafts a notice.
	ActionCreateNotice = "create_notice"

	// Notice Updates (on the NoticeWorkflow) and its query.
	NoticeApprove           = "approve"
	NoticeReject            = "reject"
	NoticeSend              = "send"
	NoticeDecideNotToNotify = "decide_not_to_notify"
	QueryNotice             = "notice.state"
	QueryCampaign           = "campaign.progress"

	// SignalNoticeChanged goes from a notice to its incident with the
	// notice's NoticeSummary whenever its status or content changes.
	SignalNoticeChanged = "notice.changed"
	// SignalNoticeFacts goes from the incident to its open notices with the
	// incident's facts, so drafts re-render.
	SignalNoticeFacts = "notice.facts"
	// SignalNoticeClose tells an open notice its incident closed.
	SignalNoticeClose = "notice.close"
)

// NoticeActionTypes are the actions a notice accepts, as the API names them.
var NoticeActionTypes = []string{NoticeApprove, NoticeReject, NoticeSend, NoticeDecideNotToNotify}

// NoticeWorkflowID is the workflow ID of notice noticeID ("N1") of an incident.
func NoticeWorkflowID(incidentID, noticeID string) string {
	return IncidentWorkflowID(incidentID) + "/notice/" + noticeID
}

// CampaignWorkflowID is the workflow ID of the campaign that delivers a notice.
func CampaignWorkflowID(incidentID, noticeID string) string {
	return NoticeWorkflowID(incidentID, noticeID) + "/campaign"
}
