package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// ScenarioSummary is a scenario as GET /api/v1/drills/scenarios lists it.
type ScenarioSummary struct {
	ID         string                `json:"id"`
	Title      string                `json:"title"`
	Summary    string                `json:"summary,omitempty"`
	Regimes    []string              `json:"regimes"`
	Speed      float64               `json:"speed,omitempty"`
	Duration   string                `json:"duration"`
	Objectives []playbooks.Objective `json:"objectives"`
}

// DrillRequest starts a drill: a shipped scenario by id, or a scenario
// package already loaded and validated (irbot drill run --scenario FILE).
type DrillRequest struct {
	Scenario     string              `json:"scenario"`
	Speed        float64             `json:"speed,omitempty"`
	Participants []string            `json:"participants,omitempty"`
	Package      *playbooks.Scenario `json:"-"`
	RequestKey   string              `json:"request_key,omitempty"`
}

// DrillStarted is the answer to a started drill.
type DrillStarted struct {
	ID       string `json:"id"`
	Incident string `json:"incident"`
	Status   string `json:"status"`
}

// MaxDrillSpeed bounds compression: 100000 plays a 72 h clock in under 3 s,
// fast enough for a dry run, slow enough for timers to keep order.
const MaxDrillSpeed = 100000

// mayRunDrills is the one rule for who starts and steers drills.
func mayRunDrills(a workflows.Actor) error {
	if err := needAnyRole(a); err != nil {
		return err
	}
	if !policy.MayRunDrills(a.Roles) {
		return apperr.New(apperr.Forbidden, "drills are run by a manager; %s does not have the manager role", a.ID)
	}
	return nil
}

// ListScenarios returns the shipped scenario packages.
func (s *Service) ListScenarios(ctx context.Context, actor workflows.Actor) ([]ScenarioSummary, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	out := []ScenarioSummary{}
	for _, sc := range playbooks.EmbeddedScenarios() {
		out = append(out, ScenarioSummary{
			ID: sc.ID, Title: sc.Title, Summary: sc.Summary, Regimes: sc.Regimes, Speed: sc.Speed,
			Duration: sc.Duration.String(), Objectives: sc.Objectives,
		})
	}
	return out, nil
}

// StartDrill declares a drill-mode incident with the scenario's playbook,
// regimes and facts, then starts the DrillWorkflow that plays it.
func (s *Service) StartDrill(ctx context.Context, actor workflows.Actor, req DrillRequest) (*DrillStarted, error) {
	if err := mayRunDrills(actor); err != nil {
		return nil, err
	}
	sc := req.Package
	if sc == nil {
		var ok bool
		sc, ok = playbooks.EmbeddedScenario(strings.TrimSpace(req.Scenario))
		if !ok {
			var ids []string
			for _, x := range playbooks.EmbeddedScenarios() {
				ids = append(ids, x.ID)
			}
			return nil, apperr.New(apperr.Invalid, "unknown scenario %q; use one of %s", req.Scenario, strings.Join(ids, ", "))
		}
	}
	speed := req.Speed
	if speed == 0 {
		speed = max(sc.Speed, 1)
	}
	if speed < 1 || speed > MaxDrillSpeed {
		return nil, apperr.New(apperr.Invalid, "speed must be from 1 to %d (60 plays a 72 h clock in 72 minutes)", MaxDrillSpeed)
	}
	if len(req.Participants) > 200 {
		return nil, apperr.New(apperr.Invalid, "a drill takes at most 200 participants")
	}
	facts := map[string]json.RawMessage{}
	for name, v := range sc.Facts {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "fact %s of the scenario: %v", name, err)
		}
		facts[name] = b
	}
	severity := sc.Severity
	if severity == "" {
		severity = "high"
	}
	// The incident's own speed is capped for live-like incidents; the drill
	// passes its speed on in the declare request.
	dreq := DeclareRequest{
		Title: "[DRILL] " + sc.Title, Summary: sc.Summary, Severity: severity, Regimes: sc.Regimes,
		Mode: workflows.ModeDrill, Playbook: sc.Playbook, Facts: facts, RequestKey: req.RequestKey,
	}
	in, err := s.buildInput(actor, dreq)
	if err != nil {
		return nil, err
	}
	in.Speed = speed
	st, err := s.declareInput(ctx, actor, in, req.RequestKey)
	if err != nil {
		return nil, err
	}
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.DrillWorkflowID(st.ID),
		TaskQueue:                s.taskQueue(),
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.DrillWorkflowName, workflows.DrillInput{
		IncidentID: st.ID, Scenario: *sc, Speed: speed, StartedAt: st.DeclaredAt,
		Facilitator: actor, Participants: req.Participants,
	})
	if err != nil {
		return nil, apperr.New(apperr.Unavailable, "drill %s was declared but its play did not start: the workflow engine did not answer; repeat the request with the same key", st.ID)
	}
	return &DrillStarted{ID: st.ID, Incident: st.ID, Status: workflows.DrillRunning}, nil
}

// Drill returns a drill's state.
func (s *Service) Drill(ctx context.Context, actor workflows.Actor, id string) (*workflows.DrillState, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	resp, err := s.Temporal.QueryWorkflow(ctx, workflows.DrillWorkflowID(id), "", workflows.QueryDrill)
	if err != nil {
		if apperr.CodeOf(s.temporalError(id, err)) == apperr.NotFound {
			return nil, apperr.New(apperr.NotFound, "no drill %s", id)
		}
		return nil, s.temporalError(id, err)
	}
	var st workflows.DrillState
	if err := resp.Get(&st); err != nil {
		return nil, fmt.Errorf("decode drill %s: %w", id, err)
	}
	return &st, nil
}

// DrillAct applies a facilitator control (pause, resume, inject_now, skip,
// end). end also closes the drill's incident, settling every clock, so one
// command stops all timers; the data stays for the report.
func (s *Service) DrillAct(ctx context.Context, actor workflows.Actor, id, action, event string) (*workflows.DrillState, error) {
	if err := mayRunDrills(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !slices.Contains(workflows.DrillActionTypes, action) {
		return nil, apperr.New(apperr.Invalid, "unknown drill action %q; use one of %s", action, strings.Join(workflows.DrillActionTypes, ", "))
	}
	var st workflows.DrillState
	if err := s.update(ctx, workflows.DrillWorkflowID(id), "", action, workflows.DrillControl{Actor: actor, Event: event}, &st); err != nil {
		return nil, s.updateError(id, err)
	}
	if action == workflows.DrillEnd {
		if _, err := s.Act(ctx, actor, id, workflows.Action{Type: workflows.ActionClose, Reason: "drill ended", Source: "drill", RequestID: "drill/end/close"}); err != nil {
			if apperr.CodeOf(err) != apperr.Conflict {
				return &st, err
			}
		}
	}
	return &st, nil
}

// DrillAnswer records one person's answer to a drill question.
func (s *Service) DrillAnswer(ctx context.Context, actor workflows.Actor, id, question, answer string) (*workflows.DrillState, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	var st workflows.DrillState
	if err := s.update(ctx, workflows.DrillWorkflowID(id), "", workflows.DrillAnswer, workflows.DrillAnswerInput{Actor: actor, Question: question, Answer: answer}, &st); err != nil {
		return nil, s.updateError(id, err)
	}
	return &st, nil
}

// DrillImprove replaces the drill's Improvement Plan; final makes the report
// final afterwards.
func (s *Service) DrillImprove(ctx context.Context, actor workflows.Actor, id string, items []workflows.Improvement, final bool) (*workflows.DrillState, error) {
	if err := mayRunDrills(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	var st workflows.DrillState
	if items != nil {
		if err := s.update(ctx, workflows.DrillWorkflowID(id), "", workflows.DrillImprove, workflows.DrillImproveInput{Actor: actor, Improvements: items}, &st); err != nil {
			return nil, s.updateError(id, err)
		}
	}
	if final {
		if err := s.update(ctx, workflows.DrillWorkflowID(id), "", workflows.DrillFinalize, workflows.DrillControl{Actor: actor}, &st); err != nil {
			return nil, s.updateError(id, err)
		}
	}
	return &st, nil
}

// DrillGiveFeedback records one participant's feedback form after play, in
// the drill (for the report) and, by the drill's workflow, as a
// drill.feedback entry on the incident's timeline under the person's name.
func (s *Service) DrillGiveFeedback(ctx context.Context, actor workflows.Actor, id string, fb workflows.DrillFeedbackInput) (*workflows.DrillState, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	fb.Actor = actor
	fb.WentWell, fb.Improve = strings.TrimSpace(fb.WentWell), strings.TrimSpace(fb.Improve)
	var st workflows.DrillState
	if err := s.update(ctx, workflows.DrillWorkflowID(id), "", workflows.DrillFeedback, fb, &st); err != nil {
		return nil, s.updateError(id, err)
	}
	return &st, nil
}

// DrillReport is the after-action report of drill id in format json, md,
// html or pdf, with its content type. The web console calls it too.
func (s *Service) DrillReport(ctx context.Context, actor workflows.Actor, id, format string) ([]byte, string, error) {
	d, err := s.Drill(ctx, actor, id)
	if err != nil {
		return nil, "", err
	}
	inc, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, "", err
	}
	events, err := s.Store.Events(ctx, id)
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, "", fmt.Errorf("timeline of %s: %w", id, err)
	}
	r := BuildDrillReport(d, inc, events, s.now())
	switch format {
	case "", "json":
		b, err := json.MarshalIndent(r, "", "  ")
		return b, "application/json", err
	case "md":
		return []byte(r.Markdown()), "text/markdown; charset=utf-8", nil
	case "html":
		b, err := r.HTML()
		return b, "text/html; charset=utf-8", err
	case "pdf":
		b, err := r.PDF()
		return b, "application/pdf", err
	}
	return nil, "", apperr.New(apperr.Invalid, "format %q is not one of json, md, html, pdf", format)
}
