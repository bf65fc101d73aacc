package slackbot

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

func factInput(v string) map[string]any {
	return map[string]any{"type": "plain_text_input", "value": v}
}

// TestFactsModalSetsOnlyChangedFacts: /incident facts opens a form with the
// current values; a value the workflow would refuse keeps it open under its
// field and sets nothing; a valid submission sets the changed facts only, as
// the person who submitted, once even when Slack delivers it twice.
func TestFactsModalSetsOnlyChangedFacts(t *testing.T) {
	h := newHarness(t, nil)
	id, ch := clockIncident(t, h)
	h.svc.mu.Lock()
	h.svc.states[id].Facts = map[string]any{"nature": "Bucket left open", "personal_data": "yes", "records_count": float64(15500),
		"discovered_at": "2026-03-01T08:00:00.123456Z"}
	h.svc.mu.Unlock()

	code, _, took := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000001", ch, "facts", "trig-facts", h.slack.ResponseURL("facts")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Less(t, took, 3*time.Second)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 5*time.Second, 10*time.Millisecond, "the facts form opens")
	view := h.slack.OKCalls("views.open")[0].Params["view"]
	require.Contains(t, view, tpl.CallbackFacts)
	require.Contains(t, view, `"initial_value":"Bucket left open"`, "the current value is prefilled")
	require.Contains(t, view, `"initial_value":"15500"`)
	for _, f := range tpl.NoticeFacts {
		require.Contains(t, view, tpl.FactBlockID(f.Name))
	}

	submit := func(viewID string, values map[string]map[string]any) string {
		_, body, took := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000001", viewID, tpl.CallbackFacts, id, values), nil)
		require.Less(t, took, 3*time.Second)
		return body
	}
	for block, bad := range map[string]string{
		"records_count": "about fifteen thousand", "affected": "Germany forty", "data_categories": ",,,", "nature": strings.Repeat(" ", 50),
	} {
		body := submit("V-bad-"+block, map[string]map[string]any{tpl.FactBlockID(block): factInput(bad)})
		if block == "nature" {
			require.NotContains(t, body, "errors", "a blank field is left alone, not an error")
			continue
		}
		require.Contains(t, body, `"response_action":"errors"`, block)
		require.Contains(t, body, tpl.FactBlockID(block), "the error is under the field %s", block)
	}
	for range 2 { // Slack retries a submission it did not see acknowledged
		body := submit("V-good", map[string]map[string]any{
			tpl.FactBlockID("nature"):          factInput("Bucket left open"),
			tpl.FactBlockID("personal_data"):   {"type": "static_select", "selected_option": map[string]any{"value": "yes"}},
			tpl.FactBlockID("records_count"):   factInput("15,500"),
			tpl.FactBlockID("data_categories"): factInput("names, 電子メール, names"),
			tpl.FactBlockID("affected"):        factInput("DE=40, US-CA: 600"),
			tpl.FactBlockID("aware_at"):        {"type": "datetimepicker", "selected_date_time": int64(1772357400)},
			// The picker shows discovered_at to the second: untouched, it is not a change.
			tpl.FactBlockID("discovered_at"): {"type": "datetimepicker", "selected_date_time": int64(1772352000)},
		})
		require.NotContains(t, body, "errors")
	}
	require.Eventually(t, func() bool { return len(h.svc.actions(workflows.ActionSetFact)) >= 3 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	var names []string
	for _, a := range h.svc.actions(workflows.ActionSetFact) {
		names = append(names, a.Name)
		require.Equal(t, "U0000000001", a.Actor.ID, "facts are set as the person who submitted")
		require.Equal(t, "slack", a.Source)
	}
	require.Equal(t, []string{"affected", "aware_at", "data_categories"}, names, "only changed facts are set, once")
	for _, a := range h.svc.actions(workflows.ActionSetFact) {
		switch a.Name {
		case "affected":
			require.JSONEq(t, `{"DE":40,"US-CA":600}`, string(a.Value))
		case "aware_at":
			require.JSONEq(t, `"2026-03-01T09:30:00Z"`, string(a.Value))
		}
	}
}

// TestNotifyPicksTheClockOrOffersEveryOpenOne: /incident notify without a
// clock answers privately with a Draft notice… button per open clock; with
// an unknown clock it says so; the card's clock menu opens the notify form
// with the recipients and the required content, the missing fields marked.
func TestNotifyPicksTheClockOrOffersEveryOpenOne(t *testing.T) {
	h := newHarness(t, nil)
	id, ch := clockIncident(t, h)
	h.svc.mu.Lock()
	h.svc.states[id].Facts = map[string]any{"nature": "Bucket left open"}
	h.svc.mu.Unlock()

	signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000001", ch, "notify", "trig-n1", h.slack.ResponseURL("picker")), nil)
	picker := waitResponse(t, h, "picker")
	require.Equal(t, "ephemeral", picker["response_type"])
	js := mustJSON(t, picker["blocks"])
	require.Contains(t, js, tpl.Value(id, "eu-gdpr/supervisory-authority"))
	require.Contains(t, js, tpl.Value(id, "us-ca/individuals"))
	require.Contains(t, js, tpl.ActionNotify)

	signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000001", ch, "notify eu-gdpr/nope", "trig-n2", h.slack.ResponseURL("nope")), nil)
	require.Contains(t, waitResponse(t, h, "nope")["text"], "has no clock eu-gdpr/nope")

	signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(),
		overflowAction("U0000000001", ch, "3.1", tpl.ClockValue(tpl.ClockOptionNotify, id, "eu-gdpr", "supervisory-authority")), nil)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 5*time.Second, 10*time.Millisecond)
	view := h.slack.OKCalls("views.open")[0].Params["view"]
	require.Contains(t, view, tpl.CallbackNotify)
	require.Contains(t, view, tpl.BlockRecipients)
	require.Contains(t, view, `"initial_value":"Bucket left open"`)
	require.Contains(t, view, "Measures taken or proposed (missing)", "the GDPR Art. 33(3) field not known yet is marked")
	require.NotContains(t, view, "Nature of the breach (missing)")
	require.Contains(t, view, `"block_id":"`+tpl.BlockNoticeLanguage+`"`, "the form asks for the notice's language")
	for _, l := range []string{`"value":"en"`, `"value":"de"`, `"value":"fr"`} {
		require.Contains(t, view, l, "the GDPR notice's template exists in that language")
	}
	require.Empty(t, h.svc.actions(""), "opening forms changes nothing")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestClockAlertsShareOneThreadPerClockAndSnooze: a clock's alerts go into
// one thread (the first starts it, an overdue one also shows in the
// channel), name the people holding the roles by mention, and carry
// Notified… and Snooze… buttons; Snooze… opens a form whose submission
// snoozes the clock as the person who pressed it.
func TestClockAlertsShareOneThreadPerClockAndSnooze(t *testing.T) {
	h := newHarness(t, nil)
	id, ch := clockIncident(t, h)
	h.svc.mu.Lock()
	h.svc.states[id].Roles = []workflows.RoleAssignment{{Role: "dpo", User: "U0000000007"}}
	h.svc.mu.Unlock()
	due := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	alert := func(kind, key, regime string) workflows.ClockAlert {
		return workflows.ClockAlert{IncidentID: id, Mode: "live", Kind: kind, Regime: regime, Obligation: "supervisory-authority",
			DueAt: due, At: due.Add(-6 * time.Hour), Notify: []string{"dpo"}, Key: key}
	}
	require.NoError(t, h.bot.ClockAlert(t.Context(), alert("clock.reminder", "k1", "eu-gdpr")))
	require.NoError(t, h.bot.ClockAlert(t.Context(), alert("clock.escalation", "k2", "eu-gdpr")))
	require.NoError(t, h.bot.ClockAlert(t.Context(), alert("clock.overdue", "k3", "eu-gdpr")))
	require.NoError(t, h.bot.ClockAlert(t.Context(), alert("clock.reminder", "k4", "uk-gdpr")))
	var posts []map[string]string
	for _, c := range h.slack.OKCalls("chat.postMessage") {
		if c.Params["channel"] == ch {
			posts = append(posts, c.Params)
		}
	}
	require.Len(t, posts, 4)
	require.Empty(t, posts[0]["thread_ts"], "the first alert of a clock starts its thread")
	first := h.slack.Messages(ch)[0].TS
	require.Equal(t, first, posts[1]["thread_ts"], "the escalation replies in the clock's thread")
	require.Equal(t, first, posts[2]["thread_ts"])
	require.Equal(t, "true", posts[2]["reply_broadcast"], "overdue also shows in the channel")
	require.Empty(t, posts[3]["thread_ts"], "another clock has its own thread")
	require.Contains(t, posts[0]["blocks"], "\\u003c@U0000000007\\u003e", "the incident's DPO is mentioned, not the role name")
	require.Contains(t, posts[0]["blocks"], "\\u003c@U0000000001\\u003e", "and the users file's DPO")
	require.Contains(t, posts[0]["blocks"], tpl.ClockValue(tpl.ClockOptionNotified, id, "eu-gdpr", "supervisory-authority"))
	require.Contains(t, posts[0]["blocks"], tpl.ClockValue(tpl.ClockOptionSnooze, id, "eu-gdpr", "supervisory-authority"))

	press := payloadForm(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U0000000001"}, "trigger_id": "trig-snooze", "channel": map[string]any{"id": ch},
		"container": map[string]any{"type": "message", "message_ts": first, "channel_id": ch},
		"actions": []any{map[string]any{"type": "button", "action_id": tpl.ElementID(tpl.ActionClockMenu, 1), "block_id": "b",
			"value": tpl.ClockValue(tpl.ClockOptionSnooze, id, "eu-gdpr", "supervisory-authority"), "action_ts": "9.1"}},
	})
	code, _, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), press, nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 5*time.Second, 10*time.Millisecond, "Snooze… opens its form")
	require.Contains(t, h.slack.OKCalls("views.open")[0].Params["view"], tpl.CallbackSnooze)
	before := time.Now()
	signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000001", "V-snooze", tpl.CallbackSnooze,
		tpl.Value(id, "eu-gdpr/supervisory-authority"), map[string]map[string]any{
			tpl.BlockSnoozeFor: {"type": "static_select", "selected_option": map[string]any{"value": "240"}},
		}), nil)
	require.Eventually(t, func() bool { return len(h.svc.actions(workflows.ActionSnoozeClock)) == 1 }, 5*time.Second, 10*time.Millisecond)
	s := h.svc.actions(workflows.ActionSnoozeClock)[0]
	require.Equal(t, "U0000000001", s.Actor.ID)
	require.Equal(t, "eu-gdpr", s.Regime)
	require.WithinDuration(t, before.Add(4*time.Hour), *s.Until, time.Minute)
}

// TestChannelTalksAndAnnouncementUpdatesInPlace: after the first publish,
// each change people must notice is one short channel message, the new
// commander hears their instructions privately, the announcement is edited
// in place (never posted again), and a re-publish of the same state says
// nothing.
func TestChannelTalksAndAnnouncementUpdatesInPlace(t *testing.T) {
	h := newHarness(t, nil)
	st, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Name: "Rae", Roles: []string{"responder"}}, incidentReq("Customer DB exposed"))
	require.NoError(t, err)
	refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	st.Slack = &refs
	cardOnly := len(h.slack.Messages(refs.ChannelID))

	next := *st
	next.Severity = "critical"
	next.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000005"}}
	_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: next})
	require.NoError(t, err)
	_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: next}) // a retried activity
	require.NoError(t, err)
	var said []string
	for _, m := range h.slack.Messages(refs.ChannelID)[cardOnly:] {
		said = append(said, m.Text)
	}
	require.Len(t, said, 2, "%q", said)
	require.Contains(t, said[0], "Severity is now *critical* (was high)")
	require.Contains(t, said[1], "<@U0000000005> is now the incident commander")
	var told bool
	for _, e := range h.slack.Ephemerals() {
		told = told || (e.User == "U0000000005" && strings.Contains(e.Text, "You are now the incident commander"))
	}
	require.True(t, told, "the new commander gets their instructions privately")
	updates := h.slack.OKCalls("chat.update")
	var annUpdates int
	for _, c := range updates {
		if c.Params["channel"] == "CANNOUNCE1" {
			annUpdates++
			require.Contains(t, c.Params["blocks"], "Severity critical")
		}
	}
	require.Equal(t, 1, annUpdates, "the announcement is edited in place once")

	closed := next
	closed.Status = workflows.StatusClosed
	_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: closed})
	require.NoError(t, err)
	require.Len(t, h.slack.Messages("CANNOUNCE1"), 1, "never a second announcement")
	require.Contains(t, h.slack.Messages("CANNOUNCE1")[0].Text, "Closed incident INC-2026-0001")
	msgs := h.slack.Messages(refs.ChannelID)
	require.Contains(t, msgs[len(msgs)-1].Text, "Incident INC-2026-0001 is closed.")
}
