package incident

import (
	"context"
	"strings"

	"github.com/irbot/irbot/workflows"
)

// ResumeSlack tells an incident that publishing to its Slack channel may
// work again (irbot re-invited, the channel unarchived, or a person asked
// for a repost): a paused incident records why and re-renders its card
// once; one that was not paused re-renders once.
func (s *Service) ResumeSlack(ctx context.Context, actor workflows.Actor, id, reason string) error {
	if err := needAnyRole(actor); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > 200 {
		reason = reason[:200]
	}
	if err := s.Temporal.SignalWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.SignalSlackResume, actor.ID+": "+reason); err != nil {
		return s.temporalError(id, err)
	}
	return nil
}
