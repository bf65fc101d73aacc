package incident

import (
	"context"
	"slices"
	"strings"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// ListPage returns one page of incidents from the store's index, filtered:
// the console's incidents page, which must stay fast with thousands of
// incidents, so it never asks Temporal per row.
func (s *Service) ListPage(ctx context.Context, actor workflows.Actor, f store.IncidentFilter) (store.IncidentPage, error) {
	if err := needAnyRole(actor); err != nil {
		return store.IncidentPage{}, err
	}
	if f.Mode != "" && f.Mode != workflows.ModeLive && f.Mode != workflows.ModeDrill {
		return store.IncidentPage{}, apperr.New(apperr.Invalid, "mode must be live or drill, got %q", f.Mode)
	}
	if f.Status != "" && f.Status != workflows.StatusOpen && f.Status != workflows.StatusClosed {
		return store.IncidentPage{}, apperr.New(apperr.Invalid, "status must be open or closed, got %q", f.Status)
	}
	if f.Severity != "" && !slices.Contains(workflows.Severities, f.Severity) {
		return store.IncidentPage{}, apperr.New(apperr.Invalid, "unknown severity %q; use one of %s", f.Severity, strings.Join(workflows.Severities, ", "))
	}
	if f.Regime != "" && (s.Rules == nil || !s.Rules.Has(f.Regime)) {
		return store.IncidentPage{}, apperr.New(apperr.Invalid, "unknown regime %q", f.Regime)
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return store.IncidentPage{}, apperr.New(apperr.Invalid, "the period is empty: from %s is not before to %s", f.From.Format("2006-01-02"), f.To.Format("2006-01-02"))
	}
	if f.Limit < 0 || f.Limit > 500 || f.Offset < 0 {
		return store.IncidentPage{}, apperr.New(apperr.Invalid, "a page holds 1 to 500 incidents from a non-negative offset")
	}
	return s.Store.ListIncidentsPage(ctx, f)
}

// MayReviewSignIns says whether actor may read the console's sign-in
// record: it is for the people who audit access.
func (s *Service) MayReviewSignIns(actor workflows.Actor) error {
	if err := needAnyRole(actor); err != nil {
		return err
	}
	if !hasRole(actor, "admin", "compliance") {
		return apperr.New(apperr.Forbidden, "the sign-in record is for admin or compliance")
	}
	return nil
}

// MayIssueLoginLinks says whether actor may create sign-in links for other
// people from the console.
func (s *Service) MayIssueLoginLinks(actor workflows.Actor) error {
	if !hasRole(actor, "admin") {
		return apperr.New(apperr.Forbidden, "only an admin may create sign-in links for other people")
	}
	return nil
}

// ClockZone is the IANA time zone the law behind a clock counts in ("UTC"
// when the rule names none), for showing its due time as the regulator
// reads it.
func (s *Service) ClockZone(regime, obligation string) string {
	if s.Rules != nil {
		if r, ok := s.Rules.Regime(regime); ok {
			for _, o := range r.Obligations {
				if o.ID == obligation && o.TimeZone != "" {
					return o.TimeZone
				}
			}
		}
	}
	return "UTC"
}

// Offers is what actor may be offered on the incident st: the actions
// whose role rules they pass now (workflows.OffersFor), with notices as
// fresh as the caller has them (nil: the incident's own summaries).
// Surfaces show a form only when it is offered; the workflow still
// decides each action.
func (s *Service) Offers(actor workflows.Actor, st *workflows.IncidentState, notices []workflows.NoticeState) workflows.Offers {
	if st == nil || needAnyRole(actor) != nil {
		return workflows.Offers{}
	}
	var ns []workflows.NoticeSummary
	if notices != nil {
		ns = make([]workflows.NoticeSummary, 0, len(notices))
		for _, n := range notices {
			ns = append(ns, n.NoticeSummary)
		}
	}
	return workflows.OffersFor(*st, actor, ns)
}

// MayRunDrills says whether actor may start and steer drills (facilitator
// controls, the improvement plan).
func (s *Service) MayRunDrills(actor workflows.Actor) error { return mayRunDrills(actor) }
