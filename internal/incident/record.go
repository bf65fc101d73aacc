package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

// Record is the store as system of record: what the service reads when the
// incident's workflow is gone (history past retention, deleted).
type Record interface {
	LatestSnapshot(ctx context.Context, incidentID string) (store.Snapshot, error)
	DeclaredSummary(ctx context.Context, incidentID string) (string, error)
	NoticeMessage(ctx context.Context, incidentID, noticeID string) (store.NoticeMessage, error)
	NoticeMessages(ctx context.Context, incidentID string) ([]store.NoticeMessage, error)
}

var _ Record = (store.Store)(nil)

// NoticeMessage returns the exact email sent for a notice (RFC 5322 bytes),
// with its Message-ID, hashes and every delivery attempt, from the store.
func (s *Service) NoticeMessage(ctx context.Context, actor workflows.Actor, id, noticeID string) (store.NoticeMessage, error) {
	if err := s.known(ctx, actor, id); err != nil {
		return store.NoticeMessage{}, err
	}
	if err := checkNoticeID(noticeID); err != nil {
		return store.NoticeMessage{}, err
	}
	if s.Record == nil {
		return store.NoticeMessage{}, apperr.New(apperr.Unavailable, "the notice archive is not available")
	}
	m, err := s.Record.NoticeMessage(ctx, id, noticeID)
	if errors.Is(err, store.ErrNotFound) {
		return store.NoticeMessage{}, apperr.New(apperr.NotFound, "no message kept for notice %s of %s: it was not sent by email from this installation", noticeID, id)
	}
	return m, err
}

// archivedState is the incident's state from its latest snapshot, for when
// the workflow is gone. ok is false when no snapshot was kept (an incident
// recorded before snapshots existed).
func (s *Service) archivedState(ctx context.Context, id string) (*workflows.IncidentState, bool, error) {
	st, ok, err := s.snapshotState(ctx, id, 0)
	if err != nil || !ok {
		return nil, ok, err
	}
	st.Archived = true
	return st, true, nil
}

// snapshotState is the incident's state from the store's latest snapshot,
// if it holds at least events records (0: any), with the summary put back:
// snapshots leave it out (it would be copied into every one), and it is in
// the declaration, the incident's first entry. ok is false when there is
// no such snapshot.
func (s *Service) snapshotState(ctx context.Context, id string, events int) (*workflows.IncidentState, bool, error) {
	if s.Record == nil {
		return nil, false, nil
	}
	sn, err := s.Record.LatestSnapshot(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var st workflows.IncidentState
	if err := json.Unmarshal(sn.State, &st); err != nil {
		return nil, false, fmt.Errorf("snapshot of %s: %w", id, err)
	}
	if st.Events < events {
		return nil, false, nil
	}
	if st.Summary == "" {
		if st.Summary, err = s.summary(ctx, id); err != nil {
			return nil, false, err
		}
	}
	return &st, true, nil
}

// summary is the summary incident id was declared with: remembered, or
// read from its declaration in the store.
func (s *Service) summary(ctx context.Context, id string) (string, error) {
	if sum, ok := s.summaries.get(id); ok {
		return sum, nil
	}
	sum, err := s.Record.DeclaredSummary(ctx, id)
	if err != nil {
		return "", err
	}
	s.summaries.put(id, sum)
	return sum, nil
}

// archivedNotice is a notice as the store keeps it: its summary from the
// incident's snapshot, its text and delivery attempts from the notice
// archive.
func (s *Service) archivedNotice(ctx context.Context, id, noticeID string) (*workflows.NoticeState, error) {
	st, ok, err := s.archivedState(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no notice %s in incident %s", noticeID, id)
	}
	for _, n := range st.Notices {
		if n.ID == noticeID {
			return s.recordedNotice(ctx, id, st.Mode, n), nil
		}
	}
	return nil, apperr.New(apperr.NotFound, "no notice %s in incident %s", noticeID, id)
}

// recordedNotice is notice n as the store keeps it, for when its workflow
// cannot answer (its history expired before the incident's, or is gone
// with it): the summary, and from the kept message its text and every
// delivery attempt.
func (s *Service) recordedNotice(ctx context.Context, id, mode string, n workflows.NoticeSummary) *workflows.NoticeState {
	ns := &workflows.NoticeState{NoticeSummary: n, IncidentID: id, Mode: mode, Attempts: []workflows.DeliveryAttempt{}}
	if s.Record == nil {
		return ns
	}
	m, err := s.Record.NoticeMessage(ctx, id, n.ID)
	if err != nil {
		return ns
	}
	if b, ok := sentBodies(m); ok {
		ns.Text, ns.HTML = b.Text, b.HTML
		if ns.Subject == "" {
			ns.Subject = b.Subject
		}
	}
	for _, a := range m.Attempts {
		if a.At == nil {
			continue
		}
		ns.Attempts = append(ns.Attempts, workflows.DeliveryAttempt{N: a.N, At: *a.At, Outcome: a.Outcome, Code: a.Code,
			Stage: a.Stage, Uncertain: a.Uncertain, Error: a.Error, Server: a.Server})
	}
	return ns
}

// sentBodies reads the subject, text and HTML back from the message the
// store kept (the workflow that rendered them is gone). The wire form has
// CRLF line ends; the notice's own text may have had LF: the form whose
// content hash is the one the timeline recorded is the notice's exact
// text, else the text as the recipient read it (LF line ends).
func sentBodies(m store.NoticeMessage) (mail.Bodies, bool) {
	if len(m.Raw) == 0 {
		return mail.Bodies{}, false
	}
	wire, err := mail.ReadBodies(m.Raw)
	if err != nil {
		return mail.Bodies{}, false
	}
	lf := func(v string) string { return strings.ReplaceAll(v, "\r\n", "\n") }
	unix := mail.Bodies{Subject: wire.Subject, Text: lf(wire.Text), HTML: lf(wire.HTML)}
	for _, b := range []mail.Bodies{unix, wire, {Subject: wire.Subject, Text: unix.Text, HTML: wire.HTML}, {Subject: wire.Subject, Text: wire.Text, HTML: unix.HTML}} {
		if templates.ContentHash(b.Subject, b.Text, b.HTML) == m.ContentHash {
			return b, true
		}
	}
	return unix, true
}
