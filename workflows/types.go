package workflows

import (
	"encoding/json"
	"time"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/playbooks"
)

// Incident modes and statuses.
const (
	ModeLive  = "live"
	ModeDrill = "drill"

	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Severities, most severe first.
var Severities = []string{"critical", "high", "medium", "low"}

// Clock statuses.
const (
	ClockWaiting     = "waiting"      // its trigger or prior stage is not known yet
	ClockRunning     = "running"      // due in the future, not yet met
	ClockOverdue     = "overdue"      // past due, not yet met
	ClockMet         = "met"          // notice recorded on time
	ClockLate        = "late"         // notice recorded after the due time, with a reason
	ClockNotNotified = "not_notified" // a documented decision not to notify
	ClockNoDeadline  = "no_deadline"  // "without undue delay" with no numeric limit
	ClockPaused      = "paused"       // a law-enforcement delay holds it with no end yet
)

// Actor is the person (or system) behind an action, as the authenticated
// surface identified them. Roles are the person's roles from the users file.
type Actor struct {
	ID    string   `json:"id"`             // stable: Slack user ID, email, or "token:NAME"
	Name  string   `json:"name,omitempty"` // for display
	Roles []string `json:"roles,omitempty"`
}

// FactSource is who set a fact, and when.
type FactSource struct {
	By Actor     `json:"by"`
	At time.Time `json:"at"`
}

// Action is one change a person asks of an incident. Type selects the Update;
// the other fields are that action's arguments.
type Action struct {
	Type       string          `json:"type"`
	Actor      Actor           `json:"actor"`
	Task       string          `json:"task,omitempty"`
	Role       string          `json:"role,omitempty"`
	User       string          `json:"user,omitempty"`
	Severity   string          `json:"severity,omitempty"`
	Name       string          `json:"name,omitempty"`
	Value      json.RawMessage `json:"value,omitempty"`
	Text       string          `json:"text,omitempty"`
	Gate       string          `json:"gate,omitempty"`
	Regime     string          `json:"regime,omitempty"`
	Obligation string          `json:"obligation,omitempty"`
	SentAt     *time.Time      `json:"sent_at,omitempty"`
	Reference  string          `json:"reference,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Until      *time.Time      `json:"until,omitempty"`
	// To and Follows draft a notice (create_notice): its addresses, and the
	// notice it follows up (phased reporting).
	To      []string `json:"to,omitempty"`
	Follows string   `json:"follows,omitempty"`
	// Language is the notice's BCP 47 tag (create_notice); "" is English.
	Language string `json:"language,omitempty"`
	// AssigneeRoles are the roles the users file gives User (assign_role),
	// looked up by the incident service; never taken from a request body.
	AssigneeRoles []string `json:"assignee_roles,omitempty"`
	// Author and PinnedBy: a note captured from a pinned Slack message
	// keeps the message's author and who pinned it, beside At (its time).
	Author   string `json:"author,omitempty"`
	PinnedBy string `json:"pinned_by,omitempty"`
	// StatusUpdate marks a note as the commander's status update
	// (/incident update): it resets the update cadence, and Until, when
	// set, is when the next one is due.
	StatusUpdate bool `json:"status_update,omitempty"`
	// Source says where the action came from (api, slack, cli) for the timeline.
	Source string `json:"source,omitempty"`
	// At is when the person acted, if the surface knows better than the
	// workflow clock (a pinned Slack message keeps its own timestamp).
	At *time.Time `json:"at,omitempty"`
	// RequestID makes an action idempotent: a repeat with the same ID (a
	// Slack retry, a double click) changes nothing and returns the state.
	RequestID string `json:"request_id,omitempty"`
}

// IncidentInput starts an IncidentWorkflow. The playbook and rules are pinned
// here at declaration: editing a playbook file changes new incidents only.
type IncidentInput struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Summary    string     `json:"summary,omitempty"`
	Severity   string     `json:"severity"`
	Mode       string     `json:"mode"`
	DeclaredBy Actor      `json:"declared_by"`
	DeclaredAt time.Time  `json:"declared_at"`
	AwareAt    *time.Time `json:"aware_at,omitempty"`
	// AwareDefaulted says AwareAt is irbot's default (the declaration),
	// not a time a person stated; the state lists it in Defaulted.
	AwareDefaulted bool               `json:"aware_defaulted,omitempty"`
	Commander      string             `json:"commander,omitempty"`
	Regimes        []string           `json:"regimes"`
	Playbook       playbooks.Playbook `json:"playbook"`
	Rules          playbooks.RuleSet  `json:"rules"`
	// Speed compresses time in drills: 60 runs a 72 h clock in 72 minutes.
	Speed float64 `json:"speed,omitempty"`
	// PublicChannel asks for a public incident channel; a suspected breach
	// gets a private one by default.
	PublicChannel bool `json:"public_channel,omitempty"`
	// Facts known at declaration, already normalised (NormalizeFact).
	Facts map[string]any `json:"facts,omitempty"`
	// Resume carries the state across continue-as-new; nil on first start.
	Resume *IncidentState `json:"resume,omitempty"`
}

// IncidentResult is what a closed incident returns.
type IncidentResult struct {
	State IncidentState `json:"state"`
}

// IncidentState is the live state of an incident, as the state Query and
// every Update return it.
type IncidentState struct {
	ID              string           `json:"id"`
	Title           string           `json:"title"`
	Summary         string           `json:"summary,omitempty"`
	Severity        string           `json:"severity"`
	Mode            string           `json:"mode"`
	Status          string           `json:"status"`
	Phase           string           `json:"phase"`
	Playbook        string           `json:"playbook"`
	PlaybookVersion int              `json:"playbook_version"`
	DeclaredBy      Actor            `json:"declared_by"`
	DeclaredAt      time.Time        `json:"declared_at"`
	ClosedAt        *time.Time       `json:"closed_at,omitempty"`
	Regimes         []string         `json:"regimes"`
	Phases          []PhaseState     `json:"phases"`
	Tasks           []TaskState      `json:"tasks"`
	Gates           []GateState      `json:"gates"`
	Roles           []RoleAssignment `json:"roles"`
	Facts           map[string]any   `json:"facts"`
	// FactsBy says who last set each fact and when, as they were then.
	FactsBy map[string]FactSource `json:"facts_by,omitempty"`
	Clocks  []ClockState          `json:"clocks"`
	Delays  []deadline.Delay      `json:"delays,omitempty"`
	// Defaulted are the facts irbot set itself (aware_at from the
	// declaration, discovered_at from the awareness time) until a person
	// sets them; discovered_at follows awareness while it is defaulted.
	Defaulted  []string `json:"defaulted,omitempty"`
	Notes      int      `json:"notes"`
	Events     int      `json:"events"`
	NextAction string   `json:"next_action,omitempty"`
	Speed      float64  `json:"speed,omitempty"`
	// DrillPause is how long a drill's play has been paused: its scenario
	// time (IncidentNow) and its clocks stand still meanwhile.
	DrillPause    *PlayPause `json:"drill_pause,omitempty"`
	PublicChannel bool       `json:"public_channel,omitempty"`
	Slack         *SlackRefs `json:"slack,omitempty"`
	// Archived is set by the service (never the workflow) when the
	// workflow's history is past retention and only the store's index and
	// timeline remain.
	Archived bool `json:"archived,omitempty"`
	// RecentRequests are the last request IDs applied, for idempotency.
	RecentRequests []string `json:"recent_requests,omitempty"`
	// Notices are the incident's notices as their NoticeWorkflows report them.
	Notices []NoticeSummary `json:"notices,omitempty"`
	// SlackFailures are the Slack failures already on the timeline, as
	// "channel|code", so each is recorded once; SlackPaused is the permanent
	// error code that paused publishing to the channel until SignalSlackResume.
	SlackFailures []string `json:"slack_failures,omitempty"`
	SlackPaused   string   `json:"slack_paused,omitempty"`
	// Status-update cadence (cadence.go): when the last status update was
	// posted, when the next is due, when the commander was last nudged
	// about an overdue one, and whether the "no commander or severity"
	// nudge went out. Carried over by continue-as-new with the rest.
	UpdatedAt      *time.Time `json:"updated_at,omitempty"`
	UpdateDueAt    *time.Time `json:"update_due_at,omitempty"`
	UpdateNudgedAt *time.Time `json:"update_nudged_at,omitempty"`
	UnownedNudged  bool       `json:"unowned_nudged,omitempty"`
}

// Nudge asks the Nudge activity to remind people of an incident's status
// updates: Kind is NudgeUpdateOverdue or NudgeUnowned.
type Nudge struct {
	IncidentID string     `json:"incident_id"`
	Kind       string     `json:"kind"`
	At         time.Time  `json:"at"` // when the workflow nudged: with Kind, the nudge's identity
	Mode       string     `json:"mode"`
	Commander  string     `json:"commander,omitempty"`
	DeclaredBy string     `json:"declared_by,omitempty"`
	ChannelID  string     `json:"channel_id,omitempty"`
	Severity   string     `json:"severity,omitempty"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	Cadence    string     `json:"cadence,omitempty"` // e.g. "1h0m0s"
	Missing    []string   `json:"missing,omitempty"` // commander, severity
}

// Nudge kinds.
const (
	NudgeUpdateOverdue = "update_overdue"
	NudgeUnowned       = "unowned"
)

// SlackRefs are where an incident lives in Slack.
type SlackRefs struct {
	ChannelID   string `json:"channel_id,omitempty"`
	ChannelName string `json:"channel_name,omitempty"`
	CardTS      string `json:"card_ts,omitempty"`
}

// PublishInput asks the Publish activity to show the incident where people
// are (create the Slack channel on first call, re-render the card after).
type PublishInput struct {
	State IncidentState `json:"state"`
}

// PublishRequest is the Publish activity's input as the workflow sends it:
// the whole state (runs before payloadRefsChange) or, since, a reference
// to the store's snapshot (Ref). Every activity input stays in the history
// for the life of the run, and the card is re-drawn after every change.
type PublishRequest struct {
	State *IncidentState `json:"state,omitempty"`
	Ref   *PublishRef    `json:"ref,omitempty"`
}

// PublishRef names the state a card is drawn from: the store's latest
// snapshot of the incident, written with the timeline entry whose record
// made the card due, and the summary from the declaration's entry.
type PublishRef struct {
	IncidentID string `json:"incident_id"`
	// Events is the incident's record count when the card became due: the
	// snapshot to draw is at least that new.
	Events int `json:"events"`
	// Slack is where the incident is in Slack as the workflow knows it now:
	// a card re-posted since the last entry is not in the snapshot yet.
	Slack *SlackRefs `json:"slack,omitempty"`
}

// ActionResult is what an incident action's Update answers with since
// payloadRefsChange (before, the whole IncidentState): the outcome, not the
// state, which every result would otherwise copy into the history. The
// incident service answers people with the store's snapshot that the
// action's records wrote.
type ActionResult struct {
	Outcome ActionOutcome `json:"outcome"`
}

// ActionOutcome is what an accepted action did.
type ActionOutcome struct {
	// Events is the incident's record count once the action's entries are
	// written: a snapshot with at least as many holds the state after it.
	Events int `json:"events"`
	// Key is the timeline key of the action's last entry ("" for a repeat).
	Key string `json:"key,omitempty"`
	// Repeat: the request ID was applied before; nothing changed now.
	Repeat bool `json:"repeat,omitempty"`
}

// PhaseState is one phase and whether it is done.
type PhaseState struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"` // done, active, pending
}

// TaskState is one playbook task.
type TaskState struct {
	ID       string     `json:"id"`
	Title    string     `json:"title"`
	Phase    string     `json:"phase"`
	Role     string     `json:"role"`
	Required bool       `json:"required"`
	Done     bool       `json:"done"`
	DoneBy   string     `json:"done_by,omitempty"`
	DoneAt   *time.Time `json:"done_at,omitempty"`
}

// GateState is one approval gate.
type GateState struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Phase     string     `json:"phase"`
	Roles     []string   `json:"roles"`
	TwoPerson bool       `json:"two_person"`
	Approvals []Approval `json:"approvals"`
	Approved  bool       `json:"approved"`
}

// Approval is one person's approval of a gate.
type Approval struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// RoleAssignment says who holds an incident role.
type RoleAssignment struct {
	Role string    `json:"role"`
	User string    `json:"user"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// ClockState is one regulatory obligation's clock.
type ClockState struct {
	Regime     string     `json:"regime"`
	Obligation string     `json:"obligation"`
	Name       string     `json:"name,omitempty"`
	Recipient  string     `json:"recipient"`
	Trigger    string     `json:"trigger"`
	DueAt      *time.Time `json:"due_at"`
	Status     string     `json:"status"`
	Basis      string     `json:"basis,omitempty"`
	Source     string     `json:"source,omitempty"`
	Semantics  string     `json:"semantics,omitempty"`
	WaitingFor string     `json:"waiting_for,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	Reference  string     `json:"reference,omitempty"`
	LateReason string     `json:"late_reason,omitempty"`
	// MetBy (on time) or LateBy (after the due time) is the settled
	// clock's margin, fixed when it settled: a settled clock stops counting.
	MetBy  string `json:"met_by,omitempty"`
	LateBy string `json:"late_by,omitempty"`
	// SettledAt is when the clock was settled (recorded, not sent).
	SettledAt *time.Time `json:"settled_at,omitempty"`
	// Proposed is a decision not to notify the authority awaiting its
	// second person; DecidedBy are the people who made a decision.
	Proposed  *Decision `json:"proposed,omitempty"`
	DecidedBy []string  `json:"decided_by,omitempty"`
	Started   bool      `json:"started,omitempty"` // its ClockWorkflow was started
	// Moved says the due time changed since the ClockWorkflow was told.
	Moved bool `json:"moved,omitempty"`
}

// Decision is one person's proposal not to notify, waiting for a second.
type Decision struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Key identifies the clock within its incident.
func (c ClockState) Key() string { return c.Regime + "/" + c.Obligation }

// Open reports whether the clock still needs a notice or a decision.
func (c ClockState) Open() bool {
	switch c.Status {
	case ClockMet, ClockLate, ClockNotNotified:
		return false
	}
	return true
}

// ClockInput starts a ClockWorkflow for one obligation.
type ClockInput struct {
	IncidentID string                `json:"incident_id"`
	Title      string                `json:"title"`
	Mode       string                `json:"mode"`
	Regime     string                `json:"regime"`
	Obligation string                `json:"obligation"`
	Name       string                `json:"name,omitempty"`
	Recipient  string                `json:"recipient"`
	DueAt      time.Time             `json:"due_at"`
	Semantics  string                `json:"semantics,omitempty"`
	Policy     playbooks.ClockPolicy `json:"policy"`
	// Speed compresses the clock in drills (1 = real time).
	Speed float64 `json:"speed,omitempty"`
	// Origin is the real time the drill's incident clock started; with Speed
	// it maps incident time to real time.
	Origin time.Time `json:"origin"`
	// DrillPause is the drill's pause when the clock started; later pauses
	// arrive as SignalClockDrillPause.
	DrillPause *PlayPause `json:"drill_pause,omitempty"`
	// Resume carries state across continue-as-new.
	Resume *ClockProgress `json:"resume,omitempty"`
}

// ClockProgress is what a clock has done so far.
type ClockProgress struct {
	DueAt        time.Time  `json:"due_at"`
	Escalated    []string   `json:"escalated,omitempty"` // escalate_before offsets already fired
	Overdue      bool       `json:"overdue"`
	Reminders    int        `json:"reminders"`
	LastReminder *time.Time `json:"last_reminder,omitempty"`
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	Settled      string     `json:"settled,omitempty"` // met, late, not_notified, closed
	// DrillPause: a drill's clock stands still while play is paused.
	DrillPause *PlayPause `json:"drill_pause,omitempty"`
}

// ClockResult is what a settled clock returns.
type ClockResult struct {
	Progress ClockProgress `json:"progress"`
}

// ClockReschedule moves a running clock's due time (awareness moved, a delay).
type ClockReschedule struct {
	DueAt  time.Time `json:"due_at"`
	Reason string    `json:"reason"`
}

// ClockSettle ends a clock.
type ClockSettle struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// ClockSnooze quiets routine reminders (never escalations) until Until.
type ClockSnooze struct {
	Until time.Time `json:"until"`
	By    string    `json:"by"`
}

// ClockAlert is one reminder or escalation a clock sends to people.
type ClockAlert struct {
	IncidentID string    `json:"incident_id"`
	Title      string    `json:"title"`
	Mode       string    `json:"mode"`
	Kind       string    `json:"kind"` // clock.reminder, clock.escalation, clock.overdue
	Regime     string    `json:"regime"`
	Obligation string    `json:"obligation"`
	Name       string    `json:"name,omitempty"`
	DueAt      time.Time `json:"due_at"`
	At         time.Time `json:"at"`
	Left       string    `json:"left"` // human time left ("5h59m") or overdue by
	Offset     string    `json:"offset,omitempty"`
	Notify     []string  `json:"notify,omitempty"` // roles to tell
	Key        string    `json:"key"`              // idempotency key for the timeline
	// LateBy is how long after its time the alert fired (real time, whole
	// seconds; 0 when on time): every worker was down, or the server was,
	// when its timer came due.
	LateBy time.Duration `json:"late_by,omitempty"`
}

// Record is one timeline entry and, optionally, a register entry, written
// together by the Record activity.
type Record struct {
	Event    EventRecord    `json:"event"`
	Incident IncidentIndex  `json:"incident"`
	Register *RegisterEntry `json:"register,omitempty"`
	// State, when set, is the incident's state after this entry (the last
	// one of a batch): the store keeps it as a snapshot bound to the entry
	// by its hash, so every read answers after the history is gone.
	State *IncidentState `json:"state,omitempty"`
}

// RecordResult is where the Record activity's entry landed on the chain.
type RecordResult struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// RecordBatch is consecutive timeline records, written in their order by
// the RecordBatch activity.
type RecordBatch struct {
	Records []Record `json:"records"`
}

// RecordBatchResult says how many records of a batch were written, in
// order from the first; Refused, when set, is the error type with which the
// store refused the next one for good (ErrTypeInvalidRecord, a key
// conflict): the workflow writes that one on its own.
type RecordBatchResult struct {
	Written int    `json:"written"`
	Refused string `json:"refused,omitempty"`
}

// EventRecord is a timeline entry as the workflow produces it; the store
// assigns its sequence number and hashes.
type EventRecord struct {
	IncidentID string          `json:"incident_id"`
	Key        string          `json:"key"`
	At         time.Time       `json:"at"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`
	Data       json.RawMessage `json:"data"`
}

// IncidentIndex is the summary kept in the store for listing.
type IncidentIndex struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	Mode       string    `json:"mode"`
	Status     string    `json:"status"`
	Phase      string    `json:"phase"`
	DeclaredBy string    `json:"declared_by"`
	DeclaredAt time.Time `json:"declared_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// SlackChannel is the incident's Slack channel ID once it has one.
	SlackChannel string `json:"slack_channel,omitempty"`
}

// RegisterEntry is a notice or a decision not to notify, for the register.
type RegisterEntry struct {
	ID         string     `json:"id"`
	IncidentID string     `json:"incident_id"`
	Kind       string     `json:"kind"`
	Regime     string     `json:"regime"`
	Obligation string     `json:"obligation"`
	Recipient  string     `json:"recipient"`
	Status     string     `json:"status"`
	DueAt      *time.Time `json:"due_at"`
	SentAt     *time.Time `json:"sent_at"`
	OnTime     *bool      `json:"on_time"`
	LateReason string     `json:"late_reason,omitempty"`
	Reference  string     `json:"reference,omitempty"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	Rationale  string     `json:"rationale,omitempty"`
	RecordedAt time.Time  `json:"recorded_at"`
	// A notice irbot delivered: where, its Message-ID, and the SHA-256 of
	// its content.
	To          []string `json:"to,omitempty"`
	MessageID   string   `json:"message_id,omitempty"`
	ContentHash string   `json:"content_hash,omitempty"`
	// Language is the notice's BCP 47 tag ("" before languages existed).
	Language string `json:"language,omitempty"`
}
