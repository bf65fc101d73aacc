package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// WitnessService is the part of the incident service that reads and signs
// checkpoints of the chain heads and lists tombstones.
type WitnessService interface {
	Checkpoint(ctx context.Context, actor workflows.Actor, id int64) (store.Checkpoint, error)
	SignCheckpoint(ctx context.Context, actor workflows.Actor) (store.Checkpoint, error)
	Tombstones(ctx context.Context, actor workflows.Actor, f incident.TombstoneFilter) ([]store.Tombstone, error)
}

func (s *Server) checkpointRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/checkpoints/{n}", s.authed(s.getCheckpoint))
	mux.HandleFunc("POST /api/v1/checkpoints", s.authed(s.signCheckpoint))
	mux.HandleFunc("GET /api/v1/tombstones", s.authed(s.tombstones))
}

// getCheckpoint answers GET /api/v1/checkpoints/{n} (n a number or
// "latest") in the form irbot verify --checkpoint reads: JSON, or the
// digest's text with ?format=text.
func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if _, _, ok := queryParams(w, r, []string{"format"}); !ok {
		return
	}
	format, ok := formatParam(w, r, "json", "text")
	if !ok {
		return
	}
	var id int64
	if n := r.PathValue("n"); n != "latest" {
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil || v < 1 {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no checkpoint %q: give a checkpoint number (1, 2, ...) or latest", incident.ClipValue(n)))
			return
		}
		id = v
	}
	c, err := s.Service.Checkpoint(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeCheckpoint(w, http.StatusOK, c, format)
}

// signCheckpoint answers POST /api/v1/checkpoints: a checkpoint of every
// chain head, signed now.
func (s *Server) signCheckpoint(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if _, _, ok := queryParams(w, r, []string{"format"}); !ok {
		return
	}
	format, ok := formatParam(w, r, "json", "text")
	if !ok {
		return
	}
	c, err := s.Service.SignCheckpoint(r.Context(), actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeCheckpoint(w, http.StatusCreated, c, format)
}

// writeCheckpoint writes c with its body exactly as signed: compact, no
// HTML escaping (writeJSON's indentation would re-indent the body and
// break the signature for anyone checking those bytes).
func writeCheckpoint(w http.ResponseWriter, status int, c store.Checkpoint, format string) {
	f, err := checkpoint.Encode(c, format)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the checkpoint cannot be encoded")
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", f.Name))
	w.Header().Set("Content-Type", f.ContentType)
	w.WriteHeader(status)
	// #nosec G705 -- a checkpoint file (text/plain or JSON) with nosniff (headers.go): a browser never renders it as HTML
	_, _ = w.Write(f.Bytes)
}

var tombstoneParams = []string{"from", "to"}

// tombstones answers GET /api/v1/tombstones?from=&to=: what retention
// purged in the period (by purge time).
func (s *Server) tombstones(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	q, _, ok := queryParams(w, r, tombstoneParams)
	if !ok {
		return
	}
	from, to, err := incident.ParsePeriod(q["from"], q["to"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.Service.Tombstones(r.Context(), actor, incident.TombstoneFilter{From: from, To: to})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, TombstoneList{Tombstones: list})
}
