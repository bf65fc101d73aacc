package httpapi

import (
	"time"

	"github.com/irbot/irbot/internal/campaign"
	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// The API's response types. They are made for the API and documented in
// openapi.json; the workflow's Query payload is internal and may carry
// bookkeeping (request IDs for idempotency, which Slack failures were
// already recorded) that is not part of the contract.

// Incident is an incident as the API shows it.
type Incident struct {
	ID              string                     `json:"id"`
	Title           string                     `json:"title"`
	Summary         string                     `json:"summary,omitempty"`
	Severity        string                     `json:"severity"`
	Mode            string                     `json:"mode"`
	Status          string                     `json:"status"`
	Phase           string                     `json:"phase"`
	Playbook        string                     `json:"playbook"`
	PlaybookVersion int                        `json:"playbook_version"`
	DeclaredBy      workflows.Actor            `json:"declared_by"`
	DeclaredAt      time.Time                  `json:"declared_at"`
	ClosedAt        *time.Time                 `json:"closed_at,omitempty"`
	Regimes         []string                   `json:"regimes"`
	Phases          []workflows.PhaseState     `json:"phases"`
	Tasks           []workflows.TaskState      `json:"tasks"`
	Gates           []workflows.GateState      `json:"gates"`
	Roles           []workflows.RoleAssignment `json:"roles"`
	Facts           map[string]any             `json:"facts"`
	// FactsBy says who set each fact and when.
	FactsBy       map[string]workflows.FactSource `json:"facts_by,omitempty"`
	Clocks        []workflows.ClockState          `json:"clocks"`
	Delays        []deadline.Delay                `json:"delays,omitempty"`
	Defaulted     []string                        `json:"defaulted,omitempty"`
	Notes         int                             `json:"notes"`
	Events        int                             `json:"events"`
	NextAction    string                          `json:"next_action,omitempty"`
	Speed         float64                         `json:"speed,omitempty"`
	PublicChannel bool                            `json:"public_channel,omitempty"`
	Slack         *workflows.SlackRefs            `json:"slack,omitempty"`
	Archived      bool                            `json:"archived,omitempty"`
	Notices       []workflows.NoticeSummary       `json:"notices,omitempty"`
	// SlackPaused is the permanent Slack error (e.g. is_archived) that
	// paused publishing to the incident's channel, until it is resolved.
	SlackPaused string `json:"slack_paused,omitempty"`
	// UpdatedAt is the last status update (/incident update); UpdateDueAt
	// when the next is due at the severity's cadence.
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	UpdateDueAt *time.Time `json:"update_due_at,omitempty"`
}

// incidentView is st as the API shows it.
func incidentView(st *workflows.IncidentState) Incident {
	return Incident{
		ID: st.ID, Title: st.Title, Summary: st.Summary, Severity: st.Severity, Mode: st.Mode, Status: st.Status,
		Phase: st.Phase, Playbook: st.Playbook, PlaybookVersion: st.PlaybookVersion, DeclaredBy: st.DeclaredBy,
		DeclaredAt: st.DeclaredAt, ClosedAt: st.ClosedAt, Regimes: st.Regimes, Phases: st.Phases, Tasks: st.Tasks,
		Gates: st.Gates, Roles: st.Roles, Facts: st.Facts, FactsBy: st.FactsBy, Clocks: st.Clocks, Delays: st.Delays,
		Defaulted: st.Defaulted, Notes: st.Notes, Events: st.Events, NextAction: st.NextAction, Speed: st.Speed,
		PublicChannel: st.PublicChannel, Slack: st.Slack, Archived: st.Archived, Notices: st.Notices,
		SlackPaused: st.SlackPaused, UpdatedAt: st.UpdatedAt, UpdateDueAt: st.UpdateDueAt,
	}
}

// IncidentList answers GET /api/v1/incidents. Total is set when a filter
// was given (the number that match, of which one page is listed).
type IncidentList struct {
	Incidents []store.Incident `json:"incidents"`
	Total     *int             `json:"total,omitempty"`
}

// Timeline answers GET /api/v1/incidents/{id}/timeline.
type Timeline struct {
	IncidentID string        `json:"incident_id"`
	Events     []store.Event `json:"events"`
}

// Register answers GET /api/v1/register.
type Register struct {
	Entries []store.RegisterEntry `json:"entries"`
}

// NoticeList answers GET /api/v1/incidents/{id}/notices.
type NoticeList struct {
	Notices []workflows.NoticeState `json:"notices"`
}

// Inject is one scripted inject or question of a drill.
type Inject struct {
	ID                  string          `json:"id"`
	Kind                string          `json:"kind"`
	Title               string          `json:"title"`
	ScenarioAt          string          `json:"scenario_at"`
	DeliveredAt         *time.Time      `json:"delivered_at"`
	DeliveredScenarioAt *playbooks.Span `json:"delivered_scenario_at"`
	Skipped             bool            `json:"skipped"`
}

// Drill answers GET /api/v1/drills/{id} and the drill actions.
type Drill struct {
	ID           string                          `json:"id"`
	Incident     string                          `json:"incident"`
	Scenario     string                          `json:"scenario"`
	Title        string                          `json:"title"`
	Speed        float64                         `json:"speed"`
	Status       string                          `json:"status"`
	StartedAt    time.Time                       `json:"started_at"`
	EndedAt      *time.Time                      `json:"ended_at"`
	Paused       string                          `json:"paused"`
	Injects      []Inject                        `json:"injects"`
	Answers      []workflows.DrillAnswerRecord   `json:"answers"`
	Feedback     []workflows.DrillFeedbackRecord `json:"feedback"`
	Improvements []workflows.Improvement         `json:"improvements"`
	Final        bool                            `json:"final"`
}

// ErrorBody is every error answer.
type ErrorBody struct {
	Error string `json:"error"`
}

// ScenarioList answers GET /api/v1/drills/scenarios.
type ScenarioList struct {
	Scenarios []incident.ScenarioSummary `json:"scenarios"`
}

// CampaignRefused answers a recipient list with bad rows: nothing started.
type CampaignRefused struct {
	Error    string            `json:"error"`
	Invalid  []campaign.BadRow `json:"invalid"`
	Accepted int               `json:"accepted"`
}

// Health answers GET /healthz.
type Health struct {
	OK bool `json:"ok"`
}

// Readiness answers GET /readyz.
type Readiness struct {
	Ready bool   `json:"ready"`
	Error string `json:"error,omitempty"`
}

// BreachRegister answers GET /api/v1/breach-register.
type BreachRegister struct {
	Entries []incident.BreachEntry `json:"entries"`
}

// TombstoneList is GET /api/v1/tombstones: what is left of each purged
// incident (its final chain head among it), by incident ID.
type TombstoneList struct {
	Tombstones []store.Tombstone `json:"tombstones"`
}
