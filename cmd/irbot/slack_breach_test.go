package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/internal/smtptest"
	tpl "github.com/irbot/irbot/templates/slack"
)

// submitView sends a modal submission as Slack does and returns irbot's
// acknowledgement (errors keep the modal open).
func (c *slackClient) submitView(user, viewID, callbackID, metadata string, values map[string]map[string]any) string {
	state := map[string]any{}
	for block, v := range values {
		state[block] = map[string]any{tpl.InputAction: v}
	}
	b, err := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user, "name": strings.ToLower(user)},
		"view": map[string]any{"id": viewID, "callback_id": callbackID, "private_metadata": metadata, "state": map[string]any{"values": state}},
	})
	require.NoError(c.t, err)
	return c.post("/slack/interactions", url.Values{"payload": {string(b)}}.Encode())
}

func textInput(v string) map[string]any {
	return map[string]any{"type": "plain_text_input", "value": v}
}

// TestSlackOnlyGDPRBreachFromDeclareToSentNotice: a responder who
// never leaves Slack takes a GDPR breach from declaration to a sent Art. 33
// notice and closes it, against the real server, the strict Slack fake and a
// real SMTP server, with no API call: declare modal, facts modal, notify
// modal, a second person's approval, send, status update, the internal
// record, close. The channel says what changed at each step.
func TestSlackOnlyGDPRBreachFromDeclareToSentNotice(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	smtp := smtptest.Start(t)
	t.Cleanup(func() {
		require.Empty(t, fake.Rejections(), "every message and view irbot sent must pass Slack's Block Kit rules")
	})
	env := smtpEnv(smtp)
	for k, v := range map[string]string{"SLACK_BOT_TOKEN": "xoxb-test-0000000000", "SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_API_URL": fake.APIURL(), "IRBOT_ANNOUNCE_CHANNEL": "CANNOUNCE1"} {
		env[k] = v
	}
	m, _ := startMainWith(t, filepath.Join(t.TempDir(), "data"), env)
	t.Cleanup(func() { _ = m.Close() })
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	const dana, lee, rae = "U0000000001", "U0000000002", "U0000000003" // dpo, legal, responder

	// Declare from the modal, with eu-gdpr and Rae as commander.
	sc.submitView(rae, "V-declare", tpl.CallbackDeclare, "CGENERAL1", map[string]map[string]any{
		tpl.BlockTitle:        textInput("Customer database exposed"),
		tpl.BlockSeverity:     {"type": "static_select", "selected_option": map[string]any{"value": "high"}},
		tpl.BlockAwareAt:      {"type": "datetimepicker", "selected_date_time": time.Now().Add(-time.Hour).Unix()},
		tpl.BlockPersonalData: {"type": "radio_buttons", "selected_option": map[string]any{"value": "yes"}},
		tpl.BlockRegimes:      {"type": "multi_static_select", "selected_options": []any{map[string]any{"value": "eu-gdpr"}}},
		tpl.BlockCommander:    {"type": "users_select", "selected_user": rae},
		tpl.BlockMode:         {"type": "radio_buttons", "selected_option": map[string]any{"value": "live"}},
	})
	var channel, id string
	require.Eventually(t, func() bool {
		for _, c := range fake.Channels() {
			if strings.HasPrefix(c.Name, "inc-") {
				channel = c.ID
			}
		}
		if channel == "" {
			return false
		}
		cd := currentCard(t, fake, channel)
		id, _, _ = strings.Cut(strings.TrimPrefix(cd.text, "[irbot card "), "]")
		return cd.ts != "" && strings.Contains(cd.blocks, "supervisory-authority")
	}, 30*time.Second, 50*time.Millisecond, "the incident channel and its card with the GDPR clock must appear")

	lastView := func(callback string, n int) string {
		t.Helper()
		var view string
		require.Eventually(t, func() bool {
			calls := fake.OKCalls("views.open")
			count := 0
			for _, c := range calls {
				if strings.Contains(c.Params["view"], `"callback_id":"`+callback+`"`) {
					count++
					view = c.Params["view"]
				}
			}
			return count == n
		}, 15*time.Second, 50*time.Millisecond, "modal %s #%d must open", callback, n)
		return view
	}
	ephemeralTo := func(user, contains string) string {
		t.Helper()
		var got string
		require.Eventually(t, func() bool {
			for _, e := range fake.Ephemerals() {
				if e.User == user && (strings.Contains(e.Text, contains) || strings.Contains(string(e.Blocks), contains)) {
					got = e.Text + "\n" + string(e.Blocks)
					return true
				}
			}
			return false
		}, 20*time.Second, 50*time.Millisecond, "%s must be told privately %q; ephemerals: %v", user, contains, fake.Ephemerals())
		return got
	}
	channelSays := func(contains string) string {
		t.Helper()
		var got string
		require.Eventually(t, func() bool {
			for _, msg := range fake.Messages(channel) {
				if strings.Contains(msg.Text, contains) {
					got = msg.Text
					return true
				}
			}
			return false
		}, 30*time.Second, 50*time.Millisecond, "the channel must say %q; answers: %v; ephemerals: %v", contains, fake.Responses(), fake.Ephemerals())
		return got
	}

	// Facts from the facts modal: every fact, none set yet but personal data.
	sc.command(dana, channel, "facts", fake.ResponseURL("facts"))
	view := lastView(tpl.CallbackFacts, 1)
	for _, f := range tpl.NoticeFacts {
		require.Contains(t, view, tpl.FactBlockID(f.Name), "the facts modal asks for %s", f.Name)
	}
	require.Contains(t, view, "Not set yet.")
	// A count that is not a number keeps the modal open under its field.
	ack := sc.submitView(dana, "V-facts-bad", tpl.CallbackFacts, id, map[string]map[string]any{
		tpl.FactBlockID("records_count"): textInput("about fifteen thousand"),
	})
	require.Contains(t, ack, `"response_action":"errors"`)
	require.Contains(t, ack, tpl.FactBlockID("records_count"))
	require.Contains(t, ack, "whole number")
	sc.submitView(dana, "V-facts", tpl.CallbackFacts, id, map[string]map[string]any{
		tpl.FactBlockID("nature"):          textInput("An unauthenticated storage bucket exposed the customer database export."),
		tpl.FactBlockID("data_categories"): textInput("names, email addresses, hashed passwords"),
		tpl.FactBlockID("subjects_count"):  textInput("12,000"),
		tpl.FactBlockID("records_count"):   textInput("15500"),
		tpl.FactBlockID("dpo_contact"):     textInput("Dana Okafor, dpo@example.com"),
		tpl.FactBlockID("consequences"):    textInput("Phishing aimed at the customers."),
		tpl.FactBlockID("personal_data"):   {"type": "static_select", "selected_option": map[string]any{"value": "yes"}},
		tpl.FactBlockID("affected"):        textInput("DE=9000, FR=3000"),
	})
	said := ephemeralTo(dana, "Facts set:")
	require.Contains(t, said, "Nature of the breach")
	require.NotContains(t, said, "Personal data", "an unchanged fact is not set again")

	// The notify modal: the missing Art. 33(3) field is marked, the known
	// ones prefilled.
	sc.command(dana, channel, "notify eu-gdpr/supervisory-authority", fake.ResponseURL("notify"))
	view = lastView(tpl.CallbackNotify, 1)
	require.Contains(t, view, "Measures taken or proposed (missing)")
	require.Contains(t, view, "An unauthenticated storage bucket exposed the customer database export.", "known facts are prefilled")
	require.Contains(t, view, "Set by \\u003c@"+dana+"\\u003e", "the modal says who set each fact")
	require.Contains(t, view, `"block_id":"`+tpl.BlockNoticeLanguage+`"`, "the modal asks for the notice's language")
	for _, l := range []string{"English (en)", "Deutsch (de)", "Français (fr)"} {
		require.Contains(t, view, l, "the GDPR notice exists in %s", l)
	}
	require.Contains(t, view, `"initial_option":{"text":{"emoji":true,"text":"English (en)"`, "the EU has no one language: English is preselected")
	// Dana drafts it in German.
	sc.submitView(dana, "V-notify", tpl.CallbackNotify, tpl.Value(id, "eu-gdpr/supervisory-authority"), map[string]map[string]any{
		tpl.BlockNoticeLanguage:          {"type": "static_select", "selected_option": map[string]any{"value": "de"}},
		tpl.BlockRecipients:              textInput("breach@dpa.example"),
		tpl.FactBlockID("nature"):        textInput("An unauthenticated storage bucket exposed the customer database export."),
		tpl.FactBlockID("measures"):      textInput("Bucket closed, passwords reset, customers warned."),
		tpl.FactBlockID("records_count"): textInput("15500"),
	})
	preview := ephemeralTo(dana, "Draft N1")
	require.Contains(t, preview, "Complete.", "every required field is known: %s", preview)
	require.Contains(t, preview, "Bucket closed, passwords reset", "the preview shows the notice text")
	require.Contains(t, preview, "in Deutsch (de)", "the preview says the notice's language")
	require.Contains(t, preview, "Art der Verletzung des Schutzes personenbezogener Daten", "the preview is the German notice")
	channelSays("drafted notice *N1*")

	// Lee approves from /incident notices; Dana sends.
	sc.command(lee, channel, "notices", fake.ResponseURL("lee-list"))
	sc.press(lee, channel, "1772357000.000001", tpl.ActionNoticeApprove, tpl.Value(id, "N1"), fake.ResponseURL("lee-approve"))
	require.Eventually(t, func() bool {
		for _, r := range fake.Responses() {
			if r["_path"] == "lee-approve" && strings.Contains(fmt.Sprint(r["text"]), "approved by") {
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond, "Lee's approval is confirmed")
	sc.press(dana, channel, "1772357000.000002", tpl.ActionNoticeSend, tpl.Value(id, "N1"), fake.ResponseURL("dana-send"))
	msgs := smtp.WaitForMessages(t, 1, 30*time.Second)
	require.Equal(t, []string{"breach@dpa.example"}, msgs[0].To)
	require.Contains(t, msgs[0].Text, "Bucket closed, passwords reset, customers warned.")
	require.Contains(t, msgs[0].Text, "15500")
	require.Equal(t, "de", msgs[0].Header.Get("Content-Language"), "the notice drafted in German says so")
	require.Contains(t, msgs[0].Subject, "gemäß Art. 33 DSGVO")
	require.Contains(t, msgs[0].Text, "Ergriffene oder vorgeschlagene Maßnahmen zur Behebung der Verletzung")
	require.NotContains(t, msgs[0].Text, "Nature of the personal data breach")
	sent := channelSays("Notice *N1* (eu-gdpr/supervisory-authority) was sent to breach@dpa.example")
	require.Contains(t, sent, "Message-ID `"+tpl.Escape(msgs[0].MessageID)+"`", "the channel names the Message-ID that arrived")
	channelSays("Clock settled: ")

	// Rae posts a status update: in the channel, in the announcement's
	// thread, and on the timeline.
	sc.command(rae, channel, "update", fake.ResponseURL("update"))
	lastView(tpl.CallbackUpdate, 1)
	sc.submitView(rae, "V-update", tpl.CallbackUpdate, id, map[string]map[string]any{
		tpl.BlockUpdateStatus: textInput("Contained; the supervisory authority is notified."),
		tpl.BlockUpdateNext:   textInput("Reset the remaining passwords."),
		tpl.BlockUpdateDue:    {"type": "static_select", "selected_option": map[string]any{"value": "240"}},
	})
	channelSays("Status update on " + id)
	require.Eventually(t, func() bool {
		for _, c := range fake.OKCalls("chat.postMessage") {
			if c.Params["channel"] == "CANNOUNCE1" && c.Params["thread_ts"] != "" && strings.Contains(c.Params["text"], "Status update on "+id) {
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond, "the update is a reply in the announcement's thread")

	// Rae closes the incident from Slack. Art. 33(5)'s internal record is
	// still open: the close is refused, with the reason, privately.
	answer := func(path string) string { t.Helper(); return fmt.Sprint(slackAnswer(t, fake, path)["text"]) }
	sc.command(rae, channel, "close Contained; the authority is notified.", fake.ResponseURL("close-early"))
	require.Contains(t, answer("close-early"), "cannot close: eu-gdpr/internal-register still open")
	sc.command(dana, channel, "notified eu-gdpr/internal-register REG-2026-17", fake.ResponseURL("notified"))
	require.Contains(t, answer("notified"), "Notification for eu-gdpr/internal-register recorded as sent")
	sc.command(rae, channel, "close Contained; the authority is notified.", fake.ResponseURL("close"))
	require.Equal(t, "Incident closed.", answer("close"))
	channelSays(":lock: Incident " + id + " is closed.")
	require.Eventually(t, func() bool {
		for _, c := range fake.OKCalls("chat.update") {
			if c.Params["channel"] == "CANNOUNCE1" && strings.Contains(c.Params["blocks"], "losed") {
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond, "the announcement is updated in place to say the incident is closed")
	require.Empty(t, fake.OKCalls("views.update"))

	// The history of this shape (the status-update cadence's timer, reset
	// by the update and ended by the close) is replayed by workflows/.
	require.NoError(t, m.client.GetWorkflow(t.Context(), "incident/"+id, "").Get(t.Context(), nil))
	writeHistory(t, m, "incident/"+id, "incident-slack-update-cadence")
}
