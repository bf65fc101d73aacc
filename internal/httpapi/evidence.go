package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/irbot/irbot/internal/evidence"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/workflows"
)

// EvidenceWriter builds an incident's evidence pack (internal/evidence).
type EvidenceWriter interface {
	WriteEvidence(ctx context.Context, actor workflows.Actor, w io.Writer, id string) error
}

var _ EvidenceWriter = (*evidence.Packer)(nil)

// breachRegisters is the service method the breach register endpoint uses.
type breachRegisters interface {
	BreachRegister(ctx context.Context, actor workflows.Actor, f incident.BreachFilter) ([]incident.BreachEntry, error)
}

var breachParams = []string{"format", "from", "to", "regime", "hipaa_year"}

func (s *Server) evidenceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/incidents/{id}/evidence", s.authed(s.evidencePack))
	mux.HandleFunc("GET /api/v1/breach-register", s.authed(s.breachRegister))
}

// evidencePack answers the incident's evidence pack as a zip. The pack is
// built in full before the first byte goes out, so a failure is a clean
// error, never half a zip.
func (s *Server) evidencePack(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if _, _, ok := queryParams(w, r, nil); !ok {
		return
	}
	if s.Evidence == nil {
		writeError(w, http.StatusNotImplemented, "this build has no evidence packs")
		return
	}
	id := r.PathValue("id")
	var buf bytes.Buffer
	if err := s.Evidence.WriteEvidence(r.Context(), actor, &buf, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id+"-evidence.zip"))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = buf.WriteTo(w)
}

// breachRegister answers GET /api/v1/breach-register?from=&to=&regime=&hipaa_year=&format=json|csv.
func (s *Server) breachRegister(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	q, _, ok := queryParams(w, r, breachParams)
	if !ok {
		return
	}
	format, ok := formatParam(w, r, "json", "csv")
	if !ok {
		return
	}
	from, to, err := incident.ParsePeriod(q["from"], q["to"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := incident.BreachFilter{From: from, To: to, Regime: q["regime"]}
	if v := q["hipaa_year"]; v != "" {
		if f.HIPAAYear, err = strconv.Atoi(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("hipaa_year must be a year like 2026, got %q", incident.ClipValue(v)))
			return
		}
	}
	entries, err := s.Service.BreachRegister(r.Context(), actor, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, BreachRegister{Entries: entries})
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="breach-register.csv"`)
	_ = incident.WriteBreachRegisterCSV(w, entries)
}
