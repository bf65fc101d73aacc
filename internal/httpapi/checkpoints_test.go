package httpapi

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
)

const (
	complianceToken = "a-long-enough-compliance-token"
	responderToken  = "a-long-enough-responder-token"
)

// witnessServer is the API over a real SQLite store holding two incidents'
// chains, with a checkpoint key, a compliance officer and a responder.
func witnessServer(t *testing.T) (*httptest.Server, store.Store, ed25519.PrivateKey) {
	t.Helper()
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"INC-2026-0001", "INC-2026-0002"} {
		require.NoError(t, st.UpsertIncident(t.Context(), store.Incident{ID: id, WorkflowID: id, Title: "Laptop stolen — 東京", Severity: "high", Mode: "live", Status: "closed", DeclaredAt: at, UpdatedAt: at}))
		for i, kind := range []string{"incident.declared", "note.added", "incident.closed"} {
			_, _, err := st.Append(t.Context(), store.Event{IncidentID: id, Key: fmt.Sprintf("k%d", i), At: at.Add(time.Duration(i) * time.Minute), Kind: kind, Actor: "U0DPO", Data: json.RawMessage(`{"text":"<b>&</b>"}`)})
			require.NoError(t, err)
		}
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	svc := &incident.Service{Store: st, Checkpoints: st, CheckpointKey: key, Purged: st}
	dir, err := auth.NewDirectory([]auth.User{
		{Name: "Cleo Compliance", Email: "cleo@example.com", Roles: []string{"compliance"}, TokenSHA256: auth.HashToken(complianceToken)},
		{Name: "Ray Responder", Email: "ray@example.com", Roles: []string{"responder"}, TokenSHA256: auth.HashToken(responderToken)},
	}, testToken)
	require.NoError(t, err)
	srv := httptest.NewServer((&Server{Service: svc, Directory: dir}).Handler())
	t.Cleanup(srv.Close)
	return srv, st, key
}

func call(t *testing.T, srv *httptest.Server, method, path, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// A checkpoint taken on demand comes back in exactly the form irbot verify
// --checkpoint reads (JSON or the digest's text), signed by the server's
// key; only record readers take or read one.
func TestCheckpointOnDemandIsWhatVerifyReads(t *testing.T) {
	srv, st, key := witnessServer(t)
	pub := hex.EncodeToString(key.Public().(ed25519.PublicKey))

	code, _, body := call(t, srv, "GET", "/api/v1/checkpoints/latest", complianceToken)
	require.Equal(t, http.StatusNotFound, code, body)
	require.Contains(t, body, "no checkpoint has been signed yet")

	code, _, body = call(t, srv, "POST", "/api/v1/checkpoints", responderToken)
	require.Equal(t, http.StatusForbidden, code, "a responder does not read the record: %s", body)
	require.Contains(t, body, "compliance")
	_, err := st.LatestCheckpoint(t.Context())
	require.ErrorIs(t, err, store.ErrNotFound, "a refused request signs nothing")

	code, hdr, body := call(t, srv, "POST", "/api/v1/checkpoints", complianceToken)
	require.Equal(t, http.StatusCreated, code, body)
	require.Equal(t, "application/json", hdr.Get("Content-Type"))
	held, err := checkpoint.ParseHeld([]byte(body))
	require.NoError(t, err, "the answer is a checkpoint irbot verify --checkpoint reads")
	require.NoError(t, checkpoint.Trust(held, pub), "signed by the server's key")
	require.EqualValues(t, 1, held.ID)
	stored, err := st.CheckpointByID(t.Context(), 1)
	require.NoError(t, err)
	require.Equal(t, string(stored.Body), string(held.Body), "the body is served byte for byte as signed")
	require.Contains(t, body, `"body":`+string(stored.Body), "not re-indented or HTML-escaped on the way")
	events, err := st.Events(t.Context(), "INC-2026-0002")
	require.NoError(t, err)
	require.NoError(t, checkpoint.CheckChain(held, "INC-2026-0002", events), "it vouches for every incident's chain")

	code, hdr, text := call(t, srv, "GET", "/api/v1/checkpoints/1?format=text", complianceToken)
	require.Equal(t, http.StatusOK, code, text)
	require.True(t, strings.HasPrefix(hdr.Get("Content-Type"), "text/plain"))
	require.Equal(t, checkpoint.Summary(stored), text, "the text is the daily digest's")
	fromText, err := checkpoint.ParseHeld([]byte(text))
	require.NoError(t, err)
	require.Equal(t, held.Signature, fromText.Signature)

	code, _, body = call(t, srv, "POST", "/api/v1/checkpoints?format=text", testToken)
	require.Equal(t, http.StatusCreated, code, body)
	require.True(t, strings.HasPrefix(body, "Chain checkpoint 2, signed "), body)
	code, _, body = call(t, srv, "GET", "/api/v1/checkpoints/latest", complianceToken)
	require.Equal(t, http.StatusOK, code, body)
	latest, err := checkpoint.ParseHeld([]byte(body))
	require.NoError(t, err)
	require.EqualValues(t, 2, latest.ID, "latest is the newest")

	code, _, body = call(t, srv, "GET", "/api/v1/checkpoints/1", responderToken)
	require.Equal(t, http.StatusForbidden, code, body)

	// Concurrent requests each get their own checkpoint, numbered without gaps.
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/checkpoints", nil)
			req.Header.Set("Authorization", "Bearer "+complianceToken)
			resp, err := srv.Client().Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var c store.Checkpoint
			if resp.StatusCode == http.StatusCreated && json.NewDecoder(resp.Body).Decode(&c) == nil {
				ids[i] = c.ID
			}
		})
	}
	wg.Wait()
	slices.Sort(ids)
	require.Equal(t, []int64{3, 4, 5, 6, 7, 8, 9, 10}, ids, "every concurrent request signed one checkpoint")

	for _, bad := range []struct {
		path string
		code int
	}{
		{"/api/v1/checkpoints/0", 404}, {"/api/v1/checkpoints/-1", 404}, {"/api/v1/checkpoints/11", 404},
		{"/api/v1/checkpoints/abc", 404}, {"/api/v1/checkpoints/1%00", 404}, {"/api/v1/checkpoints/%D9%A3", 404}, // Arabic-Indic three
		{"/api/v1/checkpoints/99999999999999999999999", 404}, {"/api/v1/checkpoints/" + strings.Repeat("9", 5000), 404},
		{"/api/v1/checkpoints/LATEST", 404},
		{"/api/v1/checkpoints/1?format=xml", 400}, {"/api/v1/checkpoints/1?verbose=1", 400},
		{"/api/v1/checkpoints/1?format=json&format=text", 400},
	} {
		code, _, body := call(t, srv, "GET", bad.path, complianceToken)
		require.Equal(t, bad.code, code, "%s: %s", bad.path, body)
		require.Contains(t, body, `"error"`)
	}
	code, _, body = call(t, srv, "POST", "/api/v1/checkpoints?at=2020-01-01", complianceToken)
	require.Equal(t, http.StatusBadRequest, code, "the signing time is the server's: %s", body)
}

// Tombstones list what retention purged, filtered by purge time, for record
// readers only.
func TestTombstonesListWhatRetentionPurged(t *testing.T) {
	srv, st, _ := witnessServer(t)
	code, _, body := call(t, srv, "GET", "/api/v1/tombstones", complianceToken)
	require.Equal(t, http.StatusOK, code, body)
	require.JSONEq(t, `{"tombstones":[]}`, body, "nothing purged yet: an empty list, not null")

	head, err := st.Events(t.Context(), "INC-2026-0001")
	require.NoError(t, err)
	before := time.Now().UTC().Add(-time.Second)
	_, err = st.PurgeIncident(t.Context(), "INC-2026-0001", "retention: IRBOT_RETENTION=2555d")
	require.NoError(t, err)

	code, _, body = call(t, srv, "GET", "/api/v1/tombstones", complianceToken)
	require.Equal(t, http.StatusOK, code, body)
	var list TombstoneList
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Tombstones, 1)
	ts := list.Tombstones[0]
	require.Equal(t, "INC-2026-0001", ts.IncidentID)
	require.Equal(t, "Laptop stolen — 東京", ts.Title)
	require.EqualValues(t, 3, ts.Events)
	require.Equal(t, head[2].Hash, ts.FinalHash, "the final chain head survives the purge")
	require.Equal(t, "retention: IRBOT_RETENTION=2555d", ts.Reason)

	day := before.Format("2006-01-02")
	for q, want := range map[string]int{
		"?from=" + day: 1, "?to=" + day: 1, "?from=" + before.Format(time.RFC3339): 1,
		"?to=" + before.Format(time.RFC3339): 0, "?from=" + before.AddDate(0, 0, 2).Format("2006-01-02"): 0,
		"?to=2020-01-01": 0,
	} {
		code, _, body := call(t, srv, "GET", "/api/v1/tombstones"+q, testToken)
		require.Equal(t, http.StatusOK, code, "%s: %s", q, body)
		var l TombstoneList
		require.NoError(t, json.Unmarshal([]byte(body), &l))
		require.Len(t, l.Tombstones, want, q)
	}
	for _, q := range []string{"?from=yesterday", "?from=2026-03-02%00", "?incident=INC-2026-0001", "?from=2026-03-05&to=2026-03-01", "?from=2026-03-01&from=2026-03-02"} {
		code, _, body := call(t, srv, "GET", "/api/v1/tombstones"+q, complianceToken)
		require.Equal(t, http.StatusBadRequest, code, "%s: %s", q, body)
	}
	code, _, body = call(t, srv, "GET", "/api/v1/tombstones", responderToken)
	require.Equal(t, http.StatusForbidden, code, body)
	require.NotContains(t, body, "Laptop", "a refusal shows nothing of what was purged")

	// The refusal belongs to no incident: it is on the installation's
	// chain, once, which the record's readers verify like a timeline.
	code, _, body = call(t, srv, "GET", "/api/v1/incidents/"+incident.InstallationChain+"/timeline", complianceToken)
	require.Equal(t, http.StatusOK, code, body)
	var tl struct {
		Events []struct {
			Kind string          `json:"kind"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &tl))
	require.Len(t, tl.Events, 1, body)
	require.Equal(t, "action.denied", tl.Events[0].Kind)
	var denied map[string]any
	require.NoError(t, json.Unmarshal(tl.Events[0].Data, &denied))
	require.Equal(t, "read_tombstones", denied["action"])
	code, _, body = call(t, srv, "GET", "/api/v1/incidents/"+incident.InstallationChain+"/timeline/verify", complianceToken)
	require.Equal(t, http.StatusOK, code, body)
	require.Regexp(t, `"ok":\s*true`, body)
	code, _, _ = call(t, srv, "GET", "/api/v1/incidents/"+incident.InstallationChain+"/timeline", responderToken)
	require.Equal(t, http.StatusForbidden, code, "the installation's chain is the record readers'")
}
