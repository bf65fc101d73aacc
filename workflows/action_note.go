package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

var noteAction = incidentAction{
	name:     ActionNote,
	describe: "adds a note to the timeline (text); a status update when status_update is set",
	validate: func(_ *incident, a Action, _ time.Time) error {
		if strings.TrimSpace(a.Text) == "" {
			return rejection("a note needs text")
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		inc.state.Notes++
		data := at.with("text", a.Text)
		if a.Author != "" {
			data["author"] = a.Author
		}
		if a.PinnedBy != "" {
			data["pinned_by"] = a.PinnedBy
		}
		if a.StatusUpdate {
			data["status_update"] = true
			data["next_update_due"] = timeString(a.Until)
		}
		return inc.recordEvent(ctx, "note.added", at.actor, data, nil)
	},
}
