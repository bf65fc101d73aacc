package httpapi

import (
	"net/http"
	"strings"

	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/workflows"
)

// codec serves POST /api/v1/codec/encode and /decode: the remote payload
// codec the Temporal UI and `temporal ... --codec-endpoint` call to show
// encrypted payloads. Only policy.PayloadReaders may call it; anyone else
// gets 403 before the body is read.
func (s *Server) codec(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if s.Codec == nil {
		writeError(w, http.StatusNotFound, "payload codec endpoint is not configured")
		return
	}
	if !policy.MayDecodePayloads(actor.Roles) {
		writeError(w, http.StatusForbidden, "the payload codec needs one of the roles "+strings.Join(policy.PayloadReaders, ", "))
		return
	}
	switch r.PathValue("op") {
	case "encode", "decode":
	default:
		writeError(w, http.StatusNotFound, "codec operations are encode and decode")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	s.Codec.ServeHTTP(w, r)
}
