package workflows

import "go.temporal.io/sdk/workflow"

// Registry is where workflows are registered: a worker, the replayer or the
// test environment.
type Registry interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
}

// Register registers every workflow under the name its histories carry.
// Serve, the replay test and the workflow tests all call it, so no workflow
// can be left out of one of them.
func Register(r Registry) {
	r.RegisterWorkflowWithOptions(IncidentWorkflow, workflow.RegisterOptions{Name: IncidentWorkflowName})
	r.RegisterWorkflowWithOptions(ClockWorkflow, workflow.RegisterOptions{Name: ClockWorkflowName})
	r.RegisterWorkflowWithOptions(DigestWorkflow, workflow.RegisterOptions{Name: DigestWorkflowName})
	r.RegisterWorkflowWithOptions(NoticeWorkflow, workflow.RegisterOptions{Name: NoticeWorkflowName})
	r.RegisterWorkflowWithOptions(CampaignWorkflow, workflow.RegisterOptions{Name: CampaignWorkflowName})
	r.RegisterWorkflowWithOptions(DrillWorkflow, workflow.RegisterOptions{Name: DrillWorkflowName})
	r.RegisterWorkflowWithOptions(ScheduledDrillWorkflow, workflow.RegisterOptions{Name: ScheduledDrillWorkflowName})
	r.RegisterWorkflowWithOptions(DrillReminderWorkflow, workflow.RegisterOptions{Name: DrillReminderWorkflowName})
}
