// Package activities holds irbot's side effects as Temporal activities:
// timeline and register writes, clock alerts, and (as they arrive) Slack and
// email. Activities run at least once, so every one is idempotent by a
// business key the workflow chose.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// Timeline is the part of the store the activities write to, and read the
// incident from when the workflow names its snapshot (PublishRef).
type Timeline interface {
	Append(ctx context.Context, e store.Event) (store.Event, bool, error)
	AppendRecord(ctx context.Context, w store.RecordWrite) (store.Event, bool, error)
	LatestSnapshot(ctx context.Context, incidentID string) (store.Snapshot, error)
	DeclaredSummary(ctx context.Context, incidentID string) (string, error)
}

// Alerter tells people about a clock (Slack, email). Nil means nobody is told
// beyond the timeline.
type Alerter interface {
	ClockAlert(ctx context.Context, a workflows.ClockAlert) error
}

// Publisher shows an incident where people work: it creates the incident's
// Slack channel on first call and re-renders its card after. Nil means
// Slack is off.
type Publisher interface {
	Publish(ctx context.Context, in workflows.PublishInput) (workflows.SlackRefs, error)
}

// Nudger reminds people of an incident's status updates (Slack). Nil means
// the nudge is only on the timeline.
type Nudger interface {
	Nudge(ctx context.Context, n workflows.Nudge) error
}

// Activities are irbot's activities; the fields are their dependencies.
type Activities struct {
	Store     Timeline
	Alerter   Alerter
	Publisher Publisher
	Nudger    Nudger
	Logger    *slog.Logger
	// Mailer delivers notices (nil: email is off, a notice fails and a
	// person is asked). DrillSink receives every drill message instead of
	// its recipients ("" : drill mail is only recorded). Campaigns keeps
	// customer campaigns' recipients. See notice.go.
	Mailer    Sender
	DrillSink string
	// People gives the email addresses of role holders for clock
	// escalations by email (nil: no alert email).
	People    People
	Campaigns store.CampaignStore
	// Notices keeps the exact bytes of every notice attempt and gives the
	// installation ID that Message-IDs carry (nil: nothing kept, ids
	// without it; tests only).
	Notices store.NoticeStore
}

// Register registers every activity under its history name.
func (a *Activities) Register(w worker.Registry) {
	w.RegisterActivityWithOptions(a.Record, activity.RegisterOptions{Name: workflows.RecordActivityName})
	w.RegisterActivityWithOptions(a.RecordBatch, activity.RegisterOptions{Name: workflows.RecordBatchActivityName})
	w.RegisterActivityWithOptions(a.ClockAlert, activity.RegisterOptions{Name: workflows.ClockAlertActivityName})
	w.RegisterActivityWithOptions(a.Publish, activity.RegisterOptions{Name: workflows.PublishActivityName})
	w.RegisterActivityWithOptions(a.Publish, activity.RegisterOptions{Name: workflows.PublishRefActivityName})
	w.RegisterActivityWithOptions(a.Nudge, activity.RegisterOptions{Name: workflows.NudgeActivityName})
	a.registerNotices(w)
}

// Publish shows the incident in Slack when Slack is configured; without it
// there is nothing to show and nothing fails. The workflow gives the state
// (runs before workflows.PublishRef) or a reference to the store's
// snapshot, which is read here.
func (a *Activities) Publish(ctx context.Context, in workflows.PublishRequest) (workflows.SlackRefs, error) {
	if a.Publisher == nil {
		switch {
		case in.Ref != nil && in.Ref.Slack != nil:
			return *in.Ref.Slack, nil
		case in.State != nil && in.State.Slack != nil:
			return *in.State.Slack, nil
		}
		return workflows.SlackRefs{}, nil
	}
	if in.Ref == nil {
		if in.State == nil {
			return workflows.SlackRefs{}, temporal.NewNonRetryableApplicationError("publish: neither a state nor a reference", "InvalidPublish", nil)
		}
		return a.Publisher.Publish(ctx, workflows.PublishInput{State: *in.State})
	}
	st, err := a.publishedState(ctx, *in.Ref)
	if err != nil {
		return workflows.SlackRefs{}, err
	}
	return a.Publisher.Publish(ctx, workflows.PublishInput{State: st})
}

// publishedState is the state a card is drawn from for ref: the store's
// latest snapshot (at least as new as the record that made the card due,
// unless the store withheld that one; the next record brings a newer one),
// its summary cut as the workflow cut it, and where the card is as the
// workflow knows it now.
func (a *Activities) publishedState(ctx context.Context, ref workflows.PublishRef) (workflows.IncidentState, error) {
	var st workflows.IncidentState
	sn, err := a.Store.LatestSnapshot(ctx, ref.IncidentID)
	if err != nil {
		// Not written yet or the store is down: retried.
		return st, fmt.Errorf("publish %s: %w", ref.IncidentID, err)
	}
	if err := json.Unmarshal(sn.State, &st); err != nil {
		return st, temporal.NewNonRetryableApplicationError(fmt.Sprintf("publish %s: snapshot: %v", ref.IncidentID, err), "InvalidPublish", err)
	}
	if st.Events < ref.Events {
		a.logger().Debug("card drawn from an older snapshot", "incident", ref.IncidentID, "snapshot_events", st.Events, "due_events", ref.Events)
	}
	if st.Summary, err = a.Store.DeclaredSummary(ctx, ref.IncidentID); err != nil {
		return st, fmt.Errorf("publish %s: %w", ref.IncidentID, err)
	}
	st.Summary = workflows.CardSummary(st.Summary)
	if ref.Slack != nil {
		s := *ref.Slack
		st.Slack = &s
	}
	return st, nil
}

// Nudge tells the commander (or the channel) about a status update that is
// overdue, or an incident without a commander or severity; the workflow
// has already put it on the timeline.
func (a *Activities) Nudge(ctx context.Context, n workflows.Nudge) error {
	if a.Nudger == nil {
		a.logger().Info("incident nudge", "incident", n.IncidentID, "kind", n.Kind)
		return nil
	}
	return a.Nudger.Nudge(ctx, n)
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// Record appends one timeline entry, updates the incident index and, when
// given, the register. A retry finds the entry by its key and does not add a
// second one. It answers with where the entry landed, not the entry: the
// answer stays in the workflow's history, which reads nothing from it.
func (a *Activities) Record(ctx context.Context, r workflows.Record) (workflows.RecordResult, error) {
	ev, err := a.record(ctx, r)
	if err != nil {
		return workflows.RecordResult{}, err
	}
	return workflows.RecordResult{Seq: ev.Seq, Hash: ev.Hash}, nil
}

// record is Record's write; it returns the entry as stored.
func (a *Activities) record(ctx context.Context, r workflows.Record) (store.Event, error) {
	e := r.Event
	data := e.Data
	// The entry vouches for the register row and the snapshot written with
	// it: their hashes go into its data, so verify catches an edit of either.
	var reg *store.RegisterEntry
	if g := r.Register; g != nil {
		reg = &store.RegisterEntry{
			ID: g.ID, IncidentID: g.IncidentID, Kind: g.Kind, Regime: g.Regime, Obligation: g.Obligation,
			Recipient: g.Recipient, Status: g.Status, DueAt: g.DueAt, SentAt: g.SentAt, OnTime: g.OnTime,
			LateReason: g.LateReason, Reference: g.Reference, DecidedBy: g.DecidedBy, Rationale: g.Rationale,
			RecordedAt: g.RecordedAt, To: g.To, MessageID: g.MessageID, ContentHash: g.ContentHash, Language: g.Language,
		}
		data = withDataKey(data, store.RegisterKey, map[string]string{"id": reg.ID, "sha256": store.RegisterHash(*reg)})
	}
	var snapState, snapDigest []byte
	if r.State != nil {
		raw, err := json.Marshal(r.State)
		if err != nil {
			return store.Event{}, fmt.Errorf("snapshot of %s: %w", e.IncidentID, err)
		}
		if st, dg, sum, err := store.SnapshotDigest(raw); err != nil {
			// Text the store refuses: the entry itself still goes on the
			// timeline (it was checked on its own); the next one snapshots.
			a.logger().Warn("snapshot withheld", "incident", e.IncidentID, "key", e.Key, "err", err)
		} else {
			snapState, snapDigest = st, dg
			data = withDataKey(data, store.SnapshotKey, sum)
		}
	}
	// One transaction: the entry, the index row, the register row and the
	// snapshot it vouches for land together (one commit, not four).
	i := r.Incident
	ev, _, err := a.Store.AppendRecord(ctx, store.RecordWrite{
		Event: store.Event{IncidentID: e.IncidentID, Key: e.Key, At: e.At, Kind: e.Kind, Actor: e.Actor, Data: data},
		Incident: &store.Incident{
			ID: i.ID, Title: i.Title, Severity: i.Severity, Mode: i.Mode, Status: i.Status, Phase: i.Phase,
			DeclaredBy: i.DeclaredBy, WorkflowID: workflows.IncidentWorkflowID(i.ID), DeclaredAt: i.DeclaredAt, UpdatedAt: i.UpdatedAt,
			SlackChannel: i.SlackChannel,
		},
		Register: reg,
		State:    snapState, Digest: snapDigest,
	})
	if err != nil {
		if errors.Is(err, store.ErrKeyConflict) {
			return store.Event{}, temporal.NewNonRetryableApplicationError(err.Error(), "KeyConflict", err)
		}
		if errors.Is(err, store.ErrInvalid) {
			// The store will refuse this entry on every attempt: retrying
			// forever would wedge the incident behind it.
			return store.Event{}, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrTypeInvalidRecord, err)
		}
		return store.Event{}, fmt.Errorf("append %s to %s: %w", e.Key, e.IncidentID, err)
	}
	return ev, nil
}

// RecordBatch writes consecutive timeline records in their order, each as
// Record does. It stops at the first record the store refuses for good and
// says how many went in before it and why, so the workflow can deal with
// that one alone; any other failure fails the batch, whose retry finds the
// records already written by their keys.
func (a *Activities) RecordBatch(ctx context.Context, b workflows.RecordBatch) (workflows.RecordBatchResult, error) {
	for i, r := range b.Records {
		if _, err := a.record(ctx, r); err != nil {
			var app *temporal.ApplicationError
			if errors.As(err, &app) && app.NonRetryable() {
				return workflows.RecordBatchResult{Written: i, Refused: app.Type()}, nil
			}
			return workflows.RecordBatchResult{}, err
		}
	}
	return workflows.RecordBatchResult{Written: len(b.Records)}, nil
}

// withDataKey returns the event data object with key set to v. Data that is
// not an object is returned as is (the store refuses it).
func withDataKey(data json.RawMessage, key string, v any) json.RawMessage {
	m := map[string]json.RawMessage{}
	if len(data) > 0 && json.Unmarshal(data, &m) != nil {
		return data
	}
	b, err := json.Marshal(v)
	if err != nil {
		return data
	}
	m[key] = b
	out, err := json.Marshal(m)
	if err != nil {
		return data
	}
	return out
}

// ClockAlert records a reminder or escalation on the timeline, then tells
// people. The timeline entry comes first so that an alert that cannot be
// delivered is still on record.
func (a *Activities) ClockAlert(ctx context.Context, al workflows.ClockAlert) error {
	fields := map[string]any{
		"regime": al.Regime, "obligation": al.Obligation, "due_at": al.DueAt.UTC().Format(time.RFC3339),
		"left": al.Left, "offset": al.Offset, "notify": al.Notify,
	}
	if al.LateBy > 0 {
		// Fired late (every worker, or the server, was down at its time):
		// the entry says by how much.
		fields["late_by_seconds"] = int64(al.LateBy / time.Second)
	}
	data, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	if _, _, err := a.Store.Append(ctx, store.Event{
		IncidentID: al.IncidentID, Key: al.Key, At: al.At, Kind: al.Kind, Actor: "irbot", Data: data,
	}); err != nil && !errors.Is(err, store.ErrKeyConflict) {
		return fmt.Errorf("record %s for %s: %w", al.Kind, al.IncidentID, err)
	}
	if err := a.clockEmail(ctx, al); err != nil {
		return err
	}
	if a.Alerter == nil {
		a.logger().Info("clock alert", "incident", al.IncidentID, "kind", al.Kind, "regime", al.Regime, "obligation", al.Obligation, "left", al.Left)
		return nil
	}
	return a.Alerter.ClockAlert(ctx, al)
}
