package console

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
)

// recordFixture is the console with the real incident service's record
// calls (checkpoints, tombstones) on the fixture's real store; signKey nil
// means the server has no checkpoint key.
func recordFixture(t *testing.T, signKey ed25519.PrivateKey) *fixture {
	return newFixture(t, func(c *Config) {
		st := c.Store.(store.Store)
		c.Record = &incident.Service{Store: st, Checkpoints: st, CheckpointKey: signKey, Purged: st}
	})
}

var testCheckpointKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// A record reader lists the signed checkpoints, signs one now (CSRF
// checked) and downloads it as exactly the file irbot verify --checkpoint
// reads; a responder gets neither the link, nor the page, nor the button,
// nor a file.
func TestRecordPageListsSignsAndDownloadsCheckpoints(t *testing.T) {
	f := recordFixture(t, testCheckpointKey)
	for _, id := range []string{"INC-2026-0001", "INC-2026-0002"} {
		_, _, err := f.st.Append(t.Context(), store.Event{IncidentID: id, Key: "declared", Kind: "incident.declared", Actor: "U1", Data: []byte(`{}`)})
		require.NoError(t, err)
	}

	for _, tok := range []string{complianceToken, managerToken} {
		c, csrf := f.signIn(t, tok)
		status, body, _ := get(t, c, f.srv.URL+"/")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, `href="/record"`, "a record reader has the Record link")
		status, body, _ = get(t, c, f.srv.URL+"/record")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, `id="sign-checkpoint"`, "a record reader may sign a checkpoint")
		require.Contains(t, body, `aria-current="page">Record`)

		status, _, _ = post(t, c, f.srv.URL+"/record/checkpoints", url.Values{})
		require.Equal(t, http.StatusForbidden, status, "no CSRF token, no checkpoint")
		status, _, _ = post(t, c, f.srv.URL+"/record/checkpoints", url.Values{"csrf": {"forged"}})
		require.Equal(t, http.StatusForbidden, status, "a wrong CSRF token, no checkpoint")
		status, _, h := post(t, c, f.srv.URL+"/record/checkpoints", url.Values{"csrf": {csrf}})
		require.Equal(t, http.StatusSeeOther, status)
		require.Equal(t, "/record#checkpoints-h", h.Get("Location"))
	}
	latest, err := f.st.LatestCheckpoint(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 2, latest.ID, "two signings, two checkpoints; the refused posts signed nothing")

	c, _ := f.signIn(t, complianceToken)
	status, body, _ := get(t, c, f.srv.URL+"/record")
	require.Equal(t, http.StatusOK, status)
	require.Less(t, strings.Index(body, `/record/checkpoints/2?format=text`), strings.Index(body, `/record/checkpoints/1?format=text`), "newest first")
	require.Contains(t, body, "<td>2</td>", "each checkpoint says how many chain heads it signs")
	require.Contains(t, body, "<code>"+latest.PublicKey[:16]+"</code>", "and which key signed it")

	status, text, h := get(t, c, f.srv.URL+"/record/checkpoints/2?format=text")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, checkpoint.Summary(latest), text, "the text download is the digest's bytes, as the API's ?format=text")
	require.Equal(t, `attachment; filename="checkpoint-2.txt"`, h.Get("Content-Disposition"))
	held, err := checkpoint.ParseHeld([]byte(text))
	require.NoError(t, err, "irbot verify --checkpoint reads the downloaded file")
	require.NoError(t, checkpoint.Trust(held, latest.PublicKey))
	status, def, _ := get(t, c, f.srv.URL+"/record/checkpoints/2")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, text, def, "text is the default download")
	status, js, h := get(t, c, f.srv.URL+"/record/checkpoints/1?format=json")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "application/json", h.Get("Content-Type"))
	first, err := checkpoint.ParseHeld([]byte(js))
	require.NoError(t, err)
	require.EqualValues(t, 1, first.ID)

	for path, want := range map[string]int{
		"/record/checkpoints/0":                            http.StatusNotFound,
		"/record/checkpoints/-1":                           http.StatusNotFound,
		"/record/checkpoints/abc":                          http.StatusNotFound,
		"/record/checkpoints/99":                           http.StatusNotFound,
		"/record/checkpoints/1%00":                         http.StatusNotFound,
		"/record/checkpoints/1?format=pdf":                 http.StatusBadRequest,
		"/record/checkpoints/1?format=%00xml":              http.StatusBadRequest,
		"/record/checkpoints/" + strings.Repeat("9", 5000): http.StatusNotFound,
	} {
		status, body, _ := get(t, c, f.srv.URL+path)
		require.Equal(t, want, status, path)
		require.NotContains(t, body, strings.Repeat("9", 200), "a huge value is not echoed whole")
	}

	r, rcsrf := f.signIn(t, responderToken)
	status, body, _ = get(t, r, f.srv.URL+"/")
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, `href="/record"`, "a responder has no Record link")
	require.NotContains(t, body, `href="/sign-ins"`, "nor a Sign-ins link")
	status, body, _ = get(t, r, f.srv.URL+"/record")
	require.Equal(t, http.StatusForbidden, status)
	require.NotContains(t, body, `id="sign-checkpoint"`)
	status, _, _ = get(t, r, f.srv.URL+"/record/checkpoints/1?format=text")
	require.Equal(t, http.StatusForbidden, status)
	status, _, _ = post(t, r, f.srv.URL+"/record/checkpoints", url.Values{"csrf": {rcsrf}})
	require.Equal(t, http.StatusForbidden, status, "the service refuses a responder's checkpoint")
	latest, err = f.st.LatestCheckpoint(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 2, latest.ID, "the responder signed nothing")
}

// Without a checkpoint key the page still lists and downloads, and the
// button's post is answered with the service's 503.
func TestRecordPageWithoutAKeyCannotSign(t *testing.T) {
	f := recordFixture(t, nil)
	c, csrf := f.signIn(t, complianceToken)
	status, body, _ := get(t, c, f.srv.URL+"/record")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "No checkpoint has been signed yet.")
	status, body, _ = post(t, c, f.srv.URL+"/record/checkpoints", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "no checkpoint key")
}

// Tombstones are filtered by purge date; a bad filter is answered 400
// with the reason beside the filter, and the checkpoints still show.
func TestRecordPageFiltersTombstones(t *testing.T) {
	f := recordFixture(t, testCheckpointKey)
	ctx := t.Context()
	require.NoError(t, f.st.UpsertIncident(ctx, store.Incident{ID: "INC-2025-0007", Title: "Lost laptop 北京", Severity: "low", Mode: "live", Status: store.StatusClosed, Phase: "complete", UpdatedAt: time.Now().Add(-time.Hour)}))
	_, _, err := f.st.Append(ctx, store.Event{IncidentID: "INC-2025-0007", Key: "declared", Kind: "incident.declared", Actor: "U1", Data: []byte(`{}`)})
	require.NoError(t, err)
	tombs, err := f.st.PurgeClosedBefore(ctx, time.Now(), "retention: closed more than 0 days")
	require.NoError(t, err)
	require.Len(t, tombs, 1)

	c, _ := f.signIn(t, complianceToken)
	today := time.Now().UTC().Format("2006-01-02")
	status, body, _ := get(t, c, f.srv.URL+"/record?from="+today+"&to="+today)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "INC-2025-0007")
	require.Contains(t, body, "Lost laptop 北京")
	require.Contains(t, body, tombs[0].FinalHash, "the final chain head is shown whole")
	status, body, _ = get(t, c, f.srv.URL+"/record?to=2020-01-01")
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, "INC-2025-0007")
	require.Contains(t, body, "No incident was purged in this period.")

	for q, phrase := range map[string]string{
		"from=yesterday":                          `from &#34;yesterday&#34; is not a date`,
		"to=2026-13-01":                           "to &#34;2026-13-01&#34; is not a date",
		"from=2026-02-01&to=2026-01-01":           "the period is empty",
		"from=2026-01-01&to=2026-01-01T00:00:00Z": "the period is empty",
		"purged=2026":                             "unknown filter &#34;purged&#34;",
		"from=%00":                                "is not a date",
		"from=" + strings.Repeat("x", 100000):     "is not a date",
	} {
		status, body, _ := get(t, c, f.srv.URL+"/record?"+q)
		require.Equal(t, http.StatusBadRequest, status, q)
		require.Contains(t, body, phrase, q)
		require.Contains(t, body, `id="t-err"`, "%s: the error sits beside the filter", q)
		require.Contains(t, body, `aria-invalid="true"`, q)
		require.Contains(t, body, `id="sign-checkpoint"`, "%s: the rest of the page still works", q)
		require.Less(t, len(body), 50000, "%s: a huge value is not echoed whole", q)
	}

	r, _ := f.signIn(t, responderToken)
	status, _, _ = get(t, r, f.srv.URL+"/record?from="+today)
	require.Equal(t, http.StatusForbidden, status, "tombstones are the record readers'")
}
