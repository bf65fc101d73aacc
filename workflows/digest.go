package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// DigestWorkflowName is the daily digest of open clocks, started by a
// Temporal Schedule (internal/schedule).
const DigestWorkflowName = "DigestWorkflow"

// DigestActivityName gathers the open clocks of every open incident and
// sends the digest.
const DigestActivityName = "SendDigest"

// DigestInput starts a DigestWorkflow.
type DigestInput struct {
	// Channel is where the digest goes in Slack (IRBOT_COMPLIANCE_CHANNEL).
	Channel string `json:"channel,omitempty"`
}

// DigestResult says what the digest covered.
type DigestResult struct {
	At        time.Time `json:"at"`
	Incidents int       `json:"incidents"`
	Open      int       `json:"open"`
	Overdue   int       `json:"overdue"`
}

// DigestLine is one open clock in the digest.
type DigestLine struct {
	IncidentID string     `json:"incident_id"`
	Title      string     `json:"title"`
	Mode       string     `json:"mode"`
	Regime     string     `json:"regime"`
	Obligation string     `json:"obligation"`
	Recipient  string     `json:"recipient"`
	Status     string     `json:"status"`
	DueAt      *time.Time `json:"due_at"`
	WaitingFor string     `json:"waiting_for,omitempty"`
}

// DigestRequest is the activity's input: the schedule's fire time keeps a
// retried send recognisable.
type DigestRequest struct {
	Channel string    `json:"channel,omitempty"`
	At      time.Time `json:"at"`
}

// DigestWorkflow sends one digest of every open clock across incidents.
func DigestWorkflow(ctx workflow.Context, in DigestInput) (DigestResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute, MaximumAttempts: 10},
	})
	var res DigestResult
	err := workflow.ExecuteActivity(actx, DigestActivityName, DigestRequest{Channel: in.Channel, At: workflow.Now(ctx).UTC()}).Get(ctx, &res)
	return res, err
}
