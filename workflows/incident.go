package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/playbooks"
)

// IncidentWorkflow drives one incident through its pinned playbook: it holds
// the live state, validates every action as a Temporal Update, advances
// phases, runs a ClockWorkflow per open regulatory obligation, and appends
// every accepted change to the hash-chained timeline.
func IncidentWorkflow(ctx workflow.Context, in IncidentInput) (IncidentResult, error) {
	inc, err := newIncident(ctx, in)
	if err != nil {
		return IncidentResult{}, err
	}
	return inc.run(ctx)
}

// pendingRecord is a timeline entry waiting to be written.
type pendingRecord struct {
	index  int
	record Record
	// refused counts the store's permanent refusals of this record.
	refused int
	// single: a batch stopped at this record, which goes on its own.
	single bool
}

type incident struct {
	in       IncidentInput
	state    IncidentState
	pb       *playbooks.Playbook
	rules    *playbooks.RuleSet
	pending  []pendingRecord
	queued   int // records ever queued
	written  int // records ever written
	clocksUp bool
	// published is the record count the last Publish showed; the publisher
	// coroutine catches up whenever queued moves past it.
	published  int
	publishing bool
	// repost asks the publisher for one re-render with nothing new to show
	// (SignalSlackResume when publishing was not paused).
	repost bool
	// starting holds the keys of clocks whose ClockWorkflow is being started.
	starting map[string]bool
	// drillTime: a drill whose history counts met, late and overdue in
	// scenario time and passes pauses on to its clocks (drillTimeChange).
	drillTime bool
	// inbox are the signal channels whose coroutines change the state, and
	// busy counts those coroutines mid-way through a change: continue-as-new
	// waits until both are empty (quiet).
	inbox []workflow.ReceiveChannel
	busy  int
	// cadenceOn: this run nudges about status updates (statusCadenceChange);
	// cadenceGen moves whenever the next nudge may have moved.
	cadenceOn  bool
	cadenceGen int
	// refs: this run's Updates answer with their outcome and its card
	// publishes carry a reference to the store's snapshot, not the state
	// (payloadRefsChange).
	refs bool
}

// payloadRefsChange is the GetVersion change ID of small payloads: an
// Update answers with an ActionResult (the outcome) instead of the whole
// state, and the Publish activity is given a PublishRef to the store's
// snapshot instead of the state. Both stay in the history for the life of
// the run: on an incident with a 100 KB summary each one-line note added
// about 25 KB. Asked once per run, at its start, so a running incident
// keeps the old shapes until it continues as new.
const payloadRefsChange = "payload-refs"

// continueAsNewDrainChange is the GetVersion change ID of continuing as new
// only when quiet: before it, a signal taken in the last workflow task (a
// notice reporting it was sent) and its timeline entry could be lost.
const continueAsNewDrainChange = "continue-as-new-drain"

// quiet reports whether this run can hand over to the next one with nothing
// in flight: no Update, no unread or half-applied signal, no clock starting.
func (inc *incident) quiet(ctx workflow.Context) bool {
	if !workflow.AllHandlersFinished(ctx) || inc.busy > 0 || len(inc.starting) > 0 || len(inc.pending) > 0 {
		return false
	}
	for _, ch := range inc.inbox {
		if ch.Len() > 0 {
			return false
		}
	}
	return true
}

// maxRecentRequests bounds the request IDs kept for idempotency.
const maxRecentRequests = 200

func newIncident(ctx workflow.Context, in IncidentInput) (*incident, error) {
	inc := &incident{in: in, pb: &in.Playbook, rules: &in.Rules, starting: map[string]bool{}}
	if in.Mode == ModeDrill {
		inc.drillTime = workflow.GetVersion(ctx, drillTimeChange, workflow.DefaultVersion, 1) >= 1
	}
	if in.Resume != nil {
		inc.state = *in.Resume
		inc.queued, inc.written = inc.state.Events, inc.state.Events
		inc.published = inc.state.Events
		inc.clocksUp = true
		if workflow.GetVersion(ctx, continueAsNewDrainChange, workflow.DefaultVersion, 1) >= 1 {
			// A card update the last run had in flight or still owed is
			// shown once more, from the state carried over.
			inc.repost = true
		}
	} else {
		inc.state = InitialState(in)
		inc.recordEvent(ctx, "incident.declared", in.DeclaredBy.ID, map[string]any{
			"title":    in.Title,
			"summary":  in.Summary,
			"severity": in.Severity,
			"mode":     in.Mode,
			"regimes":  in.Regimes,
			"playbook": fmt.Sprintf("%s v%d", in.Playbook.ID, in.Playbook.Version),
			"facts":    in.Facts,
			// Who knew what when: the times the clocks start from, and who
			// stated them (the declarer, unless a fact says otherwise).
			"declared_at":   in.DeclaredAt.UTC().Format(time.RFC3339Nano),
			"aware_at":      inc.state.Facts["aware_at"],
			"discovered_at": inc.state.Facts["discovered_at"],
			"stated_by":     in.DeclaredBy,
			"defaulted":     inc.state.Defaulted,
		}, nil)
		if in.Commander != "" {
			inc.state.Roles = append(inc.state.Roles, RoleAssignment{Role: "commander", User: in.Commander, By: in.DeclaredBy.ID, At: in.DeclaredAt})
		}
		inc.advance(ctx)
		inc.state.PublicChannel = in.PublicChannel
	}
	inc.refs = workflow.GetVersion(ctx, payloadRefsChange, workflow.DefaultVersion, 1) >= 1
	workflow.Go(ctx, inc.publisher)
	if workflow.GetVersion(ctx, statusCadenceChange, workflow.DefaultVersion, 1) >= 1 {
		inc.cadenceOn = true
		inc.startCadence(ctx)
	}
	if inc.drillTime {
		workflow.Go(ctx, inc.drillPauses)
	}
	for _, name := range ActionTypes {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name, inc.handler(name), workflow.UpdateHandlerOptions{
			Validator: func(ctx workflow.Context, a Action) error { return inc.validateAt(workflow.Now(ctx), name, a) },
		}); err != nil {
			return nil, err
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (IncidentState, error) { return inc.state, nil }); err != nil {
		return nil, err
	}
	if err := inc.setupNotices(ctx); err != nil {
		return nil, err
	}
	return inc, nil
}

// InitialState is an incident's state before its first workflow task:
// the playbook's phases, tasks (those of the incident's regimes) and gates,
// and the facts known at declaration. Phase is set by the workflow.
func InitialState(in IncidentInput) IncidentState {
	st := IncidentState{
		ID: in.ID, Title: in.Title, Summary: in.Summary, Severity: in.Severity, Mode: in.Mode,
		Status: StatusOpen, Playbook: in.Playbook.ID, PlaybookVersion: in.Playbook.Version,
		DeclaredBy: in.DeclaredBy, DeclaredAt: in.DeclaredAt, Regimes: in.Regimes,
		Facts: map[string]any{}, Roles: []RoleAssignment{}, Clocks: []ClockState{}, Speed: in.Speed,
	}
	if in.AwareAt != nil {
		// Declaring is when the organisation knew: awareness (GDPR, NIS2)
		// and discovery (US state laws, HIPAA) both start then unless a
		// person records a different time with set_fact.
		st.Facts["aware_at"] = in.AwareAt.UTC().Format(time.RFC3339Nano)
		st.Facts["discovered_at"] = in.AwareAt.UTC().Format(time.RFC3339Nano)
		if in.AwareDefaulted {
			st.Defaulted = append(st.Defaulted, "aware_at")
		}
		if _, given := in.Facts["discovered_at"]; !given {
			st.Defaulted = append(st.Defaulted, "discovered_at")
		}
	}
	for _, name := range deadline.SortedKeys(in.Facts) {
		st.Facts[name] = in.Facts[name]
		if st.FactsBy == nil {
			st.FactsBy = map[string]FactSource{}
		}
		st.FactsBy[name] = FactSource{By: in.DeclaredBy, At: in.DeclaredAt}
	}
	for _, p := range in.Playbook.Phases {
		st.Phases = append(st.Phases, PhaseState{ID: p.ID, Title: p.Title, Status: "pending"})
	}
	for _, t := range in.Playbook.Tasks {
		if t.Regime != "" && !slices.Contains(in.Regimes, t.Regime) {
			continue
		}
		st.Tasks = append(st.Tasks, TaskState{ID: t.ID, Title: t.Title, Phase: t.Phase, Role: t.Role, Required: t.Required})
	}
	for _, g := range in.Playbook.Gates {
		st.Gates = append(st.Gates, GateState{ID: g.ID, Title: g.Title, Phase: g.Phase, Roles: g.Roles, TwoPerson: g.TwoPerson, Approvals: []Approval{}})
	}
	return st
}

func (inc *incident) run(ctx workflow.Context) (IncidentResult, error) {
	logger := workflow.GetLogger(ctx)
	for {
		if err := workflow.Await(ctx, func() bool {
			return len(inc.pending) > 0 || !inc.clocksUp || inc.state.Status == StatusClosed ||
				workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}); err != nil {
			return IncidentResult{}, err
		}
		if !inc.clocksUp {
			inc.clocksUp = true
			if auditRecord(ctx) {
				// Causes before consequences: the declaration and the clocks
				// it adds are on the timeline before any clock can fire.
				inc.addInitialClocks(ctx)
				if err := inc.flush(ctx); err != nil {
					return IncidentResult{}, err
				}
			}
			inc.syncClocks(ctx)
		}
		if err := inc.flush(ctx); err != nil {
			return IncidentResult{}, err
		}
		if inc.state.Status == StatusClosed && len(inc.pending) == 0 {
			if err := workflow.Await(ctx, func() bool {
				return workflow.AllHandlersFinished(ctx) && len(inc.pending) == 0
			}); err != nil {
				return IncidentResult{}, err
			}
			if err := inc.flush(ctx); err != nil {
				return IncidentResult{}, err
			}
			// Let the card show the closed incident; Slack being down must
			// not keep the incident open, so the wait is bounded.
			if _, err := workflow.AwaitWithTimeout(ctx, 5*time.Minute, func() bool {
				return (inc.published >= inc.queued || inc.state.SlackPaused != "") && !inc.publishing
			}); err != nil {
				return IncidentResult{}, err
			}
			logger.Info("incident closed", "incident", inc.state.ID)
			return IncidentResult{State: inc.state}, nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && len(inc.pending) == 0 {
			if workflow.GetVersion(ctx, continueAsNewDrainChange, workflow.DefaultVersion, 1) >= 1 {
				// Nothing may be left behind in this run: every Update
				// answered, every signal taken and its records written,
				// no clock half-started. Work that arrives meanwhile goes
				// round the loop and is flushed first.
				if err := workflow.Await(ctx, func() bool { return inc.quiet(ctx) || len(inc.pending) > 0 }); err != nil {
					return IncidentResult{}, err
				}
				if len(inc.pending) > 0 {
					continue
				}
			} else {
				if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
					return IncidentResult{}, err
				}
				if err := inc.flush(ctx); err != nil {
					return IncidentResult{}, err
				}
			}
			next := inc.in
			st := inc.state
			next.Resume = &st
			return IncidentResult{}, workflow.NewContinueAsNewError(ctx, IncidentWorkflowName, next)
		}
	}
}

// timelineBatchChange is the GetVersion change ID of writing several queued
// timeline records with one RecordBatch activity instead of one Record
// activity each: concurrent actions on one incident queued behind each
// other's activity round trips. It is a regular activity, scheduled by a
// committed workflow task, so its input (which record has which key) is in
// the history before anything is written. (A local activity did this once
// and was taken back: it wrote from a workflow task that could still fail,
// and the retried task could order the Updates differently under the same
// keys.) Asked only when more than one record waits, so one action at a
// time keeps its history shape.
const timelineBatchChange = "timeline-batch"

// maxRecordBatch and maxRecordBatchBytes bound one RecordBatch's input.
const (
	maxRecordBatch      = 32
	maxRecordBatchBytes = 256 << 10
)

// recordActivityOptions are the timeline writes' timeout and retries.
func recordActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// flush writes queued timeline records in order, so the hash chain follows
// the order in which the workflow accepted changes: several at a time when
// several wait (timelineBatchChange), else one at a time.
func (inc *incident) flush(ctx workflow.Context) error {
	actx := recordActivityOptions(ctx)
	for len(inc.pending) > 0 {
		if len(inc.pending) > 1 && !inc.pending[0].single &&
			workflow.GetVersion(ctx, timelineBatchChange, workflow.DefaultVersion, 1) >= 1 {
			if err := inc.writeBatch(actx); err != nil {
				return err
			}
			continue
		}
		p := inc.pending[0]
		if len(inc.pending) == 1 {
			// The last queued entry carries the state after it: the store's
			// snapshot. The input is encoded now, so later changes to the
			// state do not leak into it.
			st := inc.snapshotState()
			p.record.State = &st
		}
		if err := workflow.ExecuteActivity(actx, RecordActivityName, p.record).Get(ctx, nil); err != nil {
			var canceled *temporal.CanceledError
			if errors.As(err, &canceled) {
				return err
			}
			var app *temporal.ApplicationError
			if errors.As(err, &app) && app.Type() == ErrTypeInvalidRecord &&
				workflow.GetVersion(ctx, "withhold-invalid-record", workflow.DefaultVersion, 1) == 1 {
				// The store refuses this entry's text for good (it got past
				// the input checks): record that it was withheld, once, and
				// go on, rather than fail or wedge the incident.
				inc.pending[0].refused++
				if withheld(&inc.pending[0].record, inc.pending[0].refused, app.Message()) {
					continue
				}
				workflow.GetLogger(ctx).Error("timeline record dropped", "incident", inc.state.ID, "key", p.record.Event.Key, "error", err)
				inc.pending = inc.pending[1:]
				inc.written = p.index
				continue
			}
			// The store refused the record for good (a key conflict): keep the
			// incident alive and say so rather than lose the entry silently.
			workflow.GetLogger(ctx).Error("timeline record failed", "incident", inc.state.ID, "key", p.record.Event.Key, "error", err)
			return fmt.Errorf("timeline record %s for %s: %w", p.record.Event.Key, inc.state.ID, err)
		}
		inc.pending = inc.pending[1:]
		inc.written = p.index
	}
	return nil
}

// writeBatch writes the first queued records (at most maxRecordBatch, and
// maxRecordBatchBytes of event data) with one RecordBatch activity. Records
// are idempotent by key, so a retried batch rewrites nothing. A record the
// store refuses for good is left at the head, marked to go on its own
// through flush's one-record path (withheld, or the incident's error).
func (inc *incident) writeBatch(actx workflow.Context) error {
	n, size := 0, 0
	for n < len(inc.pending) && n < maxRecordBatch {
		size += len(inc.pending[n].record.Event.Data)
		if n > 0 && size > maxRecordBatchBytes {
			break
		}
		n++
	}
	batch := RecordBatch{Records: make([]Record, n)}
	for i := range batch.Records {
		batch.Records[i] = inc.pending[i].record
	}
	if n == len(inc.pending) {
		// As for one record: the last one queued carries the state after it.
		st := inc.snapshotState()
		batch.Records[n-1].State = &st
	}
	var res RecordBatchResult
	if err := workflow.ExecuteActivity(actx, RecordBatchActivityName, batch).Get(actx, &res); err != nil {
		var canceled *temporal.CanceledError
		if errors.As(err, &canceled) {
			return err
		}
		workflow.GetLogger(actx).Error("timeline batch failed", "incident", inc.state.ID, "key", batch.Records[0].Event.Key, "error", err)
		return fmt.Errorf("timeline records from %s for %s: %w", batch.Records[0].Event.Key, inc.state.ID, err)
	}
	written := min(max(res.Written, 0), n)
	if written > 0 {
		inc.written = inc.pending[written-1].index
		inc.pending = inc.pending[written:]
	}
	if (res.Refused != "" || written == 0) && len(inc.pending) > 0 {
		inc.pending[0].single = true
	}
	return nil
}

// publisher shows the incident where people work (the Slack channel and its
// card) whenever the state changed, off the main loop so that a slow or
// failing Slack never delays an Update's answer.
func (inc *incident) publisher(ctx workflow.Context) {
	pctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    2 * time.Minute,
			MaximumAttempts:    10,
		},
	})
	lastFailure := ""
	// Version 1: a failure is recorded once per (channel, Slack error code)
	// rather than once per distinct error text (which carried event IDs, so
	// every retry recorded again and re-published: an endless loop), and a
	// permanent one pauses publishing until SignalSlackResume.
	onceV := workflow.GetVersion(ctx, slackOnceChange, workflow.DefaultVersion, 1)
	if onceV >= 1 {
		workflow.Go(ctx, inc.slackResumes)
	}
	for {
		if err := workflow.Await(ctx, func() bool {
			if onceV >= 1 {
				return inc.state.SlackPaused == "" && (inc.written > inc.published || inc.repost)
			}
			return inc.written > inc.published
		}); err != nil {
			return
		}
		inc.repost = false
		want := inc.written
		inc.publishing = true
		var refs SlackRefs
		name, req := inc.publishRequest(want)
		err := workflow.ExecuteActivity(pctx, name, req).Get(ctx, &refs)
		inc.publishing = false
		inc.published = want
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if onceV >= 1 {
				inc.slackFailed(ctx, err)
				continue
			}
			// Reported once per distinct failure, on the timeline, so the
			// commander sees it and nothing loops on a dead channel.
			msg := err.Error()
			if msg != lastFailure {
				lastFailure = msg
				inc.recordEvent(ctx, "slack.failed", "irbot", map[string]any{"error": msg}, nil)
			}
			continue
		}
		lastFailure = ""
		if refs.ChannelID != "" && (inc.state.Slack == nil || inc.state.Slack.ChannelID != refs.ChannelID) {
			inc.state.Slack = &refs
			inc.recordEvent(ctx, "slack.channel", "irbot", map[string]any{"channel_id": refs.ChannelID, "channel_name": refs.ChannelName}, nil)
		} else if refs.CardTS != "" && inc.state.Slack != nil {
			inc.state.Slack.CardTS = refs.CardTS
		}
	}
}

// recordEvent queues a timeline entry (and an optional register entry) and
// returns its index, so an Update can wait until it is written.
func (inc *incident) recordEvent(ctx workflow.Context, kind, actor string, data map[string]any, reg *RegisterEntry) int {
	if data == nil {
		data = map[string]any{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte(`{}`)
	}
	inc.queued++
	inc.state.Events = inc.queued
	now := workflow.Now(ctx).UTC()
	rec := Record{
		Event: EventRecord{
			IncidentID: inc.state.ID,
			Key:        recordKey(inc.queued),
			At:         now,
			Kind:       kind,
			Actor:      actor,
			Data:       b,
		},
		Incident: IncidentIndex{
			ID: inc.state.ID, Title: inc.state.Title, Severity: inc.state.Severity, Mode: inc.state.Mode,
			Status: inc.state.Status, Phase: inc.state.Phase, DeclaredBy: inc.state.DeclaredBy.ID,
			DeclaredAt: inc.state.DeclaredAt, UpdatedAt: now, SlackChannel: inc.slackChannel(),
		},
		Register: reg,
	}
	inc.pending = append(inc.pending, pendingRecord{index: inc.queued, record: rec})
	return inc.queued
}

// recordKey is the timeline key of the workflow's n-th record.
func recordKey(n int) string { return fmt.Sprintf("wf-%06d", n) }

func (inc *incident) slackChannel() string {
	if inc.state.Slack == nil {
		return ""
	}
	return inc.state.Slack.ChannelID
}

// handler returns the Update handler for one action type.
func (inc *incident) handler(name string) func(ctx workflow.Context, a Action) (any, error) {
	return func(ctx workflow.Context, a Action) (any, error) {
		a.Type = name
		if a.RequestID != "" {
			if slices.Contains(inc.state.RecentRequests, a.RequestID) {
				// A repeat: already applied.
				if inc.refs {
					return ActionResult{Outcome: ActionOutcome{Events: inc.written, Repeat: true}}, nil
				}
				return inc.state, nil
			}
			inc.state.RecentRequests = append(inc.state.RecentRequests, a.RequestID)
			if len(inc.state.RecentRequests) > maxRecentRequests {
				inc.state.RecentRequests = inc.state.RecentRequests[len(inc.state.RecentRequests)-maxRecentRequests:]
			}
		}
		idx := inc.apply(ctx, a)
		inc.cadenceChanged(a, workflow.Now(ctx))
		inc.advance(ctx)
		need := idx
		if auditRecord(ctx) {
			// The change (a clock.changed) is written before any clock hears
			// of it, so a clock.overdue it causes never precedes it.
			inc.refreshIndex(idx)
			last := inc.queued
			if err := workflow.Await(ctx, func() bool { return inc.written >= last }); err != nil {
				return IncidentState{}, err
			}
			need = max(need, last)
		}
		inc.syncClocks(ctx)
		inc.refreshIndex(idx)
		if err := workflow.Await(ctx, func() bool { return inc.written >= idx }); err != nil {
			return IncidentState{}, err
		}
		if inc.refs {
			out := ActionOutcome{Events: need}
			if need > 0 {
				out.Key = recordKey(need)
			}
			return ActionResult{Outcome: out}, nil
		}
		return inc.updateResult(), nil
	}
}

// updateResult is the state an Update answers with. Every result is kept in
// the workflow history, so it leaves out the large free text (the summary,
// up to MaxSummary characters) that the declare already recorded; the
// incident service answers people with a Query, which history does not keep.
func (inc *incident) updateResult() IncidentState {
	st := inc.state
	st.Summary = ""
	return st
}

// Every activity input is kept in the workflow history, and the record and
// publish activities run on every change: with the whole summary (up to
// MaxSummary characters) in each, a one-line note on an incident with a
// large summary added hundreds of KB. They carry what they need instead.

// snapshotState is the state the store snapshots with a timeline entry:
// without the summary, which the declaration's entry already holds (the
// service puts it back when it reads an archived state).
func (inc *incident) snapshotState() IncidentState {
	st := inc.state
	st.Summary = ""
	return st
}

// PublishSummaryMax is as much of the summary as the card shows (a Block
// Kit section's text), the most the publish activity is given.
const PublishSummaryMax = 3000

// publishState is the state the card is drawn from, its summary cut to
// what the card can show.
func (inc *incident) publishState() IncidentState {
	st := inc.state
	st.Summary = CardSummary(st.Summary)
	return st
}

// CardSummary is as much of a summary as the card shows.
func CardSummary(s string) string {
	if utf8.RuneCountInString(s) > PublishSummaryMax {
		return string([]rune(s)[:PublishSummaryMax])
	}
	return s
}

// publishRequest is the publish activity and its input for a card that is
// due once written records are on the timeline: a reference to the store's
// snapshot (payloadRefsChange), else the state itself.
func (inc *incident) publishRequest(written int) (string, PublishRequest) {
	if !inc.refs {
		st := inc.publishState()
		return PublishActivityName, PublishRequest{State: &st}
	}
	ref := &PublishRef{IncidentID: inc.state.ID, Events: written}
	if inc.state.Slack != nil {
		s := *inc.state.Slack
		ref.Slack = &s
	}
	return PublishRefActivityName, PublishRequest{Ref: ref}
}

// refreshIndex makes the last queued record carry the incident summary as it
// is after the change (phase, status), so the list view stays current.
func (inc *incident) refreshIndex(idx int) {
	for i := range inc.pending {
		if inc.pending[i].index == idx {
			r := &inc.pending[i].record.Incident
			r.Status, r.Phase, r.Severity = inc.state.Status, inc.state.Phase, inc.state.Severity
		}
	}
}

func actorLabel(a Action) string {
	if a.Actor.ID == "" {
		return "system"
	}
	return a.Actor.ID
}

// apply changes the state for an accepted action and queues its timeline
// entries; it returns the index of the last entry queued.
func (inc *incident) apply(ctx workflow.Context, a Action) int {
	now := workflow.Now(ctx).UTC()
	if a.At != nil {
		now = a.At.UTC()
	}
	actor := actorLabel(a)
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		if a.Source != "" {
			m["source"] = a.Source
		}
		if a.Actor.Name != "" {
			m["actor_name"] = a.Actor.Name
		}
		// Who, and the roles the action was allowed under, as they were then.
		m["actor_roles"] = inc.effectiveRoles(a.Actor)
		if a.At != nil {
			// It happened in the world at another time (a pinned message):
			// that time beside the recording time.
			m["occurred_at"] = a.At.UTC().Format(time.RFC3339Nano)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	if act, ok := incidentActions[a.Type]; ok {
		return act.apply(inc, ctx, a, applied{now: now, actor: actor, with: with})
	}
	return inc.queued
}

// openDelay returns the open-ended delay on a regime or obligation, if any.
func (inc *incident) openDelay(regime, obligation string) *deadline.Delay {
	for i := range inc.state.Delays {
		d := &inc.state.Delays[i]
		if d.Regime == regime && d.Obligation == obligation && d.Until == nil {
			return d
		}
	}
	return nil
}

func (inc *incident) clock(regime, obligation string) *ClockState {
	for i := range inc.state.Clocks {
		if inc.state.Clocks[i].Regime == regime && inc.state.Clocks[i].Obligation == obligation {
			return &inc.state.Clocks[i]
		}
	}
	return nil
}

func (inc *incident) settleClock(ctx workflow.Context, c *ClockState, at time.Time) {
	if !c.Started {
		return
	}
	status := c.Status
	if status == ClockRunning || status == ClockOverdue {
		status = "closed"
	}
	// Not awaited: waiting would yield while c points into state another
	// handler may replace. A clock that already ended ignores the signal;
	// the state says settled either way.
	inc.signalClock(ctx, c.Key(), SignalClockSettle, ClockSettle{Status: status, At: at})
	c.Started = false
}

// signalClock sends a signal to a clock's workflow without waiting for it.
func (inc *incident) signalClock(ctx workflow.Context, key, name string, arg any) {
	regime, obligation, _ := strings.Cut(key, "/")
	workflow.SignalExternalWorkflow(ctx, ClockWorkflowID(inc.state.ID, regime, obligation), "", name, arg)
}

// reevaluate recomputes every obligation from the facts, records what
// changed, and returns the index of the last entry queued (0 if none).
func (inc *incident) reevaluate(ctx workflow.Context, actor, why string) int {
	f := deadlineFacts(inc.state.Facts, inc.state.Clocks, inc.state.Delays)
	obs, err := deadline.Evaluate(inc.rules, inc.state.Regimes, f)
	if err != nil {
		workflow.GetLogger(ctx).Error("evaluate obligations", "incident", inc.state.ID, "error", err)
		return 0
	}
	last := 0
	var next []ClockState
	for _, o := range obs {
		c := ClockState{
			Regime: o.Regime, Obligation: o.Obligation, Name: o.Name, Recipient: o.Recipient, Trigger: o.Trigger,
			DueAt: o.DueAt, Basis: o.Basis, Source: o.Source, Semantics: o.Semantics, WaitingFor: o.WaitingFor,
		}
		switch {
		case o.WaitingFor != "":
			c.Status = ClockWaiting
		case o.Paused:
			c.Status = ClockPaused
		case o.DueAt == nil:
			c.Status = ClockNoDeadline
		case inc.scenarioAt(workflow.Now(ctx)).After(*o.DueAt):
			c.Status = ClockOverdue
		default:
			c.Status = ClockRunning
		}
		if prev := inc.clock(o.Regime, o.Obligation); prev != nil {
			c.Started, c.Proposed = prev.Started, prev.Proposed
			if !prev.Open() {
				c.Status, c.SentAt, c.Reference, c.LateReason = prev.Status, prev.SentAt, prev.Reference, prev.LateReason
				c.MetBy, c.LateBy, c.SettledAt, c.DecidedBy = prev.MetBy, prev.LateBy, prev.SettledAt, prev.DecidedBy
			} else if !sameTime(prev.DueAt, c.DueAt) || prev.WaitingFor != c.WaitingFor {
				c.Moved = true
				last = inc.recordEvent(ctx, "clock.changed", actor, map[string]any{
					"regime": c.Regime, "obligation": c.Obligation, "why": why,
					"from": timeString(prev.DueAt), "to": timeString(c.DueAt), "waiting_for": c.WaitingFor,
				}, nil)
			}
		} else {
			last = inc.recordEvent(ctx, "clock.added", actor, map[string]any{
				"regime": c.Regime, "obligation": c.Obligation, "recipient": c.Recipient, "trigger": c.Trigger,
				"due_at": timeString(c.DueAt), "basis": c.Basis, "source": c.Source, "waiting_for": c.WaitingFor, "why": why,
			}, nil)
		}
		next = append(next, c)
	}
	// An obligation that no longer applies (a count corrected downwards) stays
	// visible if it was already settled; an open one ends with a record.
	for _, prev := range inc.state.Clocks {
		found := false
		for _, c := range next {
			if c.Key() == prev.Key() {
				found = true
				break
			}
		}
		if found {
			continue
		}
		if !prev.Open() {
			next = append(next, prev)
			continue
		}
		p := prev
		p.Status = "withdrawn"
		inc.settleClock(ctx, &p, workflow.Now(ctx))
		last = inc.recordEvent(ctx, "clock.withdrawn", actor, map[string]any{"regime": prev.Regime, "obligation": prev.Obligation, "why": why}, nil)
	}
	if next == nil {
		next = []ClockState{}
	}
	inc.state.Clocks = next
	return last
}

// addInitialClocks evaluates the obligations of a new incident once.
func (inc *incident) addInitialClocks(ctx workflow.Context) {
	if len(inc.state.Clocks) == 0 && len(inc.rules.Regimes) > 0 && inc.state.Status == StatusOpen {
		inc.reevaluate(ctx, "system", "incident declared")
	}
}

// auditRecordChange versions the audit-grade record: timeline
// writes before the clocks they affect, two-person decisions not to notify
// an authority, notice gates satisfied by the notice's approval.
const auditRecordChange = "audit-record"

// auditRecord reports whether this execution runs the audit-grade record;
// histories recorded before it replay the old behaviour.
func auditRecord(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, auditRecordChange, workflow.DefaultVersion, 1) >= 1
}

// syncClocks starts a ClockWorkflow for every open clock with a due time and
// moves running ones whose due time changed.
func (inc *incident) syncClocks(ctx workflow.Context) {
	inc.addInitialClocks(ctx)
	if inc.state.Status != StatusOpen {
		return
	}
	keys := make([]string, 0, len(inc.state.Clocks))
	for _, c := range inc.state.Clocks {
		keys = append(keys, c.Key())
	}
	// Starting a child yields; the clocks may change meanwhile, so each
	// clock is looked up again by its key.
	for _, key := range keys {
		regime, obligation, _ := strings.Cut(key, "/")
		c := inc.clock(regime, obligation)
		if c == nil || inc.starting[key] {
			continue
		}
		if c.Started && c.Open() && (c.DueAt == nil || c.Status == ClockWaiting || c.Status == ClockPaused) {
			// Paused by a delay (or waiting again): its reminders stop; a new
			// ClockWorkflow starts when the clock runs again.
			inc.signalClock(ctx, key, SignalClockSettle, ClockSettle{Status: ClockPaused, At: workflow.Now(ctx)})
			c.Started = false
			continue
		}
		if !c.Open() || c.DueAt == nil || c.Status == ClockWaiting || c.Status == ClockPaused {
			continue
		}
		if c.Started {
			if c.Moved {
				c.Moved = false
				inc.signalClock(ctx, key, SignalClockReschedule, ClockReschedule{DueAt: *c.DueAt, Reason: "facts changed"})
			}
			continue
		}
		inc.starting[key] = true
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            ClockWorkflowID(inc.state.ID, regime, obligation),
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		})
		fut := workflow.ExecuteChildWorkflow(cctx, ClockWorkflowName, ClockInput{
			IncidentID: inc.state.ID, Title: inc.state.Title, Mode: inc.state.Mode, Regime: c.Regime, Obligation: c.Obligation,
			Name: c.Name, Recipient: c.Recipient, DueAt: *c.DueAt, Semantics: c.Semantics, Policy: inc.pb.Clocks,
			Speed: inc.in.Speed, Origin: inc.state.DeclaredAt, DrillPause: inc.state.DrillPause,
		})
		err := fut.GetChildWorkflowExecution().Get(ctx, nil)
		delete(inc.starting, key)
		if err != nil {
			workflow.GetLogger(ctx).Error("start clock", "clock", key, "error", err)
			continue
		}
		if now := inc.clock(regime, obligation); now != nil {
			now.Started = true
			if !now.Open() || (now.DueAt != nil && !now.DueAt.Equal(*c.DueAt)) {
				// Settled or moved while it started: tell it now.
				inc.syncStarted(ctx, now)
			}
		}
	}
}

// syncStarted brings a just-started clock up to date with the state.
func (inc *incident) syncStarted(ctx workflow.Context, c *ClockState) {
	if !c.Open() {
		inc.signalClock(ctx, c.Key(), SignalClockSettle, ClockSettle{Status: c.Status, At: workflow.Now(ctx)})
		return
	}
	inc.signalClock(ctx, c.Key(), SignalClockReschedule, ClockReschedule{DueAt: *c.DueAt, Reason: "facts changed"})
}

// advance marks phases done while their required tasks and gates are, and
// points the incident at the first phase with work left.
func (inc *incident) advance(ctx workflow.Context) {
	if inc.state.Status != StatusOpen {
		inc.state.NextAction = ""
		return
	}
	old := inc.state.Phase
	current := ""
	for i := range inc.state.Phases {
		p := &inc.state.Phases[i]
		if current != "" {
			p.Status = "pending"
			continue
		}
		if inc.phaseComplete(p.ID) {
			p.Status = "done"
			continue
		}
		p.Status = "active"
		current = p.ID
	}
	if current == "" && len(inc.state.Phases) > 0 {
		current = "complete"
	}
	inc.state.Phase = current
	inc.state.NextAction = inc.nextAction()
	if old != current && old != "" {
		inc.recordEvent(ctx, "phase.changed", "system", map[string]any{"from": old, "to": current}, nil)
	}
}

func (inc *incident) phaseComplete(phase string) bool {
	for _, t := range inc.state.Tasks {
		if t.Phase == phase && t.Required && !t.Done {
			return false
		}
	}
	for _, g := range inc.state.Gates {
		if g.Phase == phase && !g.Approved {
			return false
		}
	}
	return true
}

func (inc *incident) nextAction() string {
	if inc.state.Phase == "complete" {
		if open := inc.openClocks(); len(open) > 0 {
			return "record the notification or a decision not to notify for " + strings.Join(open, ", ")
		}
		return "every phase is done: close the incident"
	}
	for _, t := range inc.state.Tasks {
		if t.Phase == inc.state.Phase && t.Required && !t.Done {
			return fmt.Sprintf("%s: %s (%s)", t.ID, t.Title, t.Role)
		}
	}
	for _, g := range inc.state.Gates {
		if g.Phase == inc.state.Phase && !g.Approved {
			return fmt.Sprintf("approve %s: %s (%s)", g.ID, g.Title, strings.Join(g.Roles, " or "))
		}
	}
	return ""
}

func (inc *incident) openClocks() []string {
	var open []string
	for _, c := range inc.state.Clocks {
		if c.Open() && c.Status != ClockWaiting && c.Status != ClockNoDeadline {
			open = append(open, c.Key())
		}
	}
	return open
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func timeString(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(time.RFC3339)
}

// ErrTypeInvalidRecord marks a timeline record the store refuses for good.
const ErrTypeInvalidRecord = "InvalidRecord"

// withheld makes a record the store refused storable, in two steps: first
// the incident index fields (a title the list cannot hold), keeping the
// entry; then the entry itself, replaced by a note that it was withheld and
// why, under its own key. It reports false when nothing is left to try.
func withheld(r *Record, refused int, reason string) bool {
	switch refused {
	case 1:
		i := &r.Incident
		for _, f := range []*string{&i.Title, &i.Severity, &i.Mode, &i.Status, &i.Phase, &i.DeclaredBy, &i.SlackChannel} {
			if CheckLine("", *f, MaxTitle) != nil {
				*f = "(withheld: not valid text)"
			}
		}
		return true
	case 2:
		b, err := json.Marshal(map[string]any{"kind": r.Event.Kind, "reason": "the entry could not be stored: " + reason})
		if err != nil {
			return false
		}
		r.Event.Key += "/withheld"
		r.Event.Kind, r.Event.Data = "record.withheld", b
		if CheckLine("", r.Event.Actor, MaxName) != nil {
			r.Event.Actor = "irbot"
		}
		return true
	}
	return false
}
