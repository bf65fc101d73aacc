package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// Filtering lives in the service; these are the service methods the list
// endpoints use for it.
type registerFilters interface {
	RegisterFiltered(ctx context.Context, actor workflows.Actor, f incident.RegisterFilter) ([]store.RegisterEntry, error)
}

type incidentPages interface {
	ListPage(ctx context.Context, actor workflows.Actor, f store.IncidentFilter) (store.IncidentPage, error)
}

// Query parameters each list endpoint takes.
var (
	registerParams  = []string{"format", "from", "to", "incident", "regime", "status"}
	incidentsParams = []string{"status", "mode", "severity", "regime", "from", "to", "limit", "offset"}
)

// queryParams answers 400 naming the first unknown or repeated query
// parameter, and otherwise returns the query and whether any filter (a
// parameter other than format) was given.
func queryParams(w http.ResponseWriter, r *http.Request, allowed []string) (q map[string]string, filtered, ok bool) {
	raw := r.URL.Query()
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	q = map[string]string{}
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q; %s takes %s", incident.ClipValue(k), r.URL.Path, strings.Join(allowed, ", ")))
			return nil, false, false
		}
		if len(raw[k]) > 1 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query parameter %q is given %d times; give it once", k, len(raw[k])))
			return nil, false, false
		}
		q[k] = raw[k][0]
		if k != "format" && q[k] != "" {
			filtered = true
		}
	}
	return q, filtered, true
}

// registerEntries reads the register, filtered by the query.
func (s *Server) registerEntries(w http.ResponseWriter, r *http.Request, actor workflows.Actor) ([]store.RegisterEntry, bool) {
	q, filtered, ok := queryParams(w, r, registerParams)
	if !ok {
		return nil, false
	}
	if !filtered {
		entries, err := s.Service.Register(r.Context(), actor)
		if err != nil {
			s.fail(w, r, err)
			return nil, false
		}
		return entries, true
	}
	from, to, err := incident.ParsePeriod(q["from"], q["to"])
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	entries, err := s.Service.RegisterFiltered(r.Context(), actor, incident.RegisterFilter{From: from, To: to, IncidentID: q["incident"], Regime: q["regime"], Status: q["status"]})
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return entries, true
}

// listFiltered answers GET /api/v1/incidents when a filter is given: one
// page (limit default 500) and the total that match.
func (s *Server) listFiltered(w http.ResponseWriter, r *http.Request, actor workflows.Actor, q map[string]string) {
	f := store.IncidentFilter{Mode: q["mode"], Status: q["status"], Severity: q["severity"], Regime: q["regime"], Limit: 500}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q[name]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("%s must be a whole number, got %q", name, incident.ClipValue(v)))
				return
			}
			*dst = n
		}
	}
	var err error
	if f.From, f.To, err = incident.ParsePeriod(q["from"], q["to"]); err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Service.ListPage(r.Context(), actor, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Incidents == nil {
		page.Incidents = []store.Incident{}
	}
	writeJSON(w, http.StatusOK, IncidentList{Incidents: page.Incidents, Total: &page.Total})
}
