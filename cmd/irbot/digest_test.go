package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/workflows"
)

// TestDigestScheduleRunsFromItsCron: serve creates the digest as a Temporal
// Schedule from IRBOT_DIGEST_CRON; triggering it runs the digest over the
// open incidents' clocks.
func TestDigestScheduleRunsFromItsCron(t *testing.T) {
	m := startMain(t, filepath.Join(t.TempDir(), "data"))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	code, _ := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Exposed bucket", "regimes": []string{"eu-gdpr"}})
	require.Equal(t, http.StatusCreated, code)

	h := m.client.ScheduleClient().GetHandle(t.Context(), schedule.DigestScheduleID)
	desc, err := h.Describe(t.Context())
	require.NoError(t, err, "serve must create the digest schedule")
	require.NotEmpty(t, desc.Info.NextActionTimes, "the schedule has upcoming runs from its cron")

	require.NoError(t, h.Trigger(t.Context(), client.ScheduleTriggerOptions{}))
	var runID string
	require.Eventually(t, func() bool {
		d, err := h.Describe(t.Context())
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		runID = d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		return runID != ""
	}, 20*time.Second, 100*time.Millisecond)
	var res workflows.DigestResult
	require.NoError(t, m.client.GetWorkflow(t.Context(), runID, "").Get(t.Context(), &res))
	require.Equal(t, 1, res.Incidents)
	require.GreaterOrEqual(t, res.Open, 1, "the GDPR supervisory-authority clock is open")
	writeHistory(t, m, runID, "digest-run")
}

// TestDigestReachesTheComplianceChannelAndEmail: the daily digest, with the
// signed checkpoint of every chain head, is posted in
// IRBOT_COMPLIANCE_CHANNEL (a strict fake Slack) and emailed (real SMTP) to
// everyone holding the compliance role, so a copy of the chain heads is
// held outside the database, as the README promises.
func TestDigestReachesTheComplianceChannelAndEmail(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	t.Cleanup(func() { require.Empty(t, fake.Rejections(), "every message must pass Slack's rules") })
	compliance := fake.AddChannel(slackfake.Channel{Name: "compliance-digest"})
	smtp := smtptest.Start(t)
	dir := t.TempDir()
	users := filepath.Join(dir, "users.yaml")
	require.NoError(t, os.WriteFile(users, []byte(`users:
  - name: Cam Compliance
    email: cam@example.com
    slack_id: U0000000042
    roles: [compliance]
  - name: Rae Responder
    email: rae@example.com
    slack_id: U0000000003
    roles: [responder]
    token_sha256: `+auth.HashToken(responderToken)+`
`), 0o600))
	env := smtpEnv(smtp)
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test-0000000000", "SLACK_SIGNING_SECRET": slackSecret, "SLACK_API_URL": fake.APIURL(),
		"IRBOT_ANNOUNCE_CHANNEL": "CANNOUNCE1", "IRBOT_COMPLIANCE_CHANNEL": compliance, "IRBOT_USERS_FILE": users,
	} {
		env[k] = v
	}
	m, _ := startMainWith(t, filepath.Join(dir, "data"), env)
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Exposed bucket · 公開", "regimes": []string{"eu-gdpr"}})
	require.Equal(t, http.StatusCreated, code, "%v", inc)

	h := m.client.ScheduleClient().GetHandle(t.Context(), schedule.DigestScheduleID)
	require.NoError(t, h.Trigger(t.Context(), client.ScheduleTriggerOptions{}))
	var posted string
	require.Eventually(t, func() bool {
		posted = ""
		for _, msg := range fake.Messages(compliance) {
			posted += msg.Text
		}
		return strings.Contains(posted, "Chain checkpoint")
	}, 30*time.Second, 100*time.Millisecond, "the digest reaches the compliance channel")
	require.Contains(t, posted, inc["id"].(string), "the digest lists the open incident's clocks")

	var mailed smtptest.Received
	require.Eventually(t, func() bool {
		for _, r := range smtp.Messages() {
			if strings.Contains(r.Subject, "irbot digest") {
				mailed = r
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the digest is emailed")
	require.Equal(t, []string{"cam@example.com"}, mailed.To, "only the compliance role gets it")

	// Both carry the checkpoint that the store holds, signature and all.
	cp, err := m.store.LatestCheckpoint(t.Context())
	require.NoError(t, err)
	require.NoError(t, cp.CheckSignature())
	require.Contains(t, posted, cp.Signature)
	require.Contains(t, mailed.Text, cp.Signature)
}
