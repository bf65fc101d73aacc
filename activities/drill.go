package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/workflows"
)

// DrillIncidents is how a drill acts on its incident: through the incident
// service, like every other surface, so the workflow's validators apply.
type DrillIncidents interface {
	Act(ctx context.Context, actor workflows.Actor, id string, a workflows.Action) (*workflows.IncidentState, error)
}

// DrillActor is who injects act as on the timeline.
var DrillActor = workflows.Actor{ID: "irbot-drill", Name: "irbot drill facilitator", Roles: []string{"admin"}}

// DrillQuestions posts a drill's discussion questions where people answer
// them (the Slack bot: answer buttons or a form, evaluator notes to the
// facilitator). Without it the timeline note is the question.
type DrillQuestions interface {
	PostDrillQuestion(ctx context.Context, in workflows.DrillDelivery) error
}

// DrillChannels archives a drill's channel when the facilitator ends play:
// the Slack bot. Nil: Slack is off, nothing to archive.
type DrillChannels interface {
	ArchiveDrillChannel(ctx context.Context, incidentID string) error
}

// DrillStates reads a drill's state (who ended it): the incident service.
type DrillStates interface {
	Drill(ctx context.Context, actor workflows.Actor, id string) (*workflows.DrillState, error)
}

// Drill delivers a drill's injects and questions to its incident.
type Drill struct {
	Incidents DrillIncidents
	Questions DrillQuestions // optional
	// Channels and States archive the drill's channel when a person ends
	// play (/incident drill end, the API's end); a drill that runs to its
	// end keeps its channel for the hot wash. Optional.
	Channels DrillChannels
	States   DrillStates
	Logger   *slog.Logger
}

// Register registers the drill activities on w.
func (d *Drill) Register(w worker.Registry) {
	w.RegisterActivityWithOptions(d.DrillDeliver, activity.RegisterOptions{Name: workflows.DrillDeliverActivityName})
}

// DrillDeliver sets the facts an inject carries (so clocks react as in a real
// breach) and writes a [DRILL] note for the inject, question or hot wash.
// Each action carries a request ID, so a retried delivery changes nothing
// twice.
func (d *Drill) DrillDeliver(ctx context.Context, in workflows.DrillDelivery) error {
	key := fmt.Sprintf("drill/%s/%s", in.Kind, in.ID)
	names := make([]string, 0, len(in.Facts))
	for n := range in.Facts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		raw, err := json.Marshal(in.Facts[n])
		if err != nil {
			return err
		}
		if _, err := d.Incidents.Act(ctx, DrillActor, in.IncidentID, workflows.Action{
			Type: workflows.ActionSetFact, Name: n, Value: raw, Source: "drill", RequestID: key + "/fact/" + n,
		}); err != nil {
			return fmt.Errorf("inject %s sets %s: %w", in.ID, n, err)
		}
	}
	if _, err := d.Incidents.Act(ctx, DrillActor, in.IncidentID, workflows.Action{
		Type: workflows.ActionNote, Text: DrillNoteText(in), Source: "drill", RequestID: key + "/note",
	}); err != nil && apperr.CodeOf(err) != apperr.Conflict {
		return err
	}
	if in.Kind == "question" && d.Questions != nil {
		// The note above already carries the question; a failed post is
		// logged, never retried into a second copy of the note.
		if err := d.Questions.PostDrillQuestion(ctx, in); err != nil && d.Logger != nil {
			d.Logger.Warn("drill question not posted", "incident", in.IncidentID, "question", in.ID, "error", err)
		}
	}
	if in.Kind == "end" && d.Questions != nil {
		// The hot-wash prompt and the feedback form's button, in the
		// channel; the note above already carries the prompt.
		if err := d.Questions.PostDrillQuestion(ctx, in); err != nil && d.Logger != nil {
			d.Logger.Warn("drill hot wash not posted", "incident", in.IncidentID, "error", err)
		}
	}
	if in.Kind == "end" {
		// Play is over: close the drill's incident so every clock and
		// reminder stops; its data stays for the report.
		_, err := d.Incidents.Act(ctx, DrillActor, in.IncidentID, workflows.Action{
			Type: workflows.ActionClose, Reason: "drill ended", Source: "drill", RequestID: key + "/close",
		})
		if err != nil && apperr.CodeOf(err) != apperr.Conflict {
			return err
		}
		if d.Channels != nil && d.States != nil {
			st, err := d.States.Drill(ctx, DrillActor, in.IncidentID)
			if err != nil {
				return err
			}
			if st.EndedBy != "" && st.EndedBy != workflows.DrillEndedByTime {
				return d.Channels.ArchiveDrillChannel(ctx, in.IncidentID)
			}
		}
	}
	return nil
}

// DrillNoteText is the one wording of a drill delivery on the timeline and
// in the channel; every line starts with [DRILL].
func DrillNoteText(in workflows.DrillDelivery) string {
	var b strings.Builder
	switch in.Kind {
	case "inject":
		fmt.Fprintf(&b, "[DRILL] Inject at %s: %s\n%s", in.ScenarioAt, in.Title, in.Text)
		if in.Early {
			b.WriteString("\n(injected early by the facilitator)")
		}
	case "question":
		fmt.Fprintf(&b, "[DRILL] Discussion question at %s: %s", in.ScenarioAt, in.Text)
		if len(in.Choices) > 0 {
			fmt.Fprintf(&b, "\nChoices: %s", strings.Join(in.Choices, " | "))
		}
	case "end":
		fmt.Fprintf(&b, "[DRILL] Play has ended at %s. Hot wash: what went well, what would you change, what surprised you? Answer the feedback form; the facilitator completes the improvement plan before the report is final.", in.ScenarioAt)
	default:
		fmt.Fprintf(&b, "[DRILL] %s", in.Text)
	}
	return b.String()
}
