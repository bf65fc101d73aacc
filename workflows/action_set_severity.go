package workflows

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

var setSeverityAction = incidentAction{
	name:     ActionSetSeverity,
	describe: "changes the incident's severity (severity, reason)",
	validate: func(inc *incident, a Action, _ time.Time) error {
		if !slices.Contains(Severities, a.Severity) {
			return rejection("unknown severity %q; use one of %s", a.Severity, strings.Join(Severities, ", "))
		}
		if a.Severity == inc.state.Severity {
			return rejection("severity is already %s", a.Severity)
		}
		return inc.actionAllowed(ActionSetSeverity, a.Actor)
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		old := inc.state.Severity
		inc.state.Severity = a.Severity
		return inc.recordEvent(ctx, "severity.changed", at.actor, at.with("from", old, "to", a.Severity, "reason", a.Reason), nil)
	},
}
