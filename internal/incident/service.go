// Package incident is the one service every surface (HTTP API, Slack, CLI)
// calls: it authorises the person, validates and normalises the request, and
// turns it into a Temporal workflow start, Update or Query. No surface talks
// to Temporal or the store on its own.
package incident

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// Store is what the service reads from and reserves IDs in.
type Store interface {
	ReserveIncidentID(ctx context.Context, prefix, requestKey string) (string, bool, error)
	GetIncident(ctx context.Context, id string) (store.Incident, error)
	ListIncidents(ctx context.Context) ([]store.Incident, error)
	ListIncidentsPage(ctx context.Context, f store.IncidentFilter) (store.IncidentPage, error)
	Events(ctx context.Context, incidentID string) ([]store.Event, error)
	Verify(ctx context.Context, incidentID string) (store.VerifyResult, error)
	ListRegister(ctx context.Context) ([]store.RegisterEntry, error)
	UpsertIncident(ctx context.Context, inc store.Incident) error
	IncidentByChannel(ctx context.Context, channelID string) (store.Incident, error)
	Append(ctx context.Context, e store.Event) (store.Event, bool, error)
}

// Service is the incident service.
type Service struct {
	Temporal  client.Client
	Store     Store
	Rules     *playbooks.RuleSet
	Playbooks func(id string) (*playbooks.Playbook, bool)
	TaskQueue string
	Now       func() time.Time
	// UpdateTimeout bounds how long a person waits for an Update's answer.
	UpdateTimeout time.Duration
	// Campaigns keeps customer campaigns' recipient lists (notices.go).
	Campaigns store.CampaignStore
	// RolesOf gives a person's roles from the users file, so assign_role
	// can only give what the assignee holds there (nil: nobody holds any,
	// and only the incident roles can be given).
	RolesOf func(userID string) []string
	// Record answers for incidents whose workflow is gone: snapshots and
	// the notice archive (record.go). Nil: only the index is left.
	Record Record
	// Checkpoints keeps the signed checkpoints of the chain heads, and
	// CheckpointKey signs new ones on demand (checkpoints.go). Nil: none.
	Checkpoints   Checkpoints
	CheckpointKey ed25519.PrivateKey
	// Purged lists the tombstones retention left (checkpoints.go).
	Purged Tombstones
	// Counter counts the record for /metrics (metrics.go); nil: no
	// figures (the exposition says the record is down).
	Counter store.MetricsStore
	// Health is Temporal's reachability as the last health check saw it
	// (outage.go); nil: unknown, every call is tried.
	Health *TemporalHealth
	// Payloads decodes what irbot keeps in Temporal outside workflow
	// results (a drill schedule's memo): the client's data converter. Nil:
	// the SDK's default.
	Payloads converter.DataConverter
	// UpdatesInFlight is how many Updates this process sends to one
	// workflow at a time; more wait in line (gate.go). Zero:
	// DefaultUpdatesInFlight. Keep it below the Temporal server's
	// history.maxInFlightUpdates divided by the number of replicas.
	UpdatesInFlight int

	gate      updateGate
	summaries summaries
}

// DeclareRequest is what a person gives to declare an incident. Only Title is
// required.
type DeclareRequest struct {
	Title     string     `json:"title"`
	Summary   string     `json:"summary,omitempty"`
	Severity  string     `json:"severity,omitempty"`
	AwareAt   *time.Time `json:"aware_at,omitempty"`
	Regimes   []string   `json:"regimes,omitempty"`
	Mode      string     `json:"mode,omitempty"`
	Playbook  string     `json:"playbook,omitempty"`
	Commander string     `json:"commander,omitempty"`
	Speed     float64    `json:"speed,omitempty"`
	// Public asks for a public incident channel (private by default).
	Public bool `json:"public,omitempty"`
	// Facts known at declaration (personal_data, nature, affected, ...),
	// checked like set_fact. Anyone who may declare may state them.
	Facts map[string]json.RawMessage `json:"facts,omitempty"`
	// RequestKey makes a declare idempotent: the same key returns the same
	// incident (Slack retries, double clicks, client retries).
	RequestKey string `json:"request_key,omitempty"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) taskQueue() string {
	if s.TaskQueue != "" {
		return s.TaskQueue
	}
	return workflows.TaskQueue
}

// Declare validates req, reserves an incident ID and starts its workflow with
// the playbook and rules pinned. Anyone with an identity may declare.
func (s *Service) Declare(ctx context.Context, actor workflows.Actor, req DeclareRequest) (*workflows.IncidentState, error) {
	if actor.ID == "" {
		return nil, apperr.New(apperr.Unauthorized, "declaring needs an identity")
	}
	in, err := s.buildInput(actor, req)
	if err != nil {
		return nil, err
	}
	return s.declareInput(ctx, actor, in, req.RequestKey)
}

// declareInput reserves an incident ID for a built input and starts its
// workflow: the second half of Declare, shared with drills, which build
// their input from a scenario.
func (s *Service) declareInput(ctx context.Context, actor workflows.Actor, in workflows.IncidentInput, requestKey string) (*workflows.IncidentState, error) {
	if s.TemporalDown() {
		// Reserve no ID for an incident that cannot start now.
		return nil, temporalOutage(errTemporalDown)
	}
	prefix := fmt.Sprintf("INC-%d", in.DeclaredAt.Year())
	if in.Mode == workflows.ModeDrill {
		prefix = fmt.Sprintf("DRILL-%d", in.DeclaredAt.Year())
	}
	id, created, err := s.Store.ReserveIncidentID(ctx, prefix, requestKey)
	if err != nil {
		return nil, fmt.Errorf("reserve incident id: %w", err)
	}
	in.ID = id
	if !created {
		// A repeat of a declare we already handled: answer with that incident.
		if st, err := s.query(ctx, id); err == nil {
			return st, nil
		}
	}
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.IncidentWorkflowID(id),
		TaskQueue:                s.taskQueue(),
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// The first workflow task comes back with the start and runs on
		// this process's worker at once, instead of queueing in matching
		// behind every other incident's work: with 50 incidents just
		// declared it waited 11 s there, and the first actions on the new
		// incident (answered in that task) ran out of their 20 s.
		EnableEagerStart: true,
	}, workflows.IncidentWorkflowName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return s.query(ctx, id)
	}
	if out := temporalOutage(err); out != nil {
		return nil, apperr.New(apperr.Unavailable, "could not start incident %s: %s (the same request key returns the same incident)", id, out.Message)
	}
	if err != nil {
		return nil, fmt.Errorf("start incident %s: %w", id, err)
	}
	// Index the incident at once so it lists even before its first timeline
	// entry is written.
	_ = s.Store.UpsertIncident(ctx, store.Incident{
		ID: id, Title: in.Title, Severity: in.Severity, Mode: in.Mode, Status: workflows.StatusOpen,
		DeclaredBy: actor.ID, WorkflowID: workflows.IncidentWorkflowID(id), DeclaredAt: in.DeclaredAt, UpdatedAt: in.DeclaredAt,
	})
	s.summaries.put(id, in.Summary)
	// Answer with the state the workflow starts from: its first task may
	// not have run yet.
	st := workflows.InitialState(in)
	if len(in.Playbook.Phases) > 0 {
		st.Phase = in.Playbook.Phases[0].ID
	}
	return &st, nil
}

func (s *Service) buildInput(actor workflows.Actor, req DeclareRequest) (workflows.IncidentInput, error) {
	if err := checkDeclare(req); err != nil {
		return workflows.IncidentInput{}, err
	}
	req.Title = strings.TrimSpace(req.Title)
	if req.Title == "" {
		return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "title is required")
	}
	if req.Severity == "" {
		req.Severity = "high"
	}
	if !slices.Contains(workflows.Severities, req.Severity) {
		return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "unknown severity %q; use one of %s", req.Severity, strings.Join(workflows.Severities, ", "))
	}
	if req.Mode == "" {
		req.Mode = workflows.ModeLive
	}
	if req.Mode != workflows.ModeLive && req.Mode != workflows.ModeDrill {
		return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "mode must be \"live\" or \"drill\", got %q", req.Mode)
	}
	if req.Speed < 0 || req.Speed > 10000 || (req.Speed > 1 && req.Mode != workflows.ModeDrill) {
		return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "speed compresses time in drills only, from 1 to 10000")
	}
	if req.Playbook == "" {
		req.Playbook = "data-breach"
	}
	pb, ok := s.Playbooks(req.Playbook)
	if !ok {
		return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "unknown playbook %q", req.Playbook)
	}
	now := s.now().UTC()
	facts := map[string]any{}
	for _, name := range deadline.SortedKeys(req.Facts) {
		v, err := workflows.NormalizeFact(name, req.Facts[name])
		if err != nil {
			return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "%v", err)
		}
		// The same rule as set_fact's: a trigger time stated at the
		// declaration must have happened (it was accepted in 2099).
		if err := workflows.CheckFactTime(workflows.Action{Type: workflows.ActionSetFact, Name: name, Value: req.Facts[name]}, now); err != nil {
			return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "facts: %v", err)
		}
		facts[name] = v
	}
	// Awareness stated as a fact is the awareness time: before, the clocks
	// and the defaulted discovery time started at the declaration while
	// the fact said otherwise.
	if s, ok := facts["aware_at"].(string); ok {
		t, err := time.Parse(time.RFC3339Nano, s)
		switch {
		case err != nil:
		case req.AwareAt == nil:
			req.AwareAt = &t
		case !req.AwareAt.Equal(t):
			return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "aware_at is given twice with different times (%s and facts.aware_at %s): give it once", req.AwareAt.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
		}
	}
	awareDefaulted := req.AwareAt == nil
	if req.AwareAt != nil {
		if err := workflows.CheckHappened("aware_at", *req.AwareAt, now); err != nil {
			return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "%s", err.Error())
		}
		t := req.AwareAt.UTC()
		req.AwareAt = &t
	} else {
		// Declaring is becoming aware unless the person says otherwise: the
		// clocks start now rather than never.
		req.AwareAt = &now
	}
	regimes := req.Regimes
	if len(regimes) == 0 {
		regimes = pb.Regimes
	}
	var clean []string
	for _, r := range regimes {
		r = strings.ToLower(strings.TrimSpace(r))
		if r != "" && !slices.Contains(clean, r) {
			clean = append(clean, r)
		}
	}
	rules, err := s.Rules.Subset(clean)
	if err != nil {
		return workflows.IncidentInput{}, apperr.New(apperr.Invalid, "%v; known regimes: %s", err, strings.Join(s.Rules.IDs(), ", "))
	}
	return workflows.IncidentInput{
		Title: req.Title, Summary: strings.TrimSpace(req.Summary), Severity: req.Severity, Mode: req.Mode,
		DeclaredBy: actor, DeclaredAt: now, AwareAt: req.AwareAt, AwareDefaulted: awareDefaulted, Commander: req.Commander,
		Regimes: clean, Playbook: *pb, Rules: *rules, Speed: req.Speed, PublicChannel: req.Public, Facts: facts,
	}, nil
}

// List returns every incident, newest first.
func (s *Service) List(ctx context.Context, actor workflows.Actor) ([]store.Incident, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	return s.Store.ListIncidents(ctx)
}

// Get returns an incident's live state from its workflow.
func (s *Service) Get(ctx context.Context, actor workflows.Actor, id string) (*workflows.IncidentState, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	st, err := s.query(ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		// Past Temporal's retention a closed incident lives on in the store:
		// answer with its latest snapshot, or what the index keeps.
		if arch, ok, aerr := s.archivedState(ctx, id); aerr != nil {
			return nil, aerr
		} else if ok {
			return arch, nil
		}
		if inc, ierr := s.Store.GetIncident(ctx, id); ierr == nil {
			return &workflows.IncidentState{
				ID: inc.ID, Title: inc.Title, Severity: inc.Severity, Mode: inc.Mode, Status: inc.Status, Phase: inc.Phase,
				DeclaredBy: workflows.Actor{ID: inc.DeclaredBy}, DeclaredAt: inc.DeclaredAt, Archived: true,
				Facts: map[string]any{}, Tasks: []workflows.TaskState{}, Gates: []workflows.GateState{},
				Roles: []workflows.RoleAssignment{}, Clocks: []workflows.ClockState{},
			}, nil
		}
	}
	return st, err
}

// query asks the incident's workflow for its state.
func (s *Service) query(ctx context.Context, id string) (*workflows.IncidentState, error) {
	if s.TemporalDown() {
		return nil, s.temporalError(id, errTemporalDown)
	}
	resp, err := s.Temporal.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryState)
	if err != nil {
		return nil, s.temporalError(id, err)
	}
	var st workflows.IncidentState
	if err := resp.Get(&st); err != nil {
		return nil, fmt.Errorf("decode state of %s: %w", id, err)
	}
	s.summaries.put(id, st.Summary)
	return &st, nil
}

// Act applies one action as a Temporal Update and returns the new state. The
// workflow's validator has the last word; a rejection comes back as Invalid
// with its message.
func (s *Service) Act(ctx context.Context, actor workflows.Actor, id string, a workflows.Action) (*workflows.IncidentState, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	if !slices.Contains(workflows.ActionTypes, a.Type) {
		return nil, apperr.New(apperr.Invalid, "unknown action type %q; use one of %s", a.Type, strings.Join(workflows.ActionTypes, ", "))
	}
	a.Actor = actor
	a.AssigneeRoles = nil
	if a.Type == workflows.ActionAssignRole && s.RolesOf != nil {
		a.AssigneeRoles = s.RolesOf(a.User)
	}
	// The action's defaults, limits and stateless rules (its entry in the
	// workflows' action table); the Update validator checks the rest.
	if err := workflows.CheckRequest(&a, s.now()); err != nil {
		return nil, s.refuse(ctx, id, actor, a, apperr.New(apperr.Invalid, "%s", err.Error()))
	}
	var ans actionAnswer
	if err := s.update(ctx, workflows.IncidentWorkflowID(id), a.RequestID, a.Type, a, &ans); err != nil {
		return nil, s.refuse(ctx, id, actor, a, s.updateError(id, err))
	}
	return s.stateAfter(ctx, id, ans), nil
}

// actionAnswer is an incident Update's result in either shape: an
// ActionResult (its outcome, workflows.payloadRefsChange), or the whole
// state without the summary, from runs started before it.
type actionAnswer struct {
	workflows.IncidentState
	Outcome *workflows.ActionOutcome `json:"outcome"`
}

// stateAfter is the incident's state after an accepted action, to answer
// with. Every Update result stays in the workflow history, so the result
// is kept small: the state comes from the store's snapshot that the
// action's records wrote (with the summary from memory or the
// declaration), or else from a Query, which leaves nothing in the
// history. An old run's result is the state itself, less the summary.
func (s *Service) stateAfter(ctx context.Context, id string, ans actionAnswer) *workflows.IncidentState {
	if ans.Outcome == nil {
		st := ans.IncidentState
		if sum, ok := s.summaries.get(id); ok {
			st.Summary = sum
			return &st
		}
		if full, err := s.query(ctx, id); err == nil {
			return full
		}
		return &st
	}
	// A snapshot older than the action's last record (written by a later
	// record that has not landed yet, or withheld by the store) does not
	// show it: the Query does.
	if st, ok, err := s.snapshotState(ctx, id, ans.Outcome.Events); err == nil && ok {
		return st
	}
	if full, err := s.query(ctx, id); err == nil {
		return full
	}
	// Accepted and recorded, but the workflow does not answer now: the
	// newest state the store has.
	if st, ok, err := s.snapshotState(ctx, id, 0); err == nil && ok {
		return st
	}
	return &workflows.IncidentState{ID: id, Events: ans.Outcome.Events}
}

// refuse records a rule refusal (a role, a validator, a limit) on the
// incident's timeline as one action.denied event, whatever the surface, and
// returns err. Outages and unknown incidents are not refusals.
func (s *Service) refuse(ctx context.Context, id string, actor workflows.Actor, a workflows.Action, err error) error {
	return s.refuseWith(ctx, id, actor, a, err, apperr.MessageOf(err))
}

// refuseWith is refuse with the reason the timeline keeps given.
func (s *Service) refuseWith(ctx context.Context, id string, actor workflows.Actor, a workflows.Action, err error, reason string) error {
	switch apperr.CodeOf(err) {
	case apperr.Forbidden, apperr.Invalid:
	default:
		return err
	}
	_ = s.RecordDenial(ctx, id, actor, a, reason)
	return err
}

// update sends one Update, waits for its result within UpdateTimeout, and
// decodes it into out. Callers map errors for their workflow kind.
func (s *Service) update(ctx context.Context, workflowID, updateID, name string, arg, out any) error {
	if s.TemporalDown() {
		return errTemporalDown
	}
	timeout := s.UpdateTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	uctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	release, err := s.gate.enter(uctx, workflowID, s.UpdatesInFlight)
	if err != nil {
		if uctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return fmt.Errorf("%w: waiting for a place among the Updates in flight on %s", context.DeadlineExceeded, workflowID)
		}
		return err
	}
	defer release()
	h, err := s.Temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		UpdateID:     updateID,
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(uctx, out)
	}
	if err != nil && uctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		// Our own bound ran out, whatever shape the client gave the error
		// (a gRPC status, a wrapped cancel): the person sees a timeout.
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// Timeline returns an incident's timeline from the store.
func (s *Service) Timeline(ctx context.Context, actor workflows.Actor, id string) ([]store.Event, error) {
	if err := s.known(ctx, actor, id); err != nil {
		return nil, err
	}
	return s.Store.Events(ctx, id)
}

// Verify checks an incident's hash chain.
func (s *Service) Verify(ctx context.Context, actor workflows.Actor, id string) (store.VerifyResult, error) {
	if err := s.known(ctx, actor, id); err != nil {
		return store.VerifyResult{}, err
	}
	return s.Store.Verify(ctx, id)
}

// Register returns every notice and decision not to notify. It is for the
// people accountable for notifications.
func (s *Service) Register(ctx context.Context, actor workflows.Actor) ([]store.RegisterEntry, error) {
	if err := s.MayReadRegisters(actor); err != nil {
		return nil, err
	}
	return s.Store.ListRegister(ctx)
}

func (s *Service) known(ctx context.Context, actor workflows.Actor, id string) error {
	if err := needAnyRole(actor); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	if id == InstallationChain {
		// The installation's chain is the record's: its readers read it,
		// and a refusal goes on that chain like any record refusal.
		return s.mayOnRecord(ctx, actor, policy.ReadCheckpoints, "the installation's chain")
	}
	if _, err := s.Store.GetIncident(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apperr.New(apperr.NotFound, "no incident %s", id)
		}
		return err
	}
	return nil
}

func needAnyRole(a workflows.Actor) error {
	if a.ID == "" {
		return apperr.New(apperr.Unauthorized, "not signed in")
	}
	if len(a.Roles) == 0 {
		return apperr.New(apperr.Forbidden, "%s has no role in irbot; ask an admin to add you to the users file", a.ID)
	}
	return nil
}

func hasRole(a workflows.Actor, roles ...string) bool {
	return policy.HoldsAny(a.Roles, roles)
}

// checkID refuses anything that cannot be an incident ID before it reaches
// Temporal or the store: IDs irbot hands out are short ASCII (INC-2026-0001).
func checkID(id string) error {
	if !validID(id, 64) {
		return apperr.New(apperr.NotFound, "no incident %q", ClipValue(id))
	}
	return nil
}

// validID reports whether id is 1 to max characters of ASCII letters,
// digits, '-', '_' and '.', starting with a letter or digit.
func validID(id string, max int) bool {
	if id == "" || len(id) > max {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '-' || c == '_' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// checkDeclare bounds every field of a declare (limits in workflows/limits.go).
func checkDeclare(req DeclareRequest) error {
	check := func(err error) error {
		if err != nil {
			return apperr.New(apperr.Invalid, "%s", err.Error())
		}
		return nil
	}
	for _, l := range []struct {
		field, v string
		max      int
	}{
		{"title", req.Title, workflows.MaxTitle}, {"severity", req.Severity, workflows.MaxName},
		{"mode", req.Mode, workflows.MaxName}, {"playbook", req.Playbook, workflows.MaxName},
		{"commander", req.Commander, workflows.MaxName}, {"request_key", req.RequestKey, workflows.MaxRequestID},
	} {
		if err := check(workflows.CheckLine(l.field, l.v, l.max)); err != nil {
			return err
		}
	}
	if err := check(workflows.CheckText("summary", req.Summary, workflows.MaxSummary)); err != nil {
		return err
	}
	if len(req.Regimes) > workflows.MaxRegimes {
		return apperr.New(apperr.Invalid, "regimes is limited to %d entries (got %d)", workflows.MaxRegimes, len(req.Regimes))
	}
	for i, r := range req.Regimes {
		if err := check(workflows.CheckLine(fmt.Sprintf("regimes[%d]", i), r, workflows.MaxName)); err != nil {
			return err
		}
	}
	if len(req.Facts) > workflows.MaxFacts {
		return apperr.New(apperr.Invalid, "facts is limited to %d entries (got %d)", workflows.MaxFacts, len(req.Facts))
	}
	for _, name := range deadline.SortedKeys(req.Facts) {
		if err := check(workflows.CheckFactValue(name, req.Facts[name])); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) temporalError(id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return apperr.New(apperr.NotFound, "no incident %s", id)
	}
	if out := temporalOutage(err); out != nil {
		return out
	}
	if errors.Is(err, context.Canceled) {
		return apperr.New(apperr.Unavailable, "the request was cancelled before the workflow engine answered; try again")
	}
	return fmt.Errorf("incident %s: %w", id, err)
}

// updateError maps an Update failure to what the person sees. A validator
// rejection is an application error whose message is the reason.
func (s *Service) updateError(id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) || strings.Contains(err.Error(), "workflow execution already completed") {
		// A completed workflow takes no Updates: the incident was closed.
		if _, ierr := s.Store.GetIncident(context.Background(), id); ierr == nil {
			if status := s.stoppedStatus(id); status != "" {
				// Not closed: its workflow failed or was ended by hand.
				// Saying "closed" hid a replica that could not open the
				// history's payloads (a key of its own) for a whole session.
				return fmt.Errorf("incident %s cannot take actions: its workflow is %s, not completed (the irbot logs and the Temporal history say why): %w", id, status, err)
			}
			return apperr.New(apperr.Conflict, "incident %s is closed; open a new incident for new work", id)
		}
		return apperr.New(apperr.NotFound, "no incident %s", id)
	}
	if out := temporalOutage(err); out != nil {
		return apperr.New(apperr.Unavailable, "incident %s: %s", id, out.Message)
	}
	var closed *serviceerror.WorkflowNotReady
	if errors.As(err, &closed) {
		return apperr.New(apperr.Unavailable, "incident %s is not ready yet; try again", id)
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == workflows.ErrTypeClosed {
		return apperr.New(apperr.Conflict, "%s", app.Message())
	}
	if errors.As(err, &app) && app.Type() == workflows.ErrTypeForbidden {
		return apperr.New(apperr.Forbidden, "%s", app.Message())
	}
	if reason, ok := applicationMessage(err); ok {
		return apperr.New(apperr.Invalid, "%s", reason)
	}
	return fmt.Errorf("update %s: %w", id, err)
}

// stoppedStatus names the status of an incident's workflow that ended
// without completing (failed, terminated, timed out, cancelled), or "" when
// it completed or cannot be asked.
func (s *Service) stoppedStatus(id string) string {
	if s.Temporal == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := s.Temporal.DescribeWorkflowExecution(ctx, workflows.IncidentWorkflowID(id), "")
	if err != nil {
		return ""
	}
	switch st := d.GetWorkflowExecutionInfo().GetStatus(); st {
	case enums.WORKFLOW_EXECUTION_STATUS_FAILED, enums.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, enums.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return strings.ToLower(strings.TrimPrefix(st.String(), "WORKFLOW_EXECUTION_STATUS_"))
	}
	return ""
}

// ParseAction decodes an action body from the API or CLI, naming what is wrong.
func ParseAction(body []byte) (workflows.Action, error) {
	// encoding/json would turn invalid UTF-8 into U+FFFD: text other than
	// what was sent.
	if !utf8.Valid(body) {
		return workflows.Action{}, apperr.New(apperr.Invalid, "the body is not valid UTF-8 text")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return workflows.Action{}, apperr.New(apperr.Invalid, "the body is not a JSON object: %v", apperr.JSONProblem(err))
	}
	var a workflows.Action
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return workflows.Action{}, apperr.New(apperr.Invalid, "bad action: %v", apperr.JSONProblem(err))
	}
	if a.Type == "" {
		return workflows.Action{}, apperr.New(apperr.Invalid, "the action needs a \"type\": one of %s", strings.Join(workflows.ActionTypes, ", "))
	}
	if !slices.Contains(workflows.ActionTypes, a.Type) {
		return workflows.Action{}, apperr.New(apperr.Invalid, "unknown action type %q; use one of %s", a.Type, strings.Join(workflows.ActionTypes, ", "))
	}
	if _, ok := raw["actor"]; ok {
		return workflows.Action{}, apperr.New(apperr.Invalid, "\"actor\" cannot be set: irbot takes it from your token")
	}
	if _, ok := raw["assignee_roles"]; ok {
		return workflows.Action{}, apperr.New(apperr.Invalid, "\"assignee_roles\" cannot be set: irbot takes them from the users file")
	}
	return a, nil
}

// applicationMessage returns the message of an Update validator's rejection
// or of a handler's application error.
func applicationMessage(err error) (string, bool) {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message(), true
	}
	return "", false
}

// OpenIncidents returns the live state of every open incident, for the
// digest. It is a system read: the digest activity has no person behind it.
func (s *Service) OpenIncidents(ctx context.Context) ([]workflows.IncidentState, error) {
	list, err := s.Store.ListIncidents(ctx)
	if err != nil {
		return nil, err
	}
	var out []workflows.IncidentState
	for _, inc := range list {
		if inc.Status == workflows.StatusClosed {
			continue
		}
		st, err := s.query(ctx, inc.ID)
		if err != nil {
			if apperr.CodeOf(err) == apperr.NotFound {
				continue
			}
			return nil, err
		}
		out = append(out, *st)
	}
	return out, nil
}

// IncidentByChannel returns the ID of the incident whose Slack channel is
// channelID, or "" when the channel is not an incident channel.
func (s *Service) IncidentByChannel(ctx context.Context, channelID string) (string, error) {
	inc, err := s.Store.IncidentByChannel(ctx, channelID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return inc.ID, nil
}

// RecordDenial puts a refused action on the incident's timeline: who tried
// what, from where, and why it was refused. Refusals leave no workflow
// history (validators reject before anything is written), so the timeline
// store records them directly, once per request.
func (s *Service) RecordDenial(ctx context.Context, incidentID string, actor workflows.Actor, a workflows.Action, reason string) error {
	if err := checkID(incidentID); err != nil {
		return err
	}
	if _, err := s.Store.GetIncident(ctx, incidentID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apperr.New(apperr.NotFound, "no incident %s", incidentID)
		}
		return err
	}
	data, err := json.Marshal(map[string]any{"action": shown(a.Type), "task": shown(a.Task), "gate": shown(a.Gate), "role": shown(a.Role),
		"reason": shownText(reason), "source": shown(a.Source)})
	if err != nil {
		return err
	}
	key := "denied:" + a.RequestID
	if a.RequestID == "" || workflows.CheckLine("request_id", a.RequestID, workflows.MaxRequestID) != nil {
		key = fmt.Sprintf("denied:%s:%s:%d", actor.ID, a.Type, s.now().UnixNano())
	}
	actorID := actor.ID
	if actorID == "" {
		actorID = "unknown"
	}
	_, _, err = s.Store.Append(ctx, store.Event{IncidentID: incidentID, Key: key, At: s.now().UTC(), Kind: "action.denied", Actor: actorID, Data: data})
	return err
}

// shown is a refused request's field as the timeline may keep it: a value
// that breaks the input limits (the reason for many refusals) is replaced by
// a placeholder, so recording the refusal can never fail on it.
func shown(v string) string {
	if workflows.CheckLine("", v, workflows.MaxName) != nil {
		return "(not shown: not valid text)"
	}
	return v
}

func shownText(v string) string {
	if workflows.CheckText("", v, workflows.MaxReason) != nil {
		return "(not shown: not valid text)"
	}
	return v
}
