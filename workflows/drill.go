package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/playbooks"
)

// Drill names (recorded in histories: never rename).
const (
	DrillWorkflowName        = "DrillWorkflow"
	DrillDeliverActivityName = "DrillDeliver"
	QueryDrill               = "drill.state"

	// Facilitator controls, as Updates on the DrillWorkflow; the API's
	// action types use the same words.
	DrillPause     = "pause"
	DrillResume    = "resume"
	DrillInjectNow = "inject_now"
	DrillSkip      = "skip"
	DrillEnd       = "end"
	// DrillAnswer records one participant's answer to a discussion question.
	DrillAnswer = "answer"
	// DrillImprove sets the Improvement Plan after play; DrillFinalize makes
	// the report final (no more edits) and ends the workflow.
	DrillImprove  = "improve"
	DrillFinalize = "finalize"
	// DrillFeedback records one participant's feedback form after play.
	DrillFeedback = "feedback"
	// KindDrillFeedback is the timeline entry of one feedback form.
	KindDrillFeedback = "drill.feedback"
)

// DrillActionTypes are the facilitator controls, in the order help lists them.
var DrillActionTypes = []string{DrillPause, DrillResume, DrillInjectNow, DrillSkip, DrillEnd}

// DrillEndedByTime is DrillState.EndedBy when play ran to the scenario's
// end rather than being ended by a person.
const DrillEndedByTime = "irbot"

// Drill statuses.
const (
	DrillRunning = "running"
	DrillPaused  = "paused"
	DrillEnded   = "ended"
)

// DrillWorkflowID is the workflow ID of the drill that drives incident id.
func DrillWorkflowID(incidentID string) string { return IncidentWorkflowID(incidentID) + "/drill" }

// DrillInput starts a DrillWorkflow for a drill-mode incident already
// declared with the scenario's playbook, regimes and facts. The scenario is
// pinned here: editing its file changes new drills only.
type DrillInput struct {
	IncidentID   string             `json:"incident_id"`
	Scenario     playbooks.Scenario `json:"scenario"`
	Speed        float64            `json:"speed"`
	StartedAt    time.Time          `json:"started_at"` // real time of T+0 (the incident's declaration)
	Facilitator  Actor              `json:"facilitator"`
	Participants []string           `json:"participants,omitempty"`
}

// DrillEvent is one inject or question and when it was delivered, in real
// and in scenario time.
type DrillEvent struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind"` // inject or question
	Title       string         `json:"title,omitempty"`
	ScenarioAt  playbooks.Span `json:"scenario_at"`
	DeliveredAt *time.Time     `json:"delivered_at,omitempty"` // real time
	// DeliveredScenarioAt is the scenario time it was delivered (differs from
	// ScenarioAt when the facilitator injected it early).
	DeliveredScenarioAt *playbooks.Span `json:"delivered_scenario_at,omitempty"`
	Skipped             bool            `json:"skipped,omitempty"`
	Early               bool            `json:"early,omitempty"` // delivered by inject_now
}

// DrillAnswerRecord is one person's answer to a question.
type DrillAnswerRecord struct {
	Question   string         `json:"question"`
	By         string         `json:"by"`
	Answer     string         `json:"answer"`
	At         time.Time      `json:"at"`
	ScenarioAt playbooks.Span `json:"scenario_at"`
}

// DrillState is a drill's live state, as its Query and Updates return it.
type DrillState struct {
	IncidentID string              `json:"incident_id"`
	Scenario   string              `json:"scenario"`
	Title      string              `json:"title"`
	Speed      float64             `json:"speed"`
	Status     string              `json:"status"`
	StartedAt  time.Time           `json:"started_at"`
	PausedAt   *time.Time          `json:"paused_at,omitempty"`
	Paused     time.Duration       `json:"paused"` // real time spent paused, before PausedAt
	EndedAt    *time.Time          `json:"ended_at,omitempty"`
	EndedBy    string              `json:"ended_by,omitempty"`
	Events     []DrillEvent        `json:"events"`
	Answers    []DrillAnswerRecord `json:"answers,omitempty"`
	// Feedback is the participants' feedback forms, one per person.
	Feedback []DrillFeedbackRecord `json:"feedback,omitempty"`
	// Improvements is the Improvement Plan the facilitator edits after play.
	Improvements []Improvement `json:"improvements"`
	Final        bool          `json:"final,omitempty"`
	// Package is the scenario as pinned at the start, for the report.
	Package playbooks.Scenario `json:"package"`
}

// Improvement is one row of the HSEEP Improvement Plan.
type Improvement struct {
	Issue  string `json:"issue"`
	Action string `json:"action"`
	Owner  string `json:"owner"`
	Due    string `json:"due"` // YYYY-MM-DD
}

// DrillFeedbackInput is one participant's feedback form (HSEEP participant
// feedback): what went well, what to improve, a rating from 1 to 5.
type DrillFeedbackInput struct {
	Actor    Actor  `json:"actor"`
	WentWell string `json:"went_well"`
	Improve  string `json:"improve"`
	Rating   int    `json:"rating"`
}

// DrillFeedbackRecord is one person's feedback as recorded.
type DrillFeedbackRecord struct {
	By       string    `json:"by"`
	WentWell string    `json:"went_well"`
	Improve  string    `json:"improve"`
	Rating   int       `json:"rating"`
	At       time.Time `json:"at"`
}

// DrillImproveInput replaces the Improvement Plan.
type DrillImproveInput struct {
	Actor        Actor         `json:"actor"`
	Improvements []Improvement `json:"improvements"`
}

// reportWindow is how long an ended drill waits for its report to be made
// final before it finalises itself.
const reportWindow = 30 * 24 * time.Hour

// ScenarioTime is the scenario time (T+...) at real time now: real time since
// the start, less the time spent paused, times the speed.
func (s DrillState) ScenarioTime(now time.Time) playbooks.Span {
	if s.EndedAt != nil && now.After(*s.EndedAt) {
		now = *s.EndedAt
	}
	p := s.drillPause()
	d := p.Virtual(s.StartedAt, now, s.Speed).Sub(s.StartedAt)
	if d < 0 {
		d = 0
	}
	return playbooks.Span(d.Truncate(time.Second))
}

// RealTime is when, in real time, scenario time at falls given the pauses so
// far.
func (s DrillState) RealTime(at playbooks.Span) time.Time {
	p := s.drillPause()
	return p.Real(s.StartedAt, s.StartedAt.Add(at.D()), s.Speed)
}

// DrillControl is a facilitator's control: who, and for skip or inject_now
// optionally which event (default: the next one).
type DrillControl struct {
	Actor Actor  `json:"actor"`
	Event string `json:"event,omitempty"`
}

// DrillAnswerInput answers a question.
type DrillAnswerInput struct {
	Actor    Actor  `json:"actor"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// DrillDelivery asks the DrillDeliver activity to deliver one inject or
// question to the drill's incident (facts set, a [DRILL] note on the
// timeline and in the channel), or, with Kind "end", to post the hot wash.
type DrillDelivery struct {
	IncidentID string         `json:"incident_id"`
	Kind       string         `json:"kind"` // inject, question, end
	ID         string         `json:"id"`
	Title      string         `json:"title,omitempty"`
	Text       string         `json:"text,omitempty"`
	Facts      map[string]any `json:"facts,omitempty"`
	Choices    []string       `json:"choices,omitempty"`
	ScenarioAt playbooks.Span `json:"scenario_at"`
	Early      bool           `json:"early,omitempty"`
}

// DrillResult is what an ended drill returns.
type DrillResult struct {
	State DrillState `json:"state"`
}

// DrillWorkflow delivers a scenario's injects and questions to its incident
// on durable timers, in scenario time compressed by the speed, and takes the
// facilitator's controls as Updates: pause and resume shift every pending
// delivery by the time paused, inject_now delivers the next one at once,
// skip drops it, end stops them all.
func DrillWorkflow(ctx workflow.Context, in DrillInput) (DrillResult, error) {
	d := &drill{in: in}
	if d.in.Speed < 1 {
		d.in.Speed = 1
	}
	d.state = DrillState{
		IncidentID: in.IncidentID, Scenario: in.Scenario.ID, Title: in.Scenario.Title, Speed: d.in.Speed,
		Status: DrillRunning, StartedAt: in.StartedAt, Events: []DrillEvent{}, Improvements: []Improvement{},
		Package: in.Scenario,
	}
	d.state.Events = append(d.state.Events, drillSchedule(&in.Scenario)...)
	d.pauseClocks = workflow.GetVersion(ctx, drillTimeChange, workflow.DefaultVersion, 1) >= 1
	if err := d.register(ctx); err != nil {
		return DrillResult{}, err
	}
	return d.run(ctx)
}

type drill struct {
	in      DrillInput
	state   DrillState
	changed bool
	now     string // event id the facilitator asked to deliver at once
	// pauseClocks: this history tells the incident (and its clocks) when
	// play pauses and resumes (drillTimeChange).
	pauseClocks bool
	// feedbacks counts feedback forms, for their timeline keys.
	feedbacks int
}

// drillSchedule lists the scenario's injects and questions in delivery
// order (scenario time; an inject before a question at the same time).
func drillSchedule(sc *playbooks.Scenario) []DrillEvent {
	var evs []DrillEvent
	for _, in := range sc.Injects() {
		evs = append(evs, DrillEvent{ID: in.ID, Kind: "inject", Title: in.Title, ScenarioAt: in.At})
	}
	for _, q := range sc.Questions() {
		evs = append(evs, DrillEvent{ID: q.ID, Kind: "question", Title: q.Text, ScenarioAt: q.At})
	}
	slices.SortStableFunc(evs, func(a, b DrillEvent) int {
		if a.ScenarioAt != b.ScenarioAt {
			return int(a.ScenarioAt - b.ScenarioAt)
		}
		if a.Kind != b.Kind {
			if a.Kind == "inject" {
				return -1
			}
			return 1
		}
		return 0
	})
	return evs
}

func drillRejection(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), "Rejected")
}

func (d *drill) pending(id string) int {
	return slices.IndexFunc(d.state.Events, func(e DrillEvent) bool {
		return e.DeliveredAt == nil && !e.Skipped && (id == "" || e.ID == id)
	})
}

func (d *drill) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryDrill, func() (DrillState, error) { return d.state, nil }); err != nil {
		return err
	}
	controls := map[string]func(ctx workflow.Context, c DrillControl) error{
		DrillPause: func(ctx workflow.Context, c DrillControl) error {
			now := workflow.Now(ctx)
			d.state.PausedAt = &now
			d.state.Status = DrillPaused
			d.tellIncidentPause(ctx)
			return nil
		},
		DrillResume: func(ctx workflow.Context, c DrillControl) error {
			d.state.Paused += workflow.Now(ctx).Sub(*d.state.PausedAt)
			d.state.PausedAt = nil
			d.state.Status = DrillRunning
			d.tellIncidentPause(ctx)
			return nil
		},
		DrillInjectNow: func(ctx workflow.Context, c DrillControl) error {
			d.now = d.state.Events[d.pending(c.Event)].ID
			return nil
		},
		DrillSkip: func(ctx workflow.Context, c DrillControl) error {
			d.state.Events[d.pending(c.Event)].Skipped = true
			return nil
		},
		DrillEnd: func(ctx workflow.Context, c DrillControl) error {
			now := workflow.Now(ctx)
			if d.state.PausedAt != nil {
				d.state.Paused += now.Sub(*d.state.PausedAt)
				d.state.PausedAt = nil
				d.tellIncidentPause(ctx)
			}
			d.state.Status = DrillEnded
			d.state.EndedAt = &now
			d.state.EndedBy = c.Actor.ID
			return nil
		},
	}
	for _, name := range DrillActionTypes {
		apply := controls[name]
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, c DrillControl) (DrillState, error) {
				if err := apply(ctx, c); err != nil {
					return d.state, err
				}
				d.changed = true
				return d.state, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, c DrillControl) error { return d.validate(name, c) }},
		); err != nil {
			return err
		}
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DrillImprove,
		func(ctx workflow.Context, in DrillImproveInput) (DrillState, error) {
			d.state.Improvements = append([]Improvement{}, in.Improvements...)
			return d.state, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in DrillImproveInput) error {
			if err := d.validateReport(DrillImprove, in.Actor); err != nil {
				return err
			}
			if len(in.Improvements) > 100 {
				return drillRejection("an improvement plan holds at most 100 items")
			}
			for i, it := range in.Improvements {
				if it.Issue == "" || it.Action == "" || it.Owner == "" {
					return drillRejection("improvement %d needs an issue, a corrective action and an owner", i+1)
				}
				if len(it.Issue)+len(it.Action)+len(it.Owner) > 4000 {
					return drillRejection("improvement %d is longer than 4000 characters", i+1)
				}
				// The rule every text irbot takes: no NUL, control or
				// direction-override characters (the plan is printed in
				// the report and the PDF).
				for _, err := range []error{CheckText(fmt.Sprintf("improvement %d issue", i+1), it.Issue, MaxReason),
					CheckText(fmt.Sprintf("improvement %d action", i+1), it.Action, MaxReason),
					CheckLine(fmt.Sprintf("improvement %d owner", i+1), it.Owner, MaxName)} {
					if err != nil {
						return drillRejection("%v", err)
					}
				}
				if _, err := time.Parse("2006-01-02", it.Due); err != nil {
					return drillRejection("improvement %d: due %q should be a date like 2026-04-30", i+1, it.Due)
				}
			}
			return nil
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DrillFeedback,
		func(ctx workflow.Context, in DrillFeedbackInput) (DrillState, error) {
			// One form per person: a second one replaces the first.
			d.state.Feedback = slices.DeleteFunc(d.state.Feedback, func(f DrillFeedbackRecord) bool { return f.By == in.Actor.ID })
			now := workflow.Now(ctx)
			d.state.Feedback = append(d.state.Feedback, DrillFeedbackRecord{
				By: in.Actor.ID, WentWell: in.WentWell, Improve: in.Improve, Rating: in.Rating, At: now,
			})
			// On the incident's timeline too (it is closed by now: the
			// entry goes straight to the store, keyed per submission).
			d.feedbacks++
			data, err := json.Marshal(map[string]any{
				"rating": in.Rating, "went_well": in.WentWell, "improve": in.Improve,
				"actor_name": in.Actor.Name, "actor_roles": in.Actor.Roles,
			})
			if err != nil {
				return d.state, err
			}
			actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
				StartToCloseTimeout: 30 * time.Second,
				RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 10},
			})
			if err := workflow.ExecuteActivity(actx, NoticeEventActivityName, EventRecord{
				IncidentID: d.in.IncidentID, Key: fmt.Sprintf("drill/feedback/%d", d.feedbacks), At: now.UTC(),
				Kind: KindDrillFeedback, Actor: in.Actor.ID, Data: data,
			}).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("drill feedback timeline entry", "incident", d.in.IncidentID, "error", err)
			}
			return d.state, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in DrillFeedbackInput) error {
			if in.Actor.ID == "" {
				return drillRejection("feedback needs an identity")
			}
			if d.state.Status != DrillEnded {
				return drillRejection("feedback is given after play; the drill is still %s", d.state.Status)
			}
			if d.state.Final {
				return drillRejection("the report is final; nothing more can change")
			}
			if in.Rating < 1 || in.Rating > 5 {
				return drillRejection("rating %d: give 1 (poor) to 5 (excellent)", in.Rating)
			}
			if len(in.WentWell) > 4000 || len(in.Improve) > 4000 {
				return drillRejection("each feedback answer holds at most 4000 characters")
			}
			for _, err := range []error{CheckText("what went well", in.WentWell, MaxReason), CheckText("what to improve", in.Improve, MaxReason)} {
				if err != nil {
					return drillRejection("%v", err)
				}
			}
			return nil
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DrillFinalize,
		func(ctx workflow.Context, c DrillControl) (DrillState, error) {
			d.state.Final = true
			return d.state, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, c DrillControl) error { return d.validateReport(DrillFinalize, c.Actor) }}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, DrillAnswer,
		func(ctx workflow.Context, a DrillAnswerInput) (DrillState, error) {
			now := workflow.Now(ctx)
			// One answer per person per question: a second one replaces the first.
			d.state.Answers = slices.DeleteFunc(d.state.Answers, func(r DrillAnswerRecord) bool {
				return r.Question == a.Question && r.By == a.Actor.ID
			})
			d.state.Answers = append(d.state.Answers, DrillAnswerRecord{
				Question: a.Question, By: a.Actor.ID, Answer: a.Answer, At: now, ScenarioAt: d.state.ScenarioTime(now),
			})
			return d.state, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a DrillAnswerInput) error {
			if a.Actor.ID == "" {
				return drillRejection("answering needs an identity")
			}
			q, ok := d.in.Scenario.Question(a.Question)
			if !ok {
				return drillRejection("the drill has no question %q", a.Question)
			}
			i := slices.IndexFunc(d.state.Events, func(e DrillEvent) bool { return e.ID == a.Question })
			if i < 0 || d.state.Events[i].DeliveredAt == nil {
				return drillRejection("question %q has not been asked yet", a.Question)
			}
			if len(a.Answer) == 0 || len(a.Answer) > 4000 {
				return drillRejection("an answer needs 1 to 4000 characters")
			}
			if err := CheckText("the answer", a.Answer, MaxReason); err != nil {
				return drillRejection("%v", err)
			}
			if len(q.Choices) > 0 && !slices.Contains(q.Choices, a.Answer) {
				return drillRejection("answer %q is not one of the choices (%v)", a.Answer, q.Choices)
			}
			return nil
		}},
	)
}

// validateReport: the report is edited by the facilitator or a manager,
// after play and before it is final.
func (d *drill) validateReport(name string, a Actor) error {
	if !policy.MayRunDrills(a.Roles) && a.ID != d.in.Facilitator.ID {
		return drillRejection("%s: only the facilitator or someone with the manager role edits the report", name)
	}
	if d.state.Status != DrillEnded {
		return drillRejection("%s: the improvement plan is written after play; end the drill first", name)
	}
	if d.state.Final {
		return drillRejection("the report is final; nothing more can change")
	}
	return nil
}

// validate is the one home of the facilitator rules: who may steer a drill
// and which control fits its status.
func (d *drill) validate(name string, c DrillControl) error {
	if !policy.MayRunDrills(c.Actor.Roles) && c.Actor.ID != d.in.Facilitator.ID {
		return drillRejection("%s: only the facilitator or someone with the manager role steers a drill", name)
	}
	if d.state.Status == DrillEnded {
		return drillRejection("the drill has ended; nothing more can change")
	}
	switch name {
	case DrillPause:
		if d.state.Status == DrillPaused {
			return drillRejection("the drill is already paused")
		}
	case DrillResume:
		if d.state.Status != DrillPaused {
			return drillRejection("the drill is not paused")
		}
	case DrillInjectNow, DrillSkip:
		if d.pending(c.Event) < 0 {
			if c.Event != "" {
				return drillRejection("%q is not an inject or question still to come", c.Event)
			}
			return drillRejection("every inject and question has been delivered")
		}
	}
	return nil
}

func (d *drill) run(ctx workflow.Context) (DrillResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 20},
	})
	for d.state.Status != DrillEnded {
		if d.state.Status == DrillPaused {
			if err := workflow.Await(ctx, func() bool { return d.state.Status != DrillPaused }); err != nil {
				return DrillResult{}, err
			}
			continue
		}
		if d.now != "" && d.pending(d.now) < 0 {
			d.now = "" // skipped before it could be delivered
		}
		i := d.pending(d.now)
		at := d.in.Scenario.Duration
		if i >= 0 {
			at = d.state.Events[i].ScenarioAt
		}
		wait := d.state.RealTime(at).Sub(workflow.Now(ctx))
		if d.now != "" {
			wait = 0
		}
		d.changed = false
		if wait > 0 {
			fired, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return d.changed })
			if err != nil {
				return DrillResult{}, err
			}
			if fired {
				continue // a control changed the plan: work it out again
			}
		}
		if i < 0 {
			// Play time is over: the drill ends by itself.
			now := workflow.Now(ctx)
			d.state.Status, d.state.EndedAt, d.state.EndedBy = DrillEnded, &now, DrillEndedByTime
			break
		}
		if err := d.deliver(ctx, actx, i); err != nil {
			return DrillResult{}, err
		}
	}
	// The hot wash prompt; failing to post it must not lose the drill.
	_ = workflow.ExecuteActivity(actx, DrillDeliverActivityName, DrillDelivery{
		IncidentID: d.in.IncidentID, Kind: "end", ID: "hot-wash", ScenarioAt: d.state.ScenarioTime(*d.state.EndedAt),
	}).Get(ctx, nil)
	// The workflow stays open for the facilitator's Improvement Plan until the
	// report is made final, or for the report window at most.
	if _, err := workflow.AwaitWithTimeout(ctx, reportWindow, func() bool { return d.state.Final }); err != nil {
		return DrillResult{}, err
	}
	d.state.Final = true
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return DrillResult{}, err
	}
	return DrillResult{State: d.state}, nil
}

func (d *drill) deliver(ctx, actx workflow.Context, i int) error {
	ev := d.state.Events[i]
	early := d.now == ev.ID
	d.now = ""
	del := DrillDelivery{IncidentID: d.in.IncidentID, Kind: ev.Kind, ID: ev.ID, ScenarioAt: ev.ScenarioAt, Early: early}
	if ev.Kind == "inject" {
		for _, in := range d.in.Scenario.Injects() {
			if in.ID == ev.ID {
				del.Title, del.Text, del.Facts = in.Title, in.Text, in.Facts
			}
		}
	} else if q, ok := d.in.Scenario.Question(ev.ID); ok {
		del.Text, del.Choices = q.Text, q.Choices
	}
	now := workflow.Now(ctx)
	sat := d.state.ScenarioTime(now)
	if err := workflow.ExecuteActivity(actx, DrillDeliverActivityName, del).Get(ctx, nil); err != nil {
		var canceled *temporal.CanceledError
		if errors.As(err, &canceled) {
			return err
		}
		workflow.GetLogger(ctx).Error("drill delivery failed", "incident", d.in.IncidentID, "event", ev.ID, "error", err)
	}
	// Events may have been skipped meanwhile; find it again by id.
	for j := range d.state.Events {
		if d.state.Events[j].ID == ev.ID {
			d.state.Events[j].DeliveredAt = &now
			d.state.Events[j].DeliveredScenarioAt = &sat
			d.state.Events[j].Early = early
		}
	}
	return nil
}

// IncidentNow is the incident's own time at real time now. In a drill at
// speed N its clocks count N times faster from the declaration (as
// ClockWorkflow does), so the card, /incident clocks and the reminders agree
// on the time left; it stands still while the facilitator has paused play.
// Live incidents run in real time.
func IncidentNow(st IncidentState, now time.Time) time.Time {
	if st.Mode != ModeDrill || (st.Speed <= 1 && st.DrillPause == nil) || st.DeclaredAt.IsZero() {
		return now
	}
	return st.DrillPause.Virtual(st.DeclaredAt, now, st.Speed)
}
