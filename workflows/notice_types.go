package workflows

import (
	"time"

	"github.com/irbot/irbot/templates"
)

// Notice statuses (CONTRACT.md).
const (
	NoticeDraft       = "draft"
	NoticeApproved    = "approved"
	NoticeSending     = "sending"
	NoticeSent        = "sent"
	NoticeFailed      = "failed"
	NoticeRejected    = "rejected"
	NoticeNotNotified = "not_notified"
)

// NoticeSummary is what the incident keeps about each of its notices, fed by
// the notice's notice.changed signals.
type NoticeSummary struct {
	ID          string     `json:"id"`
	Regime      string     `json:"regime"`
	Obligation  string     `json:"obligation"`
	Recipient   string     `json:"recipient"`
	To          []string   `json:"to"`
	Status      string     `json:"status"`
	Missing     []string   `json:"missing"`
	DraftedBy   string     `json:"drafted_by"`
	ApprovedBy  string     `json:"approved_by"`
	MessageID   string     `json:"message_id"`
	DueAt       *time.Time `json:"due_at"`
	SentAt      *time.Time `json:"sent_at"`
	OnTime      *bool      `json:"on_time"`
	Follows     string     `json:"follows,omitempty"`
	Revision    int        `json:"revision"`
	ContentHash string     `json:"content_hash,omitempty"`
	Subject     string     `json:"subject,omitempty"`
	// Reason is the rejection reason, the rationale not to notify, the
	// reason for a late notice, or why delivery failed.
	Reason string `json:"reason,omitempty"`
	// Reference is the regulator's reference, when known.
	Reference string `json:"reference,omitempty"`
	// Campaign counts deliveries when the notice goes to a recipient list.
	Campaign *CampaignProgress `json:"campaign,omitempty"`
	// By is who caused the latest change (for the incident's timeline).
	By string `json:"by,omitempty"`
	// Language is the notice's BCP 47 tag; empty on notices drafted
	// before languages existed (English).
	Language string `json:"language,omitempty"`
}

// NoticeInput starts a NoticeWorkflow.
type NoticeInput struct {
	IncidentID      string     `json:"incident_id"`
	IncidentTitle   string     `json:"incident_title"`
	NoticeID        string     `json:"notice_id"`
	Mode            string     `json:"mode"`
	Regime          string     `json:"regime"`
	RegimeName      string     `json:"regime_name"`
	Obligation      string     `json:"obligation"`
	ObligationName  string     `json:"obligation_name"`
	Recipient       string     `json:"recipient"`
	RecipientDetail string     `json:"recipient_detail,omitempty"`
	Source          string     `json:"source,omitempty"`
	Required        []string   `json:"required"`
	To              []string   `json:"to"`
	DueAt           *time.Time `json:"due_at"`
	DraftedBy       Actor      `json:"drafted_by"`
	DraftedAt       time.Time  `json:"drafted_at"`
	// ApproverRoles may approve (dpo, legal and the playbook gate's roles).
	ApproverRoles []string                `json:"approver_roles"`
	Follows       *templates.NoticeFollow `json:"follows,omitempty"`
	Facts         map[string]any          `json:"facts"`
	// Language is the notice's BCP 47 tag; "" is English.
	Language string `json:"language,omitempty"`
	// Resume carries the state across continue-as-new.
	Resume *NoticeState `json:"resume,omitempty"`
}

// NoticeResult is what a finished notice returns.
type NoticeResult struct {
	State NoticeState `json:"state"`
}

// NoticeState is a notice as the API shows it.
type NoticeState struct {
	NoticeSummary
	IncidentID string            `json:"incident_id"`
	Mode       string            `json:"mode"`
	Text       string            `json:"text"`
	HTML       string            `json:"html"`
	Template   string            `json:"template,omitempty"`
	Attempts   []DeliveryAttempt `json:"attempts"`
	DraftedAt  time.Time         `json:"drafted_at"`
	ApprovedAt *time.Time        `json:"approved_at,omitempty"`
	// GiveUpAt is when temporary delivery failures stop being retried.
	GiveUpAt *time.Time `json:"give_up_at,omitempty"`
}

// NoticeAction is one person's action on a notice.
type NoticeAction struct {
	Type   string `json:"type"`
	Actor  Actor  `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// Campaign delivers the notice to the recipients stored for this
	// campaign (send only; for notices to individuals).
	Campaign      string `json:"campaign,omitempty"`
	CampaignTotal int    `json:"campaign_total,omitempty"`
	Source        string `json:"source,omitempty"`
	// RequestID names the request for its refusal's timeline entry (one
	// per request, however often a surface retries it). Never sent to the
	// workflow: the service reads it, the history does not carry it.
	RequestID string `json:"-"`
}

// DeliveryAttempt is one SMTP attempt, as the timeline shows it (no body).
type DeliveryAttempt struct {
	N         int       `json:"n"`
	At        time.Time `json:"at"`
	Outcome   string    `json:"outcome"` // delivered, temporary, permanent, recorded
	Code      int       `json:"code,omitempty"`
	Stage     string    `json:"stage,omitempty"`
	Uncertain bool      `json:"uncertain,omitempty"`
	Error     string    `json:"error,omitempty"`
	Server    string    `json:"server,omitempty"`
}

// Delivery outcomes.
const (
	DeliveryDelivered = "delivered"
	DeliveryTemporary = "temporary"
	DeliveryPermanent = "permanent"
	// DeliveryRecorded: a drill with no sink; nothing left the process.
	DeliveryRecorded = "recorded"
)

// SendNoticeInput asks the SendNotice activity for one SMTP attempt.
type SendNoticeInput struct {
	IncidentID string            `json:"incident_id"`
	NoticeID   string            `json:"notice_id"`
	Mode       string            `json:"mode"`
	Regime     string            `json:"regime"`
	Obligation string            `json:"obligation"`
	Revision   int               `json:"revision"`
	To         []string          `json:"to"`
	Subject    string            `json:"subject"`
	Text       string            `json:"text"`
	HTML       string            `json:"html"`
	Headers    map[string]string `json:"headers,omitempty"`
	// MessageID, when set, is used as is: every attempt of one revision
	// carries the id the first attempt derived.
	MessageID string `json:"message_id,omitempty"`
	Attempt   int    `json:"attempt"`
}

// SendNoticeResult is one attempt's outcome. SMTP failures are outcomes, not
// activity errors, so the workflow decides about retries and people.
type SendNoticeResult struct {
	MessageID string          `json:"message_id"`
	Attempt   DeliveryAttempt `json:"attempt"`
	// To is where the message actually went (the drill sink in a drill).
	To []string `json:"to"`
	// RawSHA256 is the hex SHA-256 of the exact bytes handed to the server
	// (kept in the store); empty when nothing was rendered.
	RawSHA256 string `json:"raw_sha256,omitempty"`
}

// CampaignInput starts a CampaignWorkflow.
type CampaignInput struct {
	IncidentID string `json:"incident_id"`
	NoticeID   string `json:"notice_id"`
	Campaign   string `json:"campaign"`
	Mode       string `json:"mode"`
	Regime     string `json:"regime"`
	Obligation string `json:"obligation"`
	Revision   int    `json:"revision"`
	Subject    string `json:"subject"`
	// Facts and the template data render each person's letter.
	Notice templates.NoticeData `json:"notice"`
	Total  int                  `json:"total"`
	// BatchSize recipients are sent per activity, then the campaign waits
	// Interval: the rate limit. MaxAttempts bounds temporary failures per person.
	BatchSize   int           `json:"batch_size"`
	Interval    time.Duration `json:"interval"`
	MaxAttempts int           `json:"max_attempts"`
	// Resume carries progress across continue-as-new.
	Resume *CampaignProgress `json:"resume,omitempty"`
}

// CampaignProgress counts a campaign's recipients.
type CampaignProgress struct {
	Campaign string `json:"campaign"`
	Total    int    `json:"total"`
	Sent     int    `json:"sent"`
	Failed   int    `json:"failed"`
	Pending  int    `json:"pending"`
	Batches  int    `json:"batches"`
	Done     bool   `json:"done"`
}

// CampaignBatchInput asks for one batch of a campaign.
type CampaignBatchInput struct {
	CampaignInput
	Batch int `json:"batch"`
}

// CampaignResult is a finished campaign.
type CampaignResult struct {
	Progress CampaignProgress `json:"progress"`
}
