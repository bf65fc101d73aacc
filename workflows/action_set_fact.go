package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"
)

var setFactAction = incidentAction{
	name:     ActionSetFact,
	describe: "records a fact notices and clocks draw on (name, value); a time fact re-evaluates the clocks",
	check: func(a Action, now time.Time) error {
		if _, err := NormalizeFact(a.Name, a.Value); err != nil {
			return err
		}
		return CheckFactTime(a, now)
	},
	validate: func(inc *incident, a Action, _ time.Time) error {
		if _, err := NormalizeFact(a.Name, a.Value); err != nil {
			return err
		}
		return inc.actionAllowed(ActionSetFact, a.Actor)
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		v := appliedFact(a.Name, a.Value)
		old, had := inc.state.Facts[a.Name]
		inc.state.Facts[a.Name] = v
		if inc.state.FactsBy == nil {
			inc.state.FactsBy = map[string]FactSource{}
		}
		inc.state.FactsBy[a.Name] = FactSource{By: a.Actor, At: at.now}
		data := at.with("name", a.Name, "value", v)
		if had {
			data["previous"] = old
		}
		// A person set it: it is no longer irbot's default (and
		// discovered_at no longer follows awareness). State only, no
		// command: older histories never list aware_at, so they replay.
		inc.state.Defaulted = slices.DeleteFunc(inc.state.Defaulted, func(n string) bool { return n == a.Name })
		if a.Name == "aware_at" && slices.Contains(inc.state.Defaulted, "discovered_at") &&
			workflow.GetVersion(ctx, "discovery-follows-awareness", workflow.DefaultVersion, 1) == 1 {
			// discovered_at was irbot's default from the awareness time:
			// correcting awareness corrects it too, and the timeline says so.
			inc.state.Facts["discovered_at"] = v
			data["defaulted"] = at.with("discovered_at", v)
		}
		idx := inc.recordEvent(ctx, "fact.set", at.actor, data, nil)
		if i := inc.reevaluate(ctx, at.actor, "fact "+a.Name+" changed"); i > 0 {
			idx = i
		}
		inc.noticesFactsChanged(ctx)
		return idx
	},
}
