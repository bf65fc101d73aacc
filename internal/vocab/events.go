// Package vocab is irbot's domain vocabulary in one place that compliance
// can read: the kinds of timeline events, what each means and the data it
// carries. The README's "Timeline events" table is generated from
// EventKinds, and a test keeps both in step with the code that records
// events (internal/vocab/events_test.go).
package vocab

// EventKind is one kind of timeline event.
type EventKind struct {
	Kind    string
	Meaning string
	// Fields are the main keys of the event's data (the code that records
	// the event has them all), besides actor_name and
	// actor_roles, which every event caused by a person carries.
	Fields string
}

// EventKinds lists every kind of timeline event irbot records, in the
// order an incident usually meets them.
var EventKinds = []EventKind{
	{"incident.declared", "An incident was declared; always the first event of a timeline.", "title, severity, mode, regimes, aware_at, discovered_at, stated_by, defaulted"},
	{"slack.channel", "The incident's Slack channel was created or found.", "channel_id, channel_name"},
	{"role.assigned", "Someone was given an incident role (commander, dpo, legal, ...).", "role, user"},
	{"severity.changed", "The severity changed.", "from, to, reason"},
	{"phase.changed", "The playbook moved to another phase (contain, assess, notify, remediate, ...).", "from, to"},
	{"task.added", "A task was added, e.g. to draft a notice a new obligation needs.", "task, title, role, notice, regime, obligation"},
	{"task.completed", "A playbook task was completed.", "task, title, phase"},
	{"gate.approved", "A gate (a two-person or role-bound check) was approved.", "gate, notice"},
	{"fact.set", "A fact (nature, data categories, counts, affected jurisdictions, awareness, ...) was set or corrected; the old value is kept.", "name, value, previous, defaulted"},
	{"note.added", "A note was added; a status update (/incident update) resets the update cadence.", "text, status_update, next_update_due; a pinned Slack message: occurred_at (its own time), author, pinned_by"},
	{"update.nudged", "A status update was overdue at the severity's cadence; the commander was nudged (once per cadence period, never after close).", "due_at, cadence, severity, commander, last_update_at"},
	{"incident.unowned", "The incident still had no commander or no severity some minutes after its declaration; it was pointed out once.", "missing, after, declared_by"},
	{"drill.feedback", "A drill participant's feedback form after play (HSEEP participant feedback); the report lists it per person.", "rating, went_well, improve"},
	{"clock.added", "A regulatory clock started for an obligation.", "regime, obligation, recipient, trigger, due_at, basis, source, waiting_for, why"},
	{"clock.changed", "A clock's due time changed because a fact it counts from changed.", "regime, obligation, from, to, waiting_for, why"},
	{"clock.withdrawn", "A clock no longer applies (its threshold is no longer met).", "regime, obligation, why"},
	{"clock.snoozed", "A clock's reminders were snoozed (the deadline does not move).", "regime, obligation, until, reason"},
	{"clock.delayed", "A lawful delay of a notification was recorded (e.g. a law-enforcement request).", "regime, obligation, until, reason"},
	{"clock.reminder", "A reminder that a clock is due soon.", "regime, obligation, due_at, late_by_seconds (when it fired late: every worker was down at its time)"},
	{"clock.escalation", "A clock close to its deadline was escalated to the roles that own it.", "regime, obligation, due_at, offset, late_by_seconds (when it fired late)"},
	{"clock.overdue", "A clock passed its deadline without its notice.", "regime, obligation, due_at, late_by_seconds (when it fired late)"},
	{"notice.drafted", "A notice was drafted from the incident's facts.", "notice, regime, obligation, recipient, to (count), follows, missing, language"},
	{"notice.redrafted", "A notice's text changed because the facts it draws on changed; approvals start again.", "notice, revision, content_hash"},
	{"notice.approved", "A second person approved a notice (never its drafter).", "notice, revision, content_hash"},
	{"notice.rejected", "A notice was rejected.", "notice, reason"},
	{"notice.sending", "Sending a notice began.", "notice, revision, message_id, to"},
	{"notice.attempt", "One delivery attempt of a notice, with the mail server's reply.", "notice, attempt, at, outcome, code, stage, uncertain, message_id, revision, error"},
	{"notice.sent", "A notice was delivered; its Message-ID and content hash are the proof.", "notice, regime, obligation, message_id, content_hash, sent_at, on_time, attempts, recipients, drill, language"},
	{"notice.failed", "A notice could not be delivered.", "notice, regime, obligation, why, action_needed"},
	{"notice.escalation", "A notice waiting for approval or sending was escalated.", "notice, regime, obligation"},
	{"notice.not_notified", "A notice was withdrawn by a decision not to notify.", "notice, rationale"},
	{"notice.registered", "A sent notice entered the notification register (a campaign still running).", "regime, obligation, message_id, content_hash, language"},
	{"notification.recorded", "A notification was recorded as made, settling its clock; in the register.", "regime, obligation, sent_at, on_time, met_by, late_by, message_id, language"},
	{"notification.reference_added", "A reference (authority case number, receipt) was added to a sent notification.", "regime, obligation, reference"},
	{"notification.not_required.proposed", "Someone proposed not to notify an authority; a second person must confirm.", "regime, obligation, rationale"},
	{"notification.not_required", "A decision not to notify, with its rationale and deciders; in the register.", "regime, obligation, rationale, decided_by"},
	{"campaign.completed", "A campaign to individuals finished.", "notice, campaign, total, sent, failed, batches, drill"},
	{"slack.failed", "Slack refused a message permanently (recorded once per channel and error).", "channel, code, error, permanent, paused"},
	{"slack.resumed", "Publishing to Slack resumed after a permanent failure was resolved.", "reason, after"},
	{"action.denied", "An action was refused (role, two-person rule, invalid input), from any surface.", "action, task, gate, role, ..., reason, source"},
	{"record.withheld", "An entry could not be stored as given and was withheld; the kind and the reason are kept.", "kind, reason"},
	{"incident.closed", "The incident was closed.", "reason"},
	{"incident.data_erased", "The closed incident's personal data was erased by destroying its data key; the chain still verifies.", "reason, method"},
}
