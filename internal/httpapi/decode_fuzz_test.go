package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/irbot/irbot/internal/incident"
)

// FuzzDecodeBodies feeds the API's JSON decoder arbitrary bodies for each
// request type it reads (declare, notice, drill, notice action). Seeds are in
// testdata/fuzz/FuzzDecodeBodies. Properties: no panic; a refused body
// answers 400, 413 or 415 with a JSON {"error": ...} that says what is wrong;
// an accepted body re-encodes to JSON that decodes to the same value.
func FuzzDecodeBodies(f *testing.F) {
	for _, s := range []string{
		`{"title":"Phishing wave","severity":"high","facts":{"affected":{"DE":3}}}`,
		`{"title":"a\u0000b"}`, `{"regime":"eu-gdpr","obligation":"supervisory-authority","to":["dpa@example.org"]}`,
		`{"scenario":"ransomware","speed":60}`, `{"type":"approve","reason":"ok"}`,
		``, `null`, `[]`, `{"title":1}`, `{"unknown":true}`, `{} {}`, `{"title":"` + strings.Repeat("ü", 100) + `"}`,
	} {
		f.Add(byte(0), []byte(s))
	}
	types := []func() any{
		func() any { return &incident.DeclareRequest{} },
		func() any { return &incident.NoticeRequest{} },
		func() any { return &incident.DrillRequest{} },
		func() any {
			return &struct {
				Type   string `json:"type"`
				Reason string `json:"reason,omitempty"`
			}{}
		},
	}
	s := &Server{}
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		v := types[int(which)%len(types)]()
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if !s.decode(w, r, v) {
			switch w.Code {
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			default:
				t.Fatalf("a refused body answers 4xx, got %d", w.Code)
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || strings.TrimSpace(e.Error) == "" {
				t.Fatalf("a refusal carries a JSON error naming the problem, got %q", w.Body.String())
			}
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("an accepted body must re-encode: %v", err)
		}
		again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		w2 := httptest.NewRecorder()
		r2 := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(out))
		if !s.decode(w2, r2, again) {
			t.Fatalf("re-encoded body %s refused: %s", out, w2.Body.String())
		}
		out2, _ := json.Marshal(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the value:\n%s\n%s", out, out2)
		}
	})
}
