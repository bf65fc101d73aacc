package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// RecordService is the part of the incident service that reads the store
// as system of record.
type RecordService interface {
	NoticeMessage(ctx context.Context, actor workflows.Actor, id, noticeID string) (store.NoticeMessage, error)
}

// recordRoutes mounts the system-of-record endpoints.
func (s *Server) recordRoutes(mux *http.ServeMux) {
	var rs RecordService = s.Service
	// The exact message sent, as an .eml: the bytes handed to the SMTP
	// server, never re-rendered.
	mux.HandleFunc("GET /api/v1/incidents/{id}/notices/{notice}/message", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		m, err := rs.NoticeMessage(r.Context(), actor, r.PathValue("id"), r.PathValue("notice"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "message/rfc822")
		h.Set("Content-Disposition", `attachment; filename="`+m.IncidentID+"-"+m.NoticeID+`.eml"`)
		h.Set("Content-Length", strconv.Itoa(len(m.Raw)))
		h.Set("X-Irbot-Message-Id", m.MessageID)
		h.Set("X-Irbot-Raw-Sha256", m.RawSHA256)
		h.Set("X-Irbot-Content-Hash", m.ContentHash)
		h.Set("X-Irbot-Attempt", strconv.Itoa(m.Attempt))
		h.Set("X-Irbot-Delivered", strconv.FormatBool(m.Delivered))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(m.Raw)
	}))
}
