package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

var completeTaskAction = incidentAction{
	name:     ActionCompleteTask,
	describe: "marks a playbook task of the current or an earlier phase done (task)",
	validate: func(inc *incident, a Action, _ time.Time) error {
		if a.Task == "" {
			return rejection("complete_task needs the task id")
		}
		var task *TaskState
		for i := range inc.state.Tasks {
			if inc.state.Tasks[i].ID == a.Task {
				task = &inc.state.Tasks[i]
			}
		}
		if task == nil {
			ids := make([]string, 0, len(inc.state.Tasks))
			for _, t := range inc.state.Tasks {
				if t.Phase == inc.state.Phase && !t.Done {
					ids = append(ids, t.ID)
				}
			}
			return rejection("unknown task %q; open tasks in phase %s: %s", a.Task, inc.state.Phase, strings.Join(ids, ", "))
		}
		if task.Done {
			return rejection("task %s was already completed by %s", task.ID, task.DoneBy)
		}
		if inc.phaseIndex(task.Phase) > inc.phaseIndex(inc.state.Phase) {
			return rejection("task %s belongs to phase %s; the incident is in phase %s", task.ID, task.Phase, inc.state.Phase)
		}
		if !inc.holdsAny(a.Actor, append([]string{task.Role}, steeringRoles...)...) {
			return denied("task %s is for the %s role; you hold %s", task.ID, task.Role, strings.Join(inc.effectiveRoles(a.Actor), ", "))
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		for i := range inc.state.Tasks {
			if inc.state.Tasks[i].ID == a.Task {
				inc.state.Tasks[i].Done, inc.state.Tasks[i].DoneBy, inc.state.Tasks[i].DoneAt = true, at.actor, &at.now
				return inc.recordEvent(ctx, "task.completed", at.actor, at.with("task", a.Task, "title", inc.state.Tasks[i].Title, "phase", inc.state.Tasks[i].Phase), nil)
			}
		}
		return inc.queued
	},
}
