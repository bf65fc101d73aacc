package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Campaign defaults: 50 letters a batch, one batch a second (3,000 a minute),
// five tries per person for temporary failures.
const (
	DefaultCampaignBatch       = 50
	DefaultCampaignInterval    = time.Second
	DefaultCampaignMaxAttempts = 5
)

// CampaignWorkflow delivers a notice to a list of people stored with the
// campaign (internal/store campaign recipients). Each batch is one activity
// that sends to the next pending people and marks each one in the store, so
// the history stays small (a few events a batch) and a crash at any moment
// resumes with the people not yet marked sent: none skipped, none sent twice
// except a message the SMTP peer may or may not have taken when the
// connection dropped, which goes again with the same Message-ID.
func CampaignWorkflow(ctx workflow.Context, in CampaignInput) (CampaignResult, error) {
	if in.BatchSize <= 0 {
		in.BatchSize = DefaultCampaignBatch
	}
	if in.Interval <= 0 {
		in.Interval = DefaultCampaignInterval
	}
	if in.MaxAttempts <= 0 {
		in.MaxAttempts = DefaultCampaignMaxAttempts
	}
	p := CampaignProgress{Campaign: in.Campaign, Total: in.Total, Pending: in.Total}
	if in.Resume != nil {
		p = *in.Resume
	}
	if err := workflow.SetQueryHandler(ctx, QueryCampaign, func() (CampaignProgress, error) { return p, nil }); err != nil {
		return CampaignResult{}, err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    SendHeartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	if in.Resume == nil {
		// A campaign sent again (after fixing addresses) retries the people
		// who failed; the ones already sent stay sent.
		if err := workflow.ExecuteActivity(actx, CampaignCountsActivityName, in.Campaign, true).Get(ctx, &p); err != nil {
			return CampaignResult{}, err
		}
		p.Campaign = in.Campaign
	}
	for p.Pending > 0 {
		var next CampaignProgress
		if err := workflow.ExecuteActivity(actx, CampaignBatchActivityName, CampaignBatchInput{CampaignInput: in, Batch: p.Batches + 1}).Get(ctx, &next); err != nil {
			return CampaignResult{}, err
		}
		next.Campaign, next.Batches = in.Campaign, p.Batches+1
		p = next
		if p.Pending == 0 {
			break
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			resume := p
			in.Resume = &resume
			return CampaignResult{}, workflow.NewContinueAsNewError(ctx, CampaignWorkflowName, in)
		}
		if err := workflow.Sleep(ctx, in.Interval); err != nil {
			return CampaignResult{}, err
		}
	}
	p.Done = true
	b, _ := json.Marshal(map[string]any{
		"notice": in.NoticeID, "campaign": in.Campaign, "total": p.Total, "sent": p.Sent, "failed": p.Failed, "batches": p.Batches,
		"drill": in.Mode == ModeDrill,
	})
	ectx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	_ = workflow.ExecuteActivity(ectx, NoticeEventActivityName, EventRecord{
		IncidentID: in.IncidentID, Key: fmt.Sprintf("notice/%s/campaign/%s/done/%d", in.NoticeID, in.Campaign, p.Batches),
		At: workflow.Now(ctx).UTC(), Kind: "campaign.completed", Actor: "irbot", Data: b,
	}).Get(ctx, nil)
	return CampaignResult{Progress: p}, nil
}

// SendHeartbeatTimeout is how long a sending activity (a notice, a campaign
// batch) may go without a heartbeat before Temporal retries it elsewhere.
const SendHeartbeatTimeout = 10 * time.Second
