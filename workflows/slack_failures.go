package workflows

import (
	"errors"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// slackOnceChange is the GetVersion change ID of recording Slack failures
// once per (channel, code) and pausing on permanent ones.
const slackOnceChange = "slack-failure-once"

// SlackPermanentType is the ApplicationError type of a Slack failure that
// retrying cannot fix; its first detail is the Slack error code.
const SlackPermanentType = "SlackPermanent"

// maxSlackFailures bounds the failure keys an incident remembers.
const maxSlackFailures = 50

// slackFailed records a failed publish once per (channel, Slack error code)
// and, when Slack refused for good, pauses publishing: retrying against an
// archived channel or a rejected card only floods Slack and the timeline.
func (inc *incident) slackFailed(ctx workflow.Context, err error) {
	msg, code, permanent := err.Error(), "", false
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		msg = appErr.Message()
		permanent = appErr.NonRetryable() || appErr.Type() == SlackPermanentType
		if appErr.HasDetails() {
			_ = appErr.Details(&code)
		}
	}
	if code == "" {
		code = msg
	}
	key := inc.slackChannel() + "|" + code
	if !slices.Contains(inc.state.SlackFailures, key) {
		inc.state.SlackFailures = append(inc.state.SlackFailures, key)
		if len(inc.state.SlackFailures) > maxSlackFailures {
			inc.state.SlackFailures = inc.state.SlackFailures[len(inc.state.SlackFailures)-maxSlackFailures:]
		}
		data := map[string]any{"error": msg, "code": code, "channel": inc.slackChannel(), "permanent": permanent}
		if permanent {
			data["paused"] = true
		}
		inc.recordEvent(ctx, "slack.failed", "irbot", data, nil)
	}
	if permanent {
		inc.state.SlackPaused = code
	}
}

// slackResumes waits for SignalSlackResume: a paused incident records why it
// resumes and re-renders once (the record itself makes the publisher run);
// one that was not paused re-renders once without a record.
func (inc *incident) slackResumes(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalSlackResume)
	inc.inbox = append(inc.inbox, ch)
	for {
		var reason string
		if !ch.Receive(ctx, &reason) {
			return
		}
		if inc.state.Status == StatusClosed && inc.state.SlackPaused == "" {
			continue
		}
		if inc.state.SlackPaused == "" {
			inc.repost = true
			continue
		}
		// Resume once the record is written, so the one re-render shows it
		// (resuming first would render twice: once for what happened while
		// paused, once for the record).
		idx := inc.recordEvent(ctx, "slack.resumed", "irbot", map[string]any{"reason": reason, "after": inc.state.SlackPaused}, nil)
		inc.busy++
		err := workflow.Await(ctx, func() bool { return inc.written >= idx })
		inc.busy--
		if err != nil {
			return
		}
		inc.state.SlackPaused = ""
		inc.state.SlackFailures = nil
	}
}
