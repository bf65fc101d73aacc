package main

import (
	"database/sql"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/irbot/irbot/internal/evidence"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// deleteHistories deletes every Temporal execution of the incident (its
// workflow, its notices and clocks) and waits until they are gone: what
// Temporal's retention does to a closed incident.
func deleteHistories(t *testing.T, m *Main, incidentID string) {
	t.Helper()
	ctx := t.Context()
	var ids []string
	it := m.client.ListWorkflow
	var token []byte
	for {
		resp, err := it(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: m.Config.TemporalNS, NextPageToken: token})
		require.NoError(t, err)
		for _, e := range resp.Executions {
			if strings.Contains(e.Execution.WorkflowId, incidentID) {
				ids = append(ids, e.Execution.WorkflowId)
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			break
		}
	}
	require.NotEmpty(t, ids, "the incident has Temporal executions to delete")
	for _, id := range ids {
		_, err := m.client.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
			Namespace: m.Config.TemporalNS, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id},
		})
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			require.NoError(t, err, "delete %s", id)
		}
	}
	for _, id := range ids {
		require.Eventually(t, func() bool {
			_, err := m.client.DescribeWorkflowExecution(ctx, id, "")
			var nf *serviceerror.NotFound
			return errors.As(err, &nf)
		}, 60*time.Second, 200*time.Millisecond, "Temporal must forget %s", id)
	}
}

// storeDB opens the SQLite store behind irbot's back, as an insider would.
func storeDB(t *testing.T, dataDir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dataDir, store.DBFileName))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestClosedIncidentAnswersInFullAfterItsHistoryIsDeleted runs a GDPR
// incident to close with a notice delivered over real SMTP, deletes its
// Temporal histories, and reads everything back: the incident with its
// facts (and who set them), clocks with their outcome, notices, the exact
// message sent, the timeline and the register, and a verify that passes,
// then catches an edited snapshot fact.
func TestClosedIncidentAnswersInFullAfterItsHistoryIsDeleted(t *testing.T) {
	smtp := smtptest.Start(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMainEnv(t, dataDir, smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts)
	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	noticeID := n["id"].(string)
	e.approveAndSend(t, noticeID)
	msgs := smtp.WaitForMessages(t, 1, 30*time.Second)
	sent := e.waitStatus(t, noticeID, "sent", 30*time.Second)
	e.waitRegister(t, 1)
	_, open := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	for _, raw := range open["clocks"].([]any) {
		clk := raw.(map[string]any)
		if clk["status"] == "running" || clk["status"] == "overdue" {
			c.act(dpoToken, e.id, map[string]any{"type": "record_notification", "regime": clk["regime"], "obligation": clk["obligation"],
				"reference": "REG-2026-7"})
		}
	}
	out := c.act(adminToken, e.id, map[string]any{"type": "close", "reason": "contained and notified"})
	require.Equal(t, "closed", out["status"])

	// What the live workflow answers, to compare with after.
	var live map[string]any
	require.Eventually(t, func() bool {
		_, live = c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
		return live["status"] == "closed"
	}, 20*time.Second, 100*time.Millisecond)
	_, liveTL := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline", adminToken, nil)
	liveReg := e.registerFor(t)
	// The last snapshot is written with the last record; wait for it.
	require.Eventually(t, func() bool {
		sn, err := m.store.LatestSnapshot(t.Context(), e.id)
		return err == nil && strings.Contains(string(sn.State), `"status":"closed"`)
	}, 20*time.Second, 100*time.Millisecond, "the store keeps the closed state")

	deleteHistories(t, m, e.id)

	code, got := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", got)
	require.Equal(t, true, got["archived"], "the answer comes from the store")
	require.Equal(t, "closed", got["status"])
	require.Equal(t, live["phase"], got["phase"])
	require.Equal(t, live["facts"], got["facts"], "every fact survives the history")
	require.NotEmpty(t, got["facts"])
	require.Equal(t, live["clocks"], got["clocks"], "clocks keep their outcome")
	require.NotEmpty(t, got["clocks"])
	require.Equal(t, live["notices"], got["notices"])
	require.Equal(t, live["roles"], got["roles"])
	require.Equal(t, live["tasks"], got["tasks"])
	require.NotEmpty(t, got["facts_by"], "who set each fact is kept")
	require.Equal(t, live["facts_by"], got["facts_by"], "who set each fact survives")

	code, list := c.do("GET", "/api/v1/incidents/"+e.id+"/notices", dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", list)
	require.Len(t, list["notices"], 1)
	nl := list["notices"].([]any)[0].(map[string]any)
	require.Equal(t, "sent", nl["status"])
	require.Equal(t, sent["message_id"], nl["message_id"])
	require.NotEmpty(t, nl["attempts"], "delivery attempts come from the notice archive")
	require.NotEmpty(t, sent["text"])
	require.Equal(t, sent["text"], nl["text"], "the auditor reads the text that was sent, from the kept (sealed) message")
	require.Equal(t, sent["html"], nl["html"])
	require.Equal(t, sent["subject"], nl["subject"])
	require.Equal(t, sent["content_hash"], nl["content_hash"])
	code, one := c.do("GET", "/api/v1/incidents/"+e.id+"/notices/"+noticeID, dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", one)
	require.Equal(t, sent["text"], one["text"], "one notice answers with its text too")

	req, err := http.NewRequest("GET", c.base+"/api/v1/incidents/"+e.id+"/notices/"+noticeID+"/message", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+dpoToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	eml, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", eml)
	require.Equal(t, "message/rfc822", resp.Header.Get("Content-Type"))
	require.Equal(t, string(msgs[0].Data), string(eml), "the .eml is byte for byte what the authority's server received")
	require.Equal(t, store.RawSHA256(msgs[0].Data), resp.Header.Get("X-Irbot-Raw-Sha256"))
	require.Equal(t, msgs[0].MessageID, resp.Header.Get("X-Irbot-Message-Id"))

	_, tl := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline", adminToken, nil)
	require.Equal(t, liveTL, tl, "the timeline is the store's")
	require.Equal(t, liveReg, e.registerFor(t), "the register is the store's")

	code, v := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline/verify", adminToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", v)
	require.Equal(t, true, v["ok"], "%v", v)

	// The evidence pack of the archived incident checks offline: each
	// notice's text (read back from the kept message) recomputes to the
	// content hash the timeline recorded.
	code, _, pack := getRaw(t, c, "/api/v1/incidents/"+e.id+"/evidence", dpoToken)
	require.Equal(t, http.StatusOK, code, "%s", pack)
	res := evidence.Verify(pack)
	require.True(t, res.OK, "the pack of an incident whose history is gone verifies: %v", res.Problems)
	require.Equal(t, 1, res.Notices)

	// The stored state is sealed (the facts are personal data): an insider
	// without the key can only change its ciphertext, and that is caught.
	// (With the key, an edited fact is named: internal/store's
	// TestVerifyNamesAnEditedRegisterRowMessageOrSnapshot.)
	var state string
	require.NoError(t, storeDB(t, dataDir).QueryRowContext(t.Context(), `SELECT state FROM incident_snapshots WHERE incident_id = ? ORDER BY version DESC LIMIT 1`, e.id).Scan(&state))
	require.NotContains(t, state, "subjects_count", "the snapshot is sealed at rest")
	_, err = storeDB(t, dataDir).ExecContext(t.Context(), `UPDATE incident_snapshots SET state = replace(state, '"sealed":"', '"sealed":"AAAA') WHERE incident_id = ?`, e.id)
	require.NoError(t, err)
	_, v = c.do("GET", "/api/v1/incidents/"+e.id+"/timeline/verify", adminToken, nil)
	require.Equal(t, false, v["ok"], "an edited snapshot is caught: %v", v)
	require.Contains(t, v["reason"], "the snapshot of "+e.id+" after event", "verify names the incident of the edited snapshot: %v", v)
	require.Contains(t, v["reason"], "is sealed and does not open", "%v", v)
	items := v["items"].([]any)
	require.NotEmpty(t, items)
	item := items[0].(map[string]any)["item"].(string)
	require.Regexp(t, `^snapshot after event \d+ \([a-z]+\.[a-z_.]+( [A-Za-z0-9_/-]+)?\)$`, item, "the item names the change the snapshot followed: %v", v)
	for _, secret := range []string{"12000", "Dana Okafor", "storage bucket"} {
		require.NotContains(t, v["reason"], secret, "naming the snapshot shows none of its content")
	}
}

// TestSentNoticeKeepsItsTextWhenOnlyItsOwnHistoryExpired: a sent notice's
// workflow ends long before its incident's, so Temporal's retention can
// delete it while the incident is still open. The notice list then still
// carries the text that was sent, from the kept message.
func TestSentNoticeKeepsItsTextWhenOnlyItsOwnHistoryExpired(t *testing.T) {
	smtp := smtptest.Start(t)
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-time.Hour), gdprFacts)
	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	noticeID := n["id"].(string)
	e.approveAndSend(t, noticeID)
	msgs := smtp.WaitForMessages(t, 1, 30*time.Second)
	sent := e.waitStatus(t, noticeID, "sent", 30*time.Second)
	require.NotEmpty(t, sent["text"])
	wid := workflows.NoticeWorkflowID(e.id, noticeID)
	require.Eventually(t, func() bool {
		d, err := m.client.DescribeWorkflowExecution(t.Context(), wid, "")
		return err == nil && d.WorkflowExecutionInfo.GetCloseTime() != nil
	}, 30*time.Second, 100*time.Millisecond, "the sent notice's workflow ends")
	_, err := m.client.WorkflowService().DeleteWorkflowExecution(t.Context(), &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: m.Config.TemporalNS, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: wid},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := m.client.DescribeWorkflowExecution(t.Context(), wid, "")
		var nf *serviceerror.NotFound
		return errors.As(err, &nf)
	}, 60*time.Second, 200*time.Millisecond, "Temporal forgets the notice's workflow")

	code, inc := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", inc)
	require.NotEqual(t, true, inc["archived"], "the incident itself is still live")
	code, list := c.do("GET", "/api/v1/incidents/"+e.id+"/notices", dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", list)
	require.Len(t, list["notices"], 1)
	got := list["notices"].([]any)[0].(map[string]any)
	require.Equal(t, sent["text"], got["text"], "the list shows the text that was sent, not an empty body")
	require.Equal(t, sent["html"], got["html"])
	require.Equal(t, msgs[0].Text, strings.ReplaceAll(got["text"].(string), "\n", "\r\n"), "it is the text the authority's server received")
	require.NotEmpty(t, got["attempts"])
}
