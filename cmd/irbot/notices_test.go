package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

func smtpEnv(s *smtptest.Server) map[string]string {
	return map[string]string{"SMTP_ADDR": s.Addr, "SMTP_TLS": "none", "SMTP_FROM": "irbot@example.com"}
}

// gdprFacts are the Art. 33(3) facts; leave names out to test missing content.
var gdprFacts = map[string]any{
	"nature":          "An unauthenticated storage bucket exposed the customer database export.",
	"data_categories": []string{"names", "email addresses", "hashed passwords"},
	"subjects_count":  12000,
	"records_count":   15500,
	"dpo_contact":     "Dana Okafor, dpo@example.com, +49 30 1234567",
	"consequences":    "Phishing aimed at the customers; password reuse attacks.",
	"measures":        "Bucket closed, passwords reset, customers warned.",
}

type noticeEnv struct {
	c  apiClient
	id string
}

// declareBreach declares a live GDPR incident through the API, aware at
// aware, and sets the facts given.
func declareBreach(t *testing.T, c apiClient, mode string, aware time.Time, facts map[string]any, skip ...string) noticeEnv {
	t.Helper()
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{
		"title": "Customer database exposed", "aware_at": aware.UTC().Format(time.RFC3339Nano), "regimes": []string{"eu-gdpr"}, "mode": mode,
	})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	for _, name := range []string{"nature", "data_categories", "subjects_count", "records_count", "dpo_contact", "consequences", "measures", "flags"} {
		v, ok := facts[name]
		if !ok || contains(skip, name) {
			continue
		}
		c.act(dpoToken, id, map[string]any{"type": "set_fact", "name": name, "value": v})
	}
	return noticeEnv{c: c, id: id}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (e noticeEnv) draft(t *testing.T, token string, body map[string]any) map[string]any {
	t.Helper()
	code, n := e.c.do("POST", "/api/v1/incidents/"+e.id+"/notices", token, body)
	require.Equal(t, http.StatusCreated, code, "drafting must work: %v", n)
	return n
}

func (e noticeEnv) action(token, notice, typ, reason string) (int, map[string]any) {
	return e.c.do("POST", "/api/v1/incidents/"+e.id+"/notices/"+notice+"/actions", token, map[string]any{"type": typ, "reason": reason})
}

func (e noticeEnv) notice(t *testing.T, notice string) map[string]any {
	t.Helper()
	code, list := e.c.do("GET", "/api/v1/incidents/"+e.id+"/notices", dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", list)
	for _, n := range list["notices"].([]any) {
		if n.(map[string]any)["id"] == notice {
			return n.(map[string]any)
		}
	}
	t.Fatalf("notice %s not listed: %v", notice, list)
	return nil
}

func (e noticeEnv) waitStatus(t *testing.T, notice, status string, within time.Duration) map[string]any {
	t.Helper()
	var n map[string]any
	require.Eventually(t, func() bool {
		n = e.notice(t, notice)
		return n["status"] == status
	}, within, 200*time.Millisecond, "notice %s must become %s", notice, status)
	return n
}

func (e noticeEnv) registerFor(t *testing.T) []map[string]any {
	t.Helper()
	code, reg := e.c.do("GET", "/api/v1/register", dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", reg)
	var out []map[string]any
	for _, r := range reg["entries"].([]any) {
		if r.(map[string]any)["incident_id"] == e.id {
			out = append(out, r.(map[string]any))
		}
	}
	return out
}

// waitRegister waits for the incident to record its notices in the register:
// the notice reports to its incident, which writes the entry.
func (e noticeEnv) waitRegister(t *testing.T, n int) []map[string]any {
	t.Helper()
	var reg []map[string]any
	require.Eventually(t, func() bool {
		reg = e.registerFor(t)
		return len(reg) >= n
	}, 20*time.Second, 100*time.Millisecond, "the register must hold %d entries for %s", n, e.id)
	time.Sleep(200 * time.Millisecond) // a second entry would arrive as fast as the first
	reg = e.registerFor(t)
	return reg
}

func (e noticeEnv) hasEvent(kind string) bool {
	for _, k := range timelineKinds(e.c, e.id) {
		if k == kind {
			return true
		}
	}
	return false
}

// approveAndSend has the legal counsel approve a notice the DPO drafted and
// the DPO send it.
func (e noticeEnv) approveAndSend(t *testing.T, notice string) {
	t.Helper()
	code, out := e.action(legalToken, notice, "approve", "checked against Art. 33(3)")
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Equal(t, "approved", out["status"])
	code, out = e.action(dpoToken, notice, "send", "")
	require.Equal(t, http.StatusOK, code, "%v", out)
}

// TestNoticeGDPRArt33ArrivesFromTheApprovedDraft walks a regulator notice
// from draft to register: missing content blocks approval, the drafter cannot
// approve their own notice, and what arrives is the approved text with the
// Message-ID the register records.
func TestNoticeGDPRArt33ArrivesFromTheApprovedDraft(t *testing.T) {
	smtp := smtptest.Start(t)
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts, "measures")

	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	require.Equal(t, "draft", n["status"])
	require.Equal(t, []any{"measures"}, n["missing"], "the draft names the required field not yet known")
	for _, f := range []string{"id", "regime", "obligation", "recipient", "to", "status", "missing", "drafted_by", "approved_by", "message_id", "due_at", "sent_at", "on_time"} {
		require.Contains(t, n, f, "the notice JSON has the contract field %s", f)
	}
	id := n["id"].(string)

	code, out := e.action(legalToken, id, "approve", "")
	require.Equal(t, http.StatusBadRequest, code, "%v", out)
	require.Contains(t, out["error"], "measures", "a draft with missing content cannot be approved")

	c.act(dpoToken, e.id, map[string]any{"type": "set_fact", "name": "measures", "value": gdprFacts["measures"]})
	require.Eventually(t, func() bool { return len(e.notice(t, id)["missing"].([]any)) == 0 }, 20*time.Second, 100*time.Millisecond, "the draft re-renders when facts change")

	code, out = e.action(dpoToken, id, "approve", "")
	require.Equal(t, http.StatusForbidden, code, "%v", out)
	require.Contains(t, out["error"], "two-person rule", "the drafter approving their own notice is refused")

	code, out = e.action(dpoToken, id, "send", "")
	require.Equal(t, http.StatusBadRequest, code, "an unapproved notice is not sent: %v", out)
	// Each refusal is one action.denied naming the notice, recorded by the
	// service (through the API a refused notice action left none).
	denied := deniedEvents(t, c, e.id)
	require.Len(t, denied, 3, "missing content, two-person rule, not approved: %v", denied)
	for i, want := range []string{"notice_approve", "notice_approve", "notice_send"} {
		data := denied[i]["data"].(map[string]any)
		require.Equal(t, want, data["action"])
		require.Equal(t, "api", data["source"])
		require.Contains(t, data["reason"], "notice "+id)
	}

	e.approveAndSend(t, id)
	msgs := smtp.WaitForMessages(t, 1, 30*time.Second)
	sent := e.waitStatus(t, id, "sent", 30*time.Second)
	require.Len(t, msgs, 1)
	got := msgs[0]
	require.Equal(t, []string{"breach@dpa.example"}, got.To)
	require.Equal(t, sent["message_id"], got.MessageID, "the message carries the notice's Message-ID")
	require.Contains(t, got.Subject, "Art. 33 GDPR")
	require.Equal(t, sent["subject"], got.Subject)
	require.Equal(t, strings.TrimSpace(sent["text"].(string)), strings.TrimSpace(strings.ReplaceAll(got.Text, "\r\n", "\n")), "what arrives is the approved draft")
	for _, want := range []string{gdprFacts["nature"].(string), "names, email addresses, hashed passwords", "12000", "15500",
		gdprFacts["dpo_contact"].(string), gdprFacts["consequences"].(string), gdprFacts["measures"].(string)} {
		require.Contains(t, got.Text, want, "every Art. 33(3) field is in the notice")
	}
	require.NotContains(t, got.Text, "to be completed")
	require.Contains(t, got.HTML, "Nature of the personal data breach")
	require.Equal(t, true, sent["on_time"])
	require.Equal(t, "U0000000002", sent["approved_by"])

	reg := e.waitRegister(t, 1)
	require.Len(t, reg, 1, "the register holds the notice: %v", reg)
	require.Equal(t, got.MessageID, reg[0]["message_id"])
	require.Equal(t, templates.ContentHash(sent["subject"].(string), sent["text"].(string), sent["html"].(string)), reg[0]["content_hash"])
	require.Equal(t, true, reg[0]["on_time"])
	require.Equal(t, []any{"breach@dpa.example"}, reg[0]["to"])

	_, st := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	for _, raw := range st["clocks"].([]any) {
		clk := raw.(map[string]any)
		if clk["obligation"] == "supervisory-authority" {
			require.Equal(t, "met", clk["status"], "the delivered notice settles the clock")
		}
	}
	for _, k := range []string{"notice.drafted", "notice.approved", "notice.attempt", "notice.sent", "notification.recorded"} {
		require.True(t, e.hasEvent(k), "the timeline shows %s", k)
	}
}

// TestNoticeRetriesTemporaryRepliesAndStopsOnPermanentOnes: 451 twice then
// 250 delivers once; 550 stops at once, asks a person, and leaves the clock
// escalating.
func TestNoticeRetriesTemporaryRepliesAndStopsOnPermanentOnes(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	smtp := smtptest.Start(t)
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}

	smtp.ReplyDataWith(451, 451, 250)
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts)
	id := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})["id"].(string)
	e.approveAndSend(t, id)
	sent := e.waitStatus(t, id, "sent", 60*time.Second)
	require.Len(t, smtp.Messages(), 1, "delivered once")
	require.Equal(t, 3, smtp.Attempts())
	attempts := sent["attempts"].([]any)
	require.Len(t, attempts, 3)
	require.EqualValues(t, 451, attempts[0].(map[string]any)["code"])
	require.Equal(t, "temporary", attempts[1].(map[string]any)["outcome"])
	require.Equal(t, "delivered", attempts[2].(map[string]any)["outcome"])
	require.Len(t, e.waitRegister(t, 1), 1)
	writeHistory(t, m, workflows.NoticeWorkflowID(e.id, id), "notice-451-retried-sent")

	// 550: the clock is due 40 s from now so its overdue escalation comes
	// after the failure.
	// The refusal is scripted for the notice's address only: the clock's
	// escalation emails to the DPO and legal go through the same server.
	smtp.RejectRcpt("breach@dpa.example", 550)
	e2 := declareBreach(t, c, "live", time.Now().Add(-72*time.Hour+40*time.Second), gdprFacts)
	id2 := e2.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})["id"].(string)
	e2.approveAndSend(t, id2)
	failed := e2.waitStatus(t, id2, "failed", 30*time.Second)
	require.Contains(t, failed["reason"], "550")
	require.Len(t, failed["attempts"].([]any), 1, "a permanent reply is not retried")
	require.True(t, e2.hasEvent("notice.failed"))
	var st map[string]any
	require.Eventually(t, func() bool {
		_, st = c.do("GET", "/api/v1/incidents/"+e2.id, dpoToken, nil)
		for _, raw := range st["tasks"].([]any) {
			task := raw.(map[string]any)
			if strings.HasPrefix(task["id"].(string), "notice-") && task["done"] == false {
				return strings.Contains(task["title"].(string), "not delivered")
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond, "a person is asked to act (a task on the incident)")
	for _, raw := range st["clocks"].([]any) {
		clk := raw.(map[string]any)
		if clk["obligation"] == "supervisory-authority" {
			require.Contains(t, []any{"running", "overdue"}, clk["status"], "a failed notice does not settle the clock")
		}
	}
	require.Eventually(t, func() bool { return e2.hasEvent("clock.overdue") }, 90*time.Second, 500*time.Millisecond,
		"the clock keeps escalating after the failed delivery")
	require.Len(t, e2.notice(t, id2)["attempts"].([]any), 1, "no retry after 550")
	var alerts int
	for _, msg := range smtp.Messages() {
		if msg.Header.Get("X-Irbot-Incident") == e2.id && msg.Header.Get("X-Irbot-Alert") != "" {
			alerts++
		}
	}
	require.Positive(t, alerts, "the DPO and legal are emailed as the clock escalates")
	require.Empty(t, e2.registerFor(t), "nothing delivered, nothing registered")
}

// TestNoticeDroppedAfterDataAndWorkerRestartedKeepsOneMessageID: the peer
// takes the message and drops the connection before answering; the whole
// server then stops and starts again. The notice is delivered, every copy
// carries the same Message-ID, and the register holds one entry.
func TestNoticeDroppedAfterDataAndWorkerRestartedKeepsOneMessageID(t *testing.T) {
	smtp := smtptest.Start(t)
	smtp.DropAfterData(1)
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMainEnv(t, dataDir, smtpEnv(smtp))
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts)
	id := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})["id"].(string)
	e.approveAndSend(t, id)
	smtp.WaitForMessages(t, 1, 30*time.Second)
	require.Eventually(t, func() bool { return e.hasEvent("notice.attempt") }, 20*time.Second, 100*time.Millisecond)
	require.NoError(t, m.Close(), "the worker is killed after the uncertain attempt")

	m = startMainEnv(t, dataDir, smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	e.c.base = "http://" + m.Addr()
	sent := e.waitStatus(t, id, "sent", 60*time.Second)
	msgs := smtp.Messages()
	require.GreaterOrEqual(t, len(msgs), 2, "the uncertain copy and the retry")
	for _, msg := range msgs {
		require.Equal(t, sent["message_id"], msg.MessageID, "every copy carries the same Message-ID")
	}
	attempts := sent["attempts"].([]any)
	require.Equal(t, true, attempts[0].(map[string]any)["uncertain"])
	reg := e.waitRegister(t, 1)
	require.Len(t, reg, 1, "the register holds one notice: %v", reg)
	require.Equal(t, sent["message_id"], reg[0]["message_id"])
}

func postCSV(t *testing.T, c apiClient, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func customerNotice(t *testing.T, e noticeEnv) string {
	t.Helper()
	id := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "data-subjects"})["id"].(string)
	code, out := e.action(legalToken, id, "approve", "plain language checked")
	require.Equal(t, http.StatusOK, code, "%v", out)
	return id
}

// TestNoticeCampaignOf1000InterruptedAndResumedDeliversEachOnce stops the whole
// server in the middle of a 1,000-person campaign and starts it again.
func TestNoticeCampaignOf1000InterruptedAndResumedDeliversEachOnce(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	smtp := smtptest.Start(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMainEnv(t, dataDir, smtpEnv(smtp))
	c := apiClient{t: t, base: "http://" + m.Addr()}
	facts := map[string]any{"flags": []string{"high_risk"}}
	for k, v := range gdprFacts {
		facts[k] = v
	}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), facts)
	id := customerNotice(t, e)

	code, body := postCSV(t, c, "/api/v1/incidents/"+e.id+"/campaigns?notice="+id, dpoToken, "email,name,jurisdiction,language\nann@example.com,Ann,DE,de\nbroken,Bob,DE,de\n")
	require.Equal(t, http.StatusBadRequest, code, body)
	require.Contains(t, body, `"row": 3`, "the bad row is reported by its line")
	require.Empty(t, smtp.Messages(), "nothing starts while a row is bad")

	var csv strings.Builder
	csv.WriteString("email,name,jurisdiction,language\n")
	for i := range 1000 {
		fmt.Fprintf(&csv, "person%04d@example.com,Person %d,DE,de\n", i, i)
	}
	code, body = postCSV(t, c, "/api/v1/incidents/"+e.id+"/campaigns?notice="+id, dpoToken, csv.String())
	require.Equal(t, http.StatusAccepted, code, body)

	smtp.WaitForMessages(t, 300, 60*time.Second)
	require.NoError(t, m.Close(), "the server stops mid-campaign")
	stoppedAt := len(smtp.Messages())
	require.Less(t, stoppedAt, 1000, "the campaign was interrupted")

	m = startMainEnv(t, dataDir, smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	e.c.base = "http://" + m.Addr()
	e.waitStatus(t, id, "sent", 120*time.Second)
	msgs := smtp.Messages()
	byAddr := map[string]string{}
	for _, msg := range msgs {
		require.Len(t, msg.To, 1)
		if prev, ok := byAddr[msg.To[0]]; ok {
			require.Equal(t, prev, msg.MessageID, "a repeat would carry the same Message-ID")
		}
		byAddr[msg.To[0]] = msg.MessageID
	}
	t.Logf("stopped after %d messages; %d messages in all", stoppedAt, len(msgs))
	require.Len(t, byAddr, 1000, "every person reached")
	require.Len(t, msgs, 1000, "nobody reached twice")
	require.Contains(t, msgs[0].Text, "Dear Person 0,")
	require.True(t, e.hasEvent("campaign.completed"))
	reg := e.waitRegister(t, 1)
	require.Len(t, reg, 1)
	require.Equal(t, "data-subjects", reg[0]["obligation"])
	writeHistory(t, m, workflows.CampaignWorkflowID(e.id, id), "campaign-interrupted-resumed")
}

// TestNoticeDrillFromDeclareToCloseSendsOnlyToTheSink runs a drill end to end:
// nothing reaches a real recipient and nothing enters the register.
func TestNoticeDrillFromDeclareToCloseSendsOnlyToTheSink(t *testing.T) {
	smtp := smtptest.Start(t)
	env := smtpEnv(smtp)
	env["IRBOT_DRILL_MAIL_SINK"] = "drill-sink@example.com"
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), env)
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	facts := map[string]any{"flags": []string{"high_risk"}}
	for k, v := range gdprFacts {
		facts[k] = v
	}
	e := declareBreach(t, c, "drill", time.Now().Add(-time.Hour), facts)
	require.True(t, strings.HasPrefix(e.id, "DRILL-"), e.id)

	id := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})["id"].(string)
	e.approveAndSend(t, id)
	e.waitStatus(t, id, "sent", 30*time.Second)
	cid := customerNotice(t, e)
	code, body := postCSV(t, c, "/api/v1/incidents/"+e.id+"/campaigns?notice="+cid, dpoToken, "email,name\nann@example.com,Ann\nbob@example.com,Bob\n")
	require.Equal(t, http.StatusAccepted, code, body)
	e.waitStatus(t, cid, "sent", 60*time.Second)

	_, st := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	for _, raw := range st["clocks"].([]any) {
		clk := raw.(map[string]any)
		if clk["status"] == "running" || clk["status"] == "overdue" {
			c.act(dpoToken, e.id, map[string]any{"type": "decide_not_to_notify", "regime": clk["regime"], "obligation": clk["obligation"], "reason": "Drill: documented as not required for the exercise."})
		}
	}
	out := c.act(adminToken, e.id, map[string]any{"type": "close", "reason": "drill over"})
	require.Equal(t, "closed", out["status"])

	msgs := smtp.Messages()
	require.Len(t, msgs, 3, "the regulator notice and two letters, all to the sink")
	for _, msg := range msgs {
		require.Equal(t, []string{"drill-sink@example.com"}, msg.To, "no drill mail reaches a real recipient")
		require.True(t, strings.HasPrefix(msg.Subject, "[DRILL]"), msg.Subject)
		require.Equal(t, "true", msg.Header.Get("X-Irbot-Drill"))
		require.Contains(t, msg.Text, "THIS IS A DRILL")
	}
	require.Empty(t, e.registerFor(t), "drills never enter the register")
}

// TestNoticeInGermanFromTheAPI: a draft asks for German; a language that is
// not a tag, or has no template for the obligation, is a 400 that says so;
// the German notice is what arrives, with Content-Language: de, and its
// language is on the notice, on the timeline and in the stored message.
func TestNoticeInGermanFromTheAPI(t *testing.T) {
	smtp := smtptest.Start(t)
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts, "measures")

	path := "/api/v1/incidents/" + e.id + "/notices"
	for lang, why := range map[string]string{
		"xx":      `language "xx" is not a known BCP 47 language tag`,
		"es":      `no eu-gdpr/supervisory-authority notice template in language "es"; it exists in en, de, fr`,
		"de\x00":  "is not a BCP 47 language tag",
		"Deutsch": "is not a known BCP 47 language tag",
	} {
		code, out := c.do("POST", path, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}, "language": lang})
		require.Equal(t, http.StatusBadRequest, code, "language %q: %v", lang, out)
		require.Contains(t, out["error"], why)
	}

	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}, "language": "DE"})
	require.Equal(t, "de", n["language"], "the tag is kept in canonical form")
	require.Equal(t, "de/eu-gdpr.supervisory-authority", n["template"])
	require.Contains(t, n["text"], "[noch zu ergänzen: Ergriffene oder vorgeschlagene Maßnahmen]", "the missing field is flagged in German")
	require.Equal(t, []any{"measures"}, n["missing"])
	id := n["id"].(string)
	c.act(dpoToken, e.id, map[string]any{"type": "set_fact", "name": "measures", "value": gdprFacts["measures"]})
	require.Eventually(t, func() bool { return len(e.notice(t, id)["missing"].([]any)) == 0 }, 20*time.Second, 100*time.Millisecond)

	// The regulator-notice gate approves this notice: approving the gate by
	// hand is refused (it would let one person stand for the notice's two),
	// and the notice's own two-person approval satisfies it.
	code, out := c.do("POST", "/api/v1/incidents/"+e.id+"/actions", legalToken, map[string]any{"type": "approve", "gate": "regulator-notice-approval"})
	require.Equal(t, http.StatusBadRequest, code, "%v", out)
	require.Contains(t, out["error"], "is satisfied when notice "+id+" is approved by a second person")

	e.approveAndSend(t, id)
	msgs := smtp.WaitForMessages(t, 1, 30*time.Second)
	sent := e.waitStatus(t, id, "sent", 30*time.Second)
	_, st := c.do("GET", "/api/v1/incidents/"+e.id, adminToken, nil)
	var gate map[string]any
	for _, g := range st["gates"].([]any) {
		if g.(map[string]any)["id"] == "regulator-notice-approval" {
			gate = g.(map[string]any)
		}
	}
	require.NotNil(t, gate, "the playbook has the regulator-notice gate")
	require.Equal(t, true, gate["approved"], "the notice's two-person approval approved its gate")
	require.Len(t, gate["approvals"], 2, "by the drafter and the second person")
	got := msgs[0]
	require.Equal(t, "de", got.Header.Get("Content-Language"))
	require.Contains(t, got.Subject, "Meldung einer Verletzung des Schutzes personenbezogener Daten gemäß Art. 33 DSGVO")
	for _, want := range []string{"Art der Verletzung des Schutzes personenbezogener Daten", gdprFacts["measures"].(string), "15500"} {
		require.Contains(t, got.Text, want)
	}
	require.NotContains(t, got.Text, "to be completed")
	require.NotContains(t, got.Text, "Nature of the personal data breach")
	require.Contains(t, got.HTML, `lang="de"`)
	require.Equal(t, "de", sent["language"])

	reg := e.waitRegister(t, 1)
	require.Equal(t, "de", reg[0]["language"], "the register row says the language the notice was sent in")
	_, list := c.do("GET", path, dpoToken, nil)
	require.Equal(t, "de", list["notices"].([]any)[0].(map[string]any)["language"], "the notice list shows the language")
	_, tl := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline", adminToken, nil)
	langs := map[string]any{}
	for _, ev := range tl["events"].([]any) {
		ev := ev.(map[string]any)
		if d, ok := ev["data"].(map[string]any); ok && d["language"] != nil {
			langs[ev["kind"].(string)] = d["language"]
		}
	}
	require.Equal(t, map[string]any{"notice.drafted": "de", "notice.sent": "de", "notification.recorded": "de"}, langs, "the timeline (and so the evidence pack) records the language")

	code, _, raw := getRaw(t, c, path+"/"+id+"/message", dpoToken)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(raw), "Content-Language: de\r\n", "the stored message, as the evidence pack holds it, says its language")

	// The history of a notice with a language (its input, the header of its
	// send) is replayed by workflows/.
	require.NoError(t, m.client.GetWorkflow(t.Context(), workflows.NoticeWorkflowID(e.id, id), "").Get(t.Context(), nil))
	writeHistory(t, m, workflows.NoticeWorkflowID(e.id, id), "notice-german-sent")
}
