package httpapi

import (
	"context"
	"net/http"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/workflows"
)

// DrillService is the part of the incident service the drill endpoints use.
type DrillService interface {
	ListScenarios(ctx context.Context, actor workflows.Actor) ([]incident.ScenarioSummary, error)
	StartDrill(ctx context.Context, actor workflows.Actor, req incident.DrillRequest) (*incident.DrillStarted, error)
	Drill(ctx context.Context, actor workflows.Actor, id string) (*workflows.DrillState, error)
	DrillAct(ctx context.Context, actor workflows.Actor, id, action, event string) (*workflows.DrillState, error)
	DrillAnswer(ctx context.Context, actor workflows.Actor, id, question, answer string) (*workflows.DrillState, error)
	DrillImprove(ctx context.Context, actor workflows.Actor, id string, items []workflows.Improvement, final bool) (*workflows.DrillState, error)
	DrillReport(ctx context.Context, actor workflows.Actor, id, format string) ([]byte, string, error)
	DrillGiveFeedback(ctx context.Context, actor workflows.Actor, id string, fb workflows.DrillFeedbackInput) (*workflows.DrillState, error)
}

// DrillScheduleService is the part of the incident service the drill
// schedule endpoints use.
type DrillScheduleService interface {
	CreateDrillSchedule(ctx context.Context, actor workflows.Actor, req incident.DrillScheduleRequest) (*schedule.DrillSchedule, error)
	DrillSchedules(ctx context.Context, actor workflows.Actor) ([]schedule.DrillSchedule, error)
	DeleteDrillSchedule(ctx context.Context, actor workflows.Actor, id string) error
}

// DrillScheduleDeleted answers DELETE /api/v1/drills/schedules/{id}.
type DrillScheduleDeleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// drillScheduleRoutes mounts the drill schedule endpoints.
func (s *Server) drillScheduleRoutes(mux *http.ServeMux) {
	var ds DrillScheduleService = s.Service
	mux.HandleFunc("GET /api/v1/drills/schedules", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		list, err := ds.DrillSchedules(r.Context(), actor)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, incident.DrillScheduleList{Schedules: list})
	}))
	mux.HandleFunc("POST /api/v1/drills/schedules", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		var req incident.DrillScheduleRequest
		if !s.decode(w, r, &req) {
			return
		}
		d, err := ds.CreateDrillSchedule(r.Context(), actor, req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, d)
	}))
	mux.HandleFunc("DELETE /api/v1/drills/schedules/{id}", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		if err := ds.DeleteDrillSchedule(r.Context(), actor, r.PathValue("id")); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, DrillScheduleDeleted{ID: r.PathValue("id"), Deleted: true})
	}))
}

// drillView is a drill as GET /api/v1/drills/{id} shows it.
func drillView(st *workflows.DrillState) Drill {
	injects := []Inject{}
	for _, ev := range st.Events {
		injects = append(injects, Inject{
			ID: ev.ID, Kind: ev.Kind, Title: ev.Title, ScenarioAt: ev.ScenarioAt.String(),
			DeliveredAt: ev.DeliveredAt, DeliveredScenarioAt: ev.DeliveredScenarioAt, Skipped: ev.Skipped,
		})
	}
	return Drill{
		ID: st.IncidentID, Incident: st.IncidentID, Scenario: st.Scenario, Title: st.Title, Speed: st.Speed,
		Status: st.Status, StartedAt: st.StartedAt, EndedAt: st.EndedAt, Paused: st.Paused.String(),
		Injects: injects, Answers: st.Answers, Feedback: st.Feedback, Improvements: st.Improvements, Final: st.Final,
	}
}

// drillRoutes mounts the drill endpoints.
func (s *Server) drillRoutes(mux *http.ServeMux) {
	var ds DrillService = s.Service
	mux.HandleFunc("GET /api/v1/drills/scenarios", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		list, err := ds.ListScenarios(r.Context(), actor)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ScenarioList{Scenarios: list})
	}))
	mux.HandleFunc("POST /api/v1/drills", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		var req incident.DrillRequest
		if !s.decode(w, r, &req) {
			return
		}
		if req.RequestKey == "" {
			req.RequestKey = r.Header.Get("Idempotency-Key")
		}
		st, err := ds.StartDrill(r.Context(), actor, req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, st)
	}))
	mux.HandleFunc("GET /api/v1/drills/{id}", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		st, err := ds.Drill(r.Context(), actor, r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, drillView(st))
	}))
	mux.HandleFunc("POST /api/v1/drills/{id}/actions", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		var req struct {
			Type         string                  `json:"type"`
			Event        string                  `json:"event,omitempty"`
			Question     string                  `json:"question,omitempty"`
			Answer       string                  `json:"answer,omitempty"`
			Improvements []workflows.Improvement `json:"improvements,omitempty"`
			WentWell     string                  `json:"went_well,omitempty"`
			Improve      string                  `json:"improve,omitempty"`
			Rating       int                     `json:"rating,omitempty"`
		}
		if !s.decode(w, r, &req) {
			return
		}
		var st *workflows.DrillState
		var err error
		switch req.Type {
		case workflows.DrillAnswer:
			st, err = ds.DrillAnswer(r.Context(), actor, r.PathValue("id"), req.Question, req.Answer)
		case workflows.DrillImprove:
			if req.Improvements == nil {
				req.Improvements = []workflows.Improvement{}
			}
			st, err = ds.DrillImprove(r.Context(), actor, r.PathValue("id"), req.Improvements, false)
		case workflows.DrillFeedback:
			st, err = ds.DrillGiveFeedback(r.Context(), actor, r.PathValue("id"), workflows.DrillFeedbackInput{WentWell: req.WentWell, Improve: req.Improve, Rating: req.Rating})
		case workflows.DrillFinalize:
			st, err = ds.DrillImprove(r.Context(), actor, r.PathValue("id"), nil, true)
		default:
			st, err = ds.DrillAct(r.Context(), actor, r.PathValue("id"), req.Type, req.Event)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, drillView(st))
	}))
	mux.HandleFunc("GET /api/v1/drills/{id}/report", s.authed(func(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
		format, ok := formatParam(w, r, "json", "md", "html", "pdf")
		if !ok {
			return
		}
		body, ctype, err := ds.DrillReport(r.Context(), actor, r.PathValue("id"), format)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(http.StatusOK)
		// #nosec G705 -- the service picks the Content-Type per format (the
		// HTML report escapes every value with html/template) and headers.go
		// sets nosniff, so no other format is rendered as HTML
		_, _ = w.Write(body)
	}))
}
