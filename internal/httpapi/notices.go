package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/workflows"
)

// NoticeService is the part of the incident service the notice endpoints use.
type NoticeService interface {
	Notices(ctx context.Context, actor workflows.Actor, id string) ([]workflows.NoticeState, error)
	Notice(ctx context.Context, actor workflows.Actor, id, noticeID string) (*workflows.NoticeState, error)
	DraftNotice(ctx context.Context, actor workflows.Actor, id string, req incident.NoticeRequest) (*workflows.NoticeState, error)
	NoticeAct(ctx context.Context, actor workflows.Actor, id, noticeID string, a workflows.NoticeAction) (*workflows.NoticeState, error)
	StartCampaign(ctx context.Context, actor workflows.Actor, id, noticeID string, csv io.Reader, skipInvalid bool) (*incident.CampaignReport, error)
	CampaignProgress(ctx context.Context, actor workflows.Actor, id, noticeID string) (*workflows.CampaignProgress, error)
}

// maxCampaignBody bounds an uploaded recipient list.
const maxCampaignBody = 32 << 20

// noticeRoutes mounts the notice and campaign endpoints.
func (s *Server) noticeRoutes(mux *http.ServeMux) {
	var ns NoticeService = s.Service
	mux.HandleFunc("GET /api/v1/incidents/{id}/notices", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		list, err := ns.Notices(r.Context(), actor, r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, NoticeList{Notices: list})
	}))
	mux.HandleFunc("POST /api/v1/incidents/{id}/notices", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		var req incident.NoticeRequest
		if !s.decode(w, r, &req) {
			return
		}
		if req.RequestKey == "" {
			req.RequestKey = r.Header.Get("Idempotency-Key")
		}
		n, err := ns.DraftNotice(r.Context(), actor, r.PathValue("id"), req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, n)
	}))
	mux.HandleFunc("GET /api/v1/incidents/{id}/notices/{notice}", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		n, err := ns.Notice(r.Context(), actor, r.PathValue("id"), r.PathValue("notice"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, n)
	}))
	mux.HandleFunc("POST /api/v1/incidents/{id}/notices/{notice}/actions", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		var body struct {
			Type   string `json:"type"`
			Reason string `json:"reason,omitempty"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		n, err := ns.NoticeAct(r.Context(), actor, r.PathValue("id"), r.PathValue("notice"), workflows.NoticeAction{Type: body.Type, Reason: body.Reason, Source: "api"})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, n)
	}))
	mux.HandleFunc("POST /api/v1/incidents/{id}/campaigns", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/octet-stream") {
			writeError(w, http.StatusUnsupportedMediaType, "send the recipient list as CSV with Content-Type: text/csv")
			return
		}
		skip, _ := strconv.ParseBool(r.URL.Query().Get("skip_invalid"))
		rep, err := ns.StartCampaign(r.Context(), actor, r.PathValue("id"), r.URL.Query().Get("notice"), http.MaxBytesReader(w, r.Body, maxCampaignBody), skip)
		var inv *incident.CampaignInvalidError
		if errors.As(err, &inv) {
			writeJSON(w, http.StatusBadRequest, CampaignRefused{Error: inv.Error(), Invalid: inv.Report.Invalid, Accepted: inv.Report.Accepted})
			return
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the recipient list is larger than 32 MiB: split it")
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, rep)
	}))
	mux.HandleFunc("GET /api/v1/incidents/{id}/notices/{notice}/campaign", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		p, err := ns.CampaignProgress(r.Context(), actor, r.PathValue("id"), r.PathValue("notice"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	}))
}
