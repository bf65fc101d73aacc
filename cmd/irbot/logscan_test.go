package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/internal/smtptest"
)

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The secrets and personal data of the log scan: none may reach a log line.
const (
	scanBotToken   = "xoxb-4815162342-scan-bot-token-0001"
	scanSigning    = "scan-signing-secret-7f3a9c0e"
	scanSMTPUser   = "irbot-mailer"
	scanSMTPPass   = "smtp-Pa55word-scan-0001"
	scanRecipient  = "breach-desk@dpa-scan.example"
	scanCustomer   = "grete.kowalczyk@customer-scan.example"
	scanCustName   = "Grete Kowalczyk"
	scanFactPerson = "Wojciech Brzęczyszczykiewicz"
	scanFactEmail  = "w.brzeczyszczykiewicz@victim-scan.example"
	scanFactPhone  = "+48 22 555 01 99"
	scanNature     = "The payroll export of Wojciech Brzęczyszczykiewicz was left in a public share."
)

// TestLogsCarryNoSecretsOrPersonalData runs a whole live incident with Slack
// (HTTP mode, the strict fake), SMTP with AUTH and a refused recipient on the
// first try, a regulator notice and a customer campaign, with every log line
// of the process captured at debug level (irbot's logger, the Temporal SDK's
// and the embedded Temporal server's). Then it scans them: no Slack token or
// signing secret, no admin or user token, no SMTP password, no email address
// of a recipient, a customer or a fact, no name or phone set as a fact, and
// no line of the notice's text.
func TestLogsCarryNoSecretsOrPersonalData(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	smtp := smtptest.Start(t, smtptest.WithAuth(scanSMTPUser, scanSMTPPass))
	smtp.ReplyRcptWith(451) // a temporary refusal: the error path logs too
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	logs := &lockedBuffer{}
	env := smtpEnv(smtp)
	for k, v := range map[string]string{
		"SMTP_USERNAME": scanSMTPUser, "SMTP_PASSWORD": scanSMTPPass,
		"SLACK_BOT_TOKEN": scanBotToken, "SLACK_SIGNING_SECRET": scanSigning, "SLACK_API_URL": fake.APIURL(),
		"IRBOT_ANNOUNCE_CHANNEL": "CANNOUNCE1", "IRBOT_LOG_LEVEL": "debug", "IRBOT_TEMPORAL_LOG_LEVEL": "info",
	} {
		env[k] = v
	}
	m, _ := startMainLogging(t, filepath.Join(t.TempDir(), "data"), env, logs)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = m.Close()
		}
	})
	c := apiClient{t: t, base: "http://" + m.Addr()}

	// Declared and noticed through the API, worked in Slack too (the card,
	// a note by slash command, a forged request).
	facts := map[string]any{"flags": []string{"high_risk"}}
	for k, v := range gdprFacts {
		facts[k] = v
	}
	facts["nature"] = scanNature
	facts["dpo_contact"] = scanFactPerson + ", " + scanFactEmail + ", " + scanFactPhone
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), facts)
	id := e.id
	var channel string
	require.Eventually(t, func() bool {
		for _, ch := range fake.Channels() {
			if strings.HasPrefix(ch.Name, "inc-") {
				channel = ch.ID
			}
		}
		return channel != "" && currentCard(t, fake, channel).ts != ""
	}, 30*time.Second, 50*time.Millisecond, "the incident channel and its card must appear")
	sc := &slackClient{t: t, base: "http://" + m.Addr(), secret: scanSigning}
	sc.command("U0000000003", channel, "note Called "+scanFactPerson+" on "+scanFactPhone, fake.ResponseURL("note"))
	require.Eventually(t, func() bool { return slices.Contains(timelineKinds(c, id), "note.added") }, 15*time.Second, 50*time.Millisecond,
		"the note from Slack is on the timeline")
	forged := &slackClient{t: t, base: sc.base, secret: "not-the-secret"}
	require.Equal(t, http.StatusUnauthorized, forged.status("/slack/commands", "command=%2Fincident&text=status"))

	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{scanRecipient}})
	notice := n["id"].(string)
	e.approveAndSend(t, notice)
	e.waitStatus(t, notice, "sent", 60*time.Second)
	cid := customerNotice(t, e)
	code, body := postCSV(t, c, "/api/v1/incidents/"+id+"/campaigns?notice="+cid, dpoToken, "email,name\n"+scanCustomer+","+scanCustName+"\n")
	require.Equal(t, http.StatusAccepted, code, body)
	e.waitStatus(t, cid, "sent", 60*time.Second)
	msgs := smtp.WaitForMessages(t, 2, 30*time.Second)
	require.Equal(t, scanSMTPUser, msgs[0].AuthUser, "the notice went through SMTP AUTH")
	require.Contains(t, msgs[0].Text, scanFactPerson, "control: the notice carries the personal data")

	require.NoError(t, m.Close())
	stopped = true

	secrets := map[string]string{
		"Slack bot token": scanBotToken, "Slack signing secret": scanSigning, "admin token": adminToken,
		"DPO token": dpoToken, "legal token": legalToken, "responder token": responderToken,
		"SMTP password": scanSMTPPass, "recipient address": scanRecipient, "customer address": scanCustomer,
		"customer name": scanCustName, "name in a fact": scanFactPerson, "email in a fact": scanFactEmail,
		"phone in a fact": scanFactPhone, "fact text": scanNature,
	}
	// Every line of the notices' text of some length: a template's sentence
	// or the facts it quotes.
	for i, msg := range msgs {
		for _, line := range strings.Split(msg.Text, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 30 {
				secrets[fmt.Sprintf("notice %d text %q", i, line)] = line
			}
		}
	}
	out := logs.String()
	lines := 0
	var leaks []string
	email := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	sc2 := bufio.NewScanner(strings.NewReader(out))
	sc2.Buffer(make([]byte, 1<<20), 16<<20)
	for sc2.Scan() {
		line := sc2.Text()
		lines++
		for what, v := range secrets {
			for form, enc := range encodedForms(v) {
				if strings.Contains(strings.ToLower(line), strings.ToLower(string(enc))) {
					leaks = append(leaks, fmt.Sprintf("%s (%s) in: %.300s", what, form, line))
				}
			}
		}
		for _, addr := range email.FindAllString(line, -1) {
			if !slices.Contains([]string{"irbot@example.com"}, addr) {
				leaks = append(leaks, fmt.Sprintf("email address %s in: %.300s", addr, line))
			}
		}
	}
	require.NoError(t, sc2.Err())
	t.Logf("scanned %d log lines (%d bytes) for %d values", lines, len(out), len(secrets))
	require.Greater(t, lines, 20, "control: the capture must see the process's log lines")
	require.Contains(t, out, id, "control: the lines are about this incident")
	require.Empty(t, leaks, "log lines must carry no secret and no personal data")
}
