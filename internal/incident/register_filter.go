package incident

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// RegisterFilter selects notification register entries. Empty fields do not
// filter. An entry's time is when it was sent, else when it was recorded.
type RegisterFilter struct {
	From, To   *time.Time // From inclusive, To exclusive
	IncidentID string
	Regime     string
	Status     string
}

// registerStatuses are the statuses a register entry can have.
var registerStatuses = []string{workflows.NoticeDraft, workflows.NoticeApproved, workflows.NoticeSending,
	workflows.NoticeSent, workflows.NoticeFailed, workflows.NoticeRejected, workflows.NoticeNotNotified}

// Matches says whether e is in the filter: the one rule every surface uses.
func (f RegisterFilter) Matches(e store.RegisterEntry) bool {
	at := e.RecordedAt
	if e.SentAt != nil {
		at = *e.SentAt
	}
	return (f.From == nil || !at.Before(*f.From)) && (f.To == nil || at.Before(*f.To)) &&
		(f.IncidentID == "" || e.IncidentID == f.IncidentID) && (f.Regime == "" || e.Regime == f.Regime) &&
		(f.Status == "" || e.Status == f.Status)
}

// RegisterFiltered is Register narrowed to the entries f matches. A filter
// naming an unknown regime, status or a malformed incident ID, or an empty
// period, is refused rather than answered with nothing.
func (s *Service) RegisterFiltered(ctx context.Context, actor workflows.Actor, f RegisterFilter) ([]store.RegisterEntry, error) {
	all, err := s.Register(ctx, actor)
	if err != nil {
		return nil, err
	}
	if f.IncidentID != "" && !validID(f.IncidentID, 64) {
		return nil, apperr.New(apperr.Invalid, "incident %q is not an incident ID like INC-2026-0001", ClipValue(f.IncidentID))
	}
	if f.Regime != "" && (s.Rules == nil || !s.Rules.Has(f.Regime)) {
		return nil, apperr.New(apperr.Invalid, "unknown regime %q", ClipValue(f.Regime))
	}
	if f.Status != "" && !slices.Contains(registerStatuses, f.Status) {
		return nil, apperr.New(apperr.Invalid, "unknown status %q; use one of %s", ClipValue(f.Status), strings.Join(registerStatuses, ", "))
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return nil, apperr.New(apperr.Invalid, "the period is empty: from %s is not before to %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	out := []store.RegisterEntry{}
	for _, e := range all {
		if f.Matches(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// ParsePeriod reads a from/to pair as given in a query: each a date like
// 2026-03-01 (both days included) or an RFC 3339 time (to excluded). It
// returns From inclusive and To exclusive, or an Invalid error naming the
// parameter.
func ParsePeriod(from, to string) (*time.Time, *time.Time, error) {
	f, _, err := parseWhen("from", from)
	if err != nil {
		return nil, nil, err
	}
	t, day, err := parseWhen("to", to)
	if err != nil {
		return nil, nil, err
	}
	if t != nil && day {
		end := t.AddDate(0, 0, 1)
		t = &end
	}
	return f, t, nil
}

func parseWhen(name, v string) (*time.Time, bool, error) {
	if v == "" {
		return nil, false, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return &t, true, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, false, nil
	}
	return nil, false, apperr.New(apperr.Invalid, "%s %q is not a date like 2026-03-01 or a time like 2026-03-01T09:00:00Z", name, ClipValue(v))
}

// ClipValue keeps an echoed query value short enough for an error message.
func ClipValue(v string) string {
	if r := []rune(v); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return v
}
