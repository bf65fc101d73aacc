package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// createNoticeAction drafts a notice; its Update is registered with the
// notices (incident_notices.go), which hold its check and its effect.
var createNoticeAction = incidentAction{
	name:     ActionCreateNotice,
	describe: "drafts a notice for one clock from the incident's facts (regime, obligation, to, language); through POST /api/v1/incidents/{id}/notices, not the actions endpoint",
	validate: func(inc *incident, a Action, _ time.Time) error { return inc.validateCreateNotice(a) },
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		return inc.createNotice(ctx, a, at.actor, at.with())
	},
}
