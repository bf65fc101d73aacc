package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// noticeFake adds notices to the fake service, with the
// notice workflow's rules that matter to Slack: the two-person rule, missing
// content, and a reason to reject.
type noticeFake struct {
	*fakeService
	nmu     sync.Mutex
	notices map[string][]workflows.NoticeState
	nacts   []workflows.NoticeAction
}

var _ NoticeService = (*noticeFake)(nil)

func (f *noticeFake) Notices(ctx context.Context, actor workflows.Actor, id string) ([]workflows.NoticeState, error) {
	if len(actor.Roles) == 0 {
		return nil, apperr.New(apperr.Forbidden, "%s has no role in irbot", actor.ID)
	}
	f.nmu.Lock()
	defer f.nmu.Unlock()
	return append([]workflows.NoticeState(nil), f.notices[id]...), nil
}

// NoticeAct refuses as the notice workflow does and, like the real
// service, records a refusal by the rules on the timeline (the bot itself
// records nothing).
func (f *noticeFake) NoticeAct(ctx context.Context, actor workflows.Actor, id, noticeID string, a workflows.NoticeAction) (*workflows.NoticeState, error) {
	ns, err := f.noticeAct(actor, id, noticeID, a)
	if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Forbidden {
		reason := apperr.MessageOf(err)
		if !strings.Contains(reason, "notice "+noticeID) {
			reason = "notice " + noticeID + ": " + reason
		}
		_ = f.RecordDenial(ctx, id, actor, workflows.Action{Type: "notice_" + a.Type, Name: noticeID, Source: a.Source, RequestID: a.RequestID}, reason)
	}
	return ns, err
}

func (f *noticeFake) noticeAct(actor workflows.Actor, id, noticeID string, a workflows.NoticeAction) (*workflows.NoticeState, error) {
	f.nmu.Lock()
	defer f.nmu.Unlock()
	for i := range f.notices[id] {
		n := &f.notices[id][i]
		if n.ID != noticeID {
			continue
		}
		switch a.Type {
		case workflows.NoticeApprove:
			if len(n.Missing) > 0 {
				return nil, apperr.New(apperr.Invalid, "notice %s cannot be approved: required content is missing (%s)", n.ID, strings.Join(n.Missing, ", "))
			}
			if actor.ID == n.DraftedBy {
				return nil, apperr.New(apperr.Invalid, "two-person rule: you drafted notice %s, so someone else with the role dpo or legal must approve it", n.ID)
			}
			n.Status, n.ApprovedBy = workflows.NoticeApproved, actor.ID
		case workflows.NoticeReject:
			if a.Reason == "" {
				return nil, apperr.New(apperr.Invalid, "a rejection needs a reason")
			}
			n.Status, n.Reason = workflows.NoticeRejected, a.Reason
		case workflows.NoticeSend:
			n.Status = workflows.NoticeSending
		}
		a.Actor = actor
		f.nacts = append(f.nacts, a)
		cp := *n
		return &cp, nil
	}
	return nil, apperr.New(apperr.NotFound, "no notice %s in incident %s", noticeID, id)
}

func (f *noticeFake) noticeActs() []workflows.NoticeAction {
	f.nmu.Lock()
	defer f.nmu.Unlock()
	return append([]workflows.NoticeAction(nil), f.nacts...)
}

// clockIncident declares an incident with its channel and two open clocks:
// GDPR's to the authority, overdue, and California's to individuals, running.
func clockIncident(t *testing.T, h *harness) (string, string) {
	t.Helper()
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Customer DB exposed"))
	require.NoError(t, err)
	id := "INC-2026-0001"
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-customer-db-exposed"))
	h.svc.setChannel(id, workflows.SlackRefs{ChannelID: ch})
	past, later := time.Now().Add(-2*time.Hour), time.Now().Add(48*time.Hour)
	h.svc.mu.Lock()
	h.svc.states[id].Clocks = []workflows.ClockState{
		{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", DueAt: &past, Status: workflows.ClockOverdue},
		{Regime: "us-ca", Obligation: "individuals", Recipient: "individuals", DueAt: &later, Status: workflows.ClockRunning},
	}
	h.svc.mu.Unlock()
	return id, ch
}

func responseTo(h *harness, path string) map[string]any {
	for _, r := range h.slack.Responses() {
		if r["_path"] == path {
			return r
		}
	}
	return nil
}

func waitResponse(t *testing.T, h *harness, path string) map[string]any {
	t.Helper()
	var r map[string]any
	require.Eventually(t, func() bool { r = responseTo(h, path); return r != nil }, 5*time.Second, 10*time.Millisecond, "the person must hear back on %s", path)
	return r
}

// lateRule stands in for the workflow's rule that a late notification needs
// its reason (workflows/validate.go): the fake service refuses with it.
const lateRule = "the notice was sent after the due time 2026-03-04T09:00:00Z: give the reason for the delay (reason)"

func refuseLateWithoutReason(h *harness) {
	h.svc.refuse = func(_ workflows.Actor, a workflows.Action) error {
		if a.Type == workflows.ActionRecordNotification && a.Regime == "eu-gdpr" && strings.TrimSpace(a.Reason) == "" {
			return apperr.New(apperr.Invalid, "%s", lateRule)
		}
		return nil
	}
}

// TestClockCommandsSettleClocksFromTheChannel: /incident notified records
// the notification sent now with its reference; a late one without a reason
// is refused by the service, whose words the person reads privately, and the
// refusal is recorded; /incident not-notify records the decision with its
// rationale.
func TestClockCommandsSettleClocksFromTheChannel(t *testing.T) {
	h := newHarness(t, nil)
	refuseLateWithoutReason(h)
	id, ch := clockIncident(t, h)
	run := func(user, text, trigger string) string {
		code, body, took := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody(user, ch, text, trigger, h.slack.ResponseURL(trigger)), nil)
		require.Equal(t, http.StatusOK, code)
		require.Less(t, took, 3*time.Second)
		return body
	}

	// GDPR is overdue: without a reason the service refuses, in its words.
	run("U0000000001", "notified eu-gdpr/supervisory-authority SA-2026-123", "late")
	r := waitResponse(t, h, "late")
	require.Equal(t, "ephemeral", r["response_type"])
	require.Contains(t, r["text"], lateRule)
	require.Empty(t, h.svc.actions(workflows.ActionRecordNotification), "nothing is recorded without the reason")
	require.Eventually(t, func() bool { return len(h.svc.denials()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, h.svc.denials()[0], "U0000000001|"+workflows.ActionRecordNotification+"|", "the refusal is on the timeline")

	before := time.Now()
	run("U0000000001", "notified eu-gdpr/supervisory-authority SA-2026-123 reason: forensics confirmed the scope on day 3", "n1")
	run("U0000000001", "not-notify us-ca/individuals Data encrypted at rest; keys were not exposed.", "n2")
	require.Eventually(t, func() bool { return len(h.svc.actions("")) == 2 }, 5*time.Second, 10*time.Millisecond)
	rec := h.svc.actions(workflows.ActionRecordNotification)[0]
	require.Equal(t, "eu-gdpr", rec.Regime)
	require.Equal(t, "supervisory-authority", rec.Obligation)
	require.Equal(t, "SA-2026-123", rec.Reference)
	require.Equal(t, "forensics confirmed the scope on day 3", rec.Reason)
	require.NotNil(t, rec.SentAt)
	require.WithinDuration(t, before, *rec.SentAt, 5*time.Second, "sent now")
	require.Equal(t, "U0000000001", rec.Actor.ID)
	require.Equal(t, "slack", rec.Source)
	require.Equal(t, "slack:cmd:n1", rec.RequestID)
	dec := h.svc.actions(workflows.ActionDecideNotToNotify)[0]
	require.Equal(t, "us-ca", dec.Regime)
	require.Equal(t, "individuals", dec.Obligation)
	require.Equal(t, "Data encrypted at rest; keys were not exposed.", dec.Reason)
	require.Contains(t, waitResponse(t, h, "n1")["text"], "reference SA-2026-123")
	require.Contains(t, waitResponse(t, h, "n2")["text"], "Decision not to notify for us-ca/individuals recorded")

	// A refusal (no role) is explained privately and recorded.
	run("U0000000099", "not-notify us-ca/individuals Data encrypted at rest; keys were not exposed.", "n3")
	require.Contains(t, waitResponse(t, h, "n3")["text"], "has no role")
	require.Eventually(t, func() bool { return len(h.svc.denials()) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, h.svc.denials()[1], "U0000000099|"+workflows.ActionDecideNotToNotify+"|", "the refusal names who asked and what")

	// Malformed forms are answered at once, privately, with how to write them.
	for _, tc := range []struct{ text, want string }{
		{"notified", "/incident notified REGIME/OBLIGATION"},
		{"notified eu-gdpr", "is not a clock"},
		{"notified eu-gdpr/supervisory-authority SA-1 reason:", "`reason:` needs the reason"},
		{"not-notify", "/incident not-notify REGIME/OBLIGATION REASON"},
	} {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(run("U0000000001", tc.text, "bad-"+tc.text)), &m), tc.text)
		require.Equal(t, "ephemeral", m["response_type"], tc.text)
		require.Contains(t, m["text"], tc.want, tc.text)
	}
	require.NoError(t, h.bot.Close())
	require.Len(t, h.svc.actions(workflows.ActionRecordNotification), 1)
	require.Len(t, h.svc.actions(workflows.ActionDecideNotToNotify), 1)
	_ = id
}

// TestCardClockMenuOpensModalsThatSettleTheClock: the card's clock menu opens
// the Notified and Not notifying modals; what breaks a rule that needs no
// incident state (a time in the future, a rationale too short) keeps the
// modal open with the rule's own words under the field; what needs the
// incident (a late notification's reason) is the service's to refuse after
// the acknowledgement, answered privately; a good submission acts as the
// person who submitted it.
func TestCardClockMenuOpensModalsThatSettleTheClock(t *testing.T) {
	h := newHarness(t, nil)
	refuseLateWithoutReason(h)
	id, ch := clockIncident(t, h)
	st, err := h.svc.Get(t.Context(), SystemActor, id)
	require.NoError(t, err)
	blocks, _ := tpl.Card(*st, time.Now())
	js, err := json.Marshal(blocks)
	require.NoError(t, err)
	for _, v := range []string{
		tpl.ClockValue(tpl.ClockOptionNotified, id, "eu-gdpr", "supervisory-authority"),
		tpl.ClockValue(tpl.ClockOptionNotNotify, id, "us-ca", "individuals"),
	} {
		require.Contains(t, string(js), v, "each open clock on the card has its menu")
	}

	code, _, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(),
		overflowAction("U0000000001", ch, "2.1", tpl.ClockValue(tpl.ClockOptionNotified, id, "eu-gdpr", "supervisory-authority")), nil)
	require.Equal(t, http.StatusOK, code)
	code, _, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(),
		overflowAction("U0000000001", ch, "2.2", tpl.ClockValue(tpl.ClockOptionNotNotify, id, "us-ca", "individuals")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 2 }, 5*time.Second, 10*time.Millisecond)
	views := map[string]string{}
	for _, c := range h.slack.OKCalls("views.open") {
		views[c.Params["trigger_id"]] = c.Params["view"]
	}
	require.Contains(t, views["trig-2.1"], tpl.CallbackNotified)
	for _, want := range []string{tpl.BlockReference, tpl.BlockSentAt, tpl.BlockLateReason, "datetimepicker", id + "|eu-gdpr/supervisory-authority"} {
		require.Contains(t, views["trig-2.1"], want)
	}
	require.Contains(t, views["trig-2.2"], tpl.CallbackNotNotify)
	require.Contains(t, views["trig-2.2"], tpl.BlockRationale)

	submit := func(viewID, callback, meta string, values map[string]map[string]any) string {
		_, body, took := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000001", viewID, callback, meta, values), nil)
		require.Less(t, took, 3*time.Second)
		return body
	}
	sent := time.Now().Add(-time.Minute).Unix()
	// In the future: the modal stays open, in the rule's words.
	body := submit("V-n-2", tpl.CallbackNotified, tpl.Value(id, "eu-gdpr/supervisory-authority"), map[string]map[string]any{
		tpl.BlockSentAt: {"type": "datetimepicker", "selected_date_time": time.Now().Add(time.Hour).Unix()},
	})
	require.Contains(t, body, `"response_action":"errors"`)
	require.Contains(t, body, tpl.BlockSentAt)
	require.Contains(t, body, "is in the future (it is now ")
	// A rationale of two words ("no"): also under its field, in the words of
	// the workflow's rule; "ありません" is five characters, also short.
	for i, short := range []string{"no", "ありません", "          x"} {
		body = submit(fmt.Sprintf("V-nn-1-%d", i), tpl.CallbackNotNotify, tpl.Value(id, "us-ca/individuals"), map[string]map[string]any{
			tpl.BlockRationale: {"type": "plain_text_input", "value": short},
		})
		require.Contains(t, body, tpl.BlockRationale, "%q", short)
		require.Contains(t, body, workflows.CheckNotNotifyRationale(short).Error(), "%q", short)
	}
	require.Empty(t, h.svc.actions(""), "nothing is recorded from a modal that stayed open")
	// Sent after the due time without a reason: the modal closes at once
	// (its acknowledgement reads nothing from the service); the service
	// refuses, the person reads why privately, and it is recorded.
	body = submit("V-n-1", tpl.CallbackNotified, tpl.Value(id, "eu-gdpr/supervisory-authority"), map[string]map[string]any{
		tpl.BlockReference: {"type": "plain_text_input", "value": "SA-2026-9"},
		tpl.BlockSentAt:    {"type": "datetimepicker", "selected_date_time": sent},
	})
	require.NotContains(t, body, "errors")
	require.Eventually(t, func() bool { return len(h.svc.denials()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, h.svc.denials()[0], "U0000000001|"+workflows.ActionRecordNotification+"|")
	require.Eventually(t, func() bool {
		for _, m := range h.slack.OKCalls("chat.postEphemeral") {
			if strings.Contains(m.Params["text"], lateRule) {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the refusal is answered privately in the service's words")
	require.Empty(t, h.svc.actions(""), "nothing is recorded")

	for range 2 { // a double submit
		body = submit("V-n-3", tpl.CallbackNotified, tpl.Value(id, "eu-gdpr/supervisory-authority"), map[string]map[string]any{
			tpl.BlockReference:  {"type": "plain_text_input", "value": "SA-2026-9"},
			tpl.BlockSentAt:     {"type": "datetimepicker", "selected_date_time": sent},
			tpl.BlockLateReason: {"type": "plain_text_input", "value": "Scope confirmed on day 3"},
		})
		require.NotContains(t, body, "errors")
	}
	submit("V-nn-2", tpl.CallbackNotNotify, tpl.Value(id, "us-ca/individuals"), map[string]map[string]any{
		tpl.BlockRationale: {"type": "plain_text_input", "value": "No Californian resident is affected."},
	})
	require.Eventually(t, func() bool { return len(h.svc.actions("")) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	rec := h.svc.actions(workflows.ActionRecordNotification)
	require.Len(t, rec, 1, "a double submit records once")
	require.Equal(t, "SA-2026-9", rec[0].Reference)
	require.Equal(t, sent, rec[0].SentAt.Unix(), "the sent time picked in the modal")
	require.Equal(t, "Scope confirmed on day 3", rec[0].Reason)
	require.Equal(t, "U0000000001", rec[0].Actor.ID)
	require.Equal(t, "slack:view:V-n-3", rec[0].RequestID)
	dec := h.svc.actions(workflows.ActionDecideNotToNotify)
	require.Len(t, dec, 1)
	require.Equal(t, "us-ca", dec[0].Regime)
	require.Equal(t, "No Californian resident is affected.", dec[0].Reason)
}

// TestNoticesListAndButtons: /incident notices lists each notice privately
// with the buttons its status allows; the drafter's own Approve is refused,
// explained and recorded; a second person's Approve acts and the list is
// rendered again; Reject asks for the reason in a modal.
func TestNoticesListAndButtons(t *testing.T) {
	var nf *noticeFake
	h := newHarness(t, func(c *Config) {
		nf = &noticeFake{fakeService: c.Service.(*fakeService), notices: map[string][]workflows.NoticeState{}}
		c.Service = nf
	})
	id, ch := clockIncident(t, h)
	due := time.Now().Add(70 * time.Hour)
	nf.notices[id] = []workflows.NoticeState{
		{NoticeSummary: workflows.NoticeSummary{ID: "N1", Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority",
			To: []string{"breach@dpa.example"}, Status: workflows.NoticeDraft, Missing: []string{}, DraftedBy: "U0000000001", DueAt: &due}},
		{NoticeSummary: workflows.NoticeSummary{ID: "N2", Regime: "us-ca", Obligation: "individuals", Recipient: "individuals",
			Status: workflows.NoticeDraft, Missing: []string{"measures"}, DraftedBy: "U0000000001", DueAt: &due}},
	}
	code, _, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000001", ch, "notices", "tn", h.slack.ResponseURL("list")), nil)
	require.Equal(t, http.StatusOK, code)
	list := waitResponse(t, h, "list")
	require.Equal(t, "ephemeral", list["response_type"], "the list is private")
	lb, _ := json.Marshal(list["blocks"])
	require.Contains(t, string(lb), tpl.ActionNoticeApprove)
	require.Equal(t, 1, strings.Count(string(lb), tpl.ActionNoticeApprove), "only the complete draft can be approved")
	require.Equal(t, 2, strings.Count(string(lb), tpl.ActionNoticeReject))
	require.NotContains(t, string(lb), `"`+tpl.ActionNoticeSend+`"`, "nothing is approved yet")
	require.Contains(t, string(lb), "Missing: measures")

	press := func(user, ts, action, value, path string) {
		code, _, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), blockAction(user, ch, ts, action, value, h.slack.ResponseURL(path)), nil)
		require.Equal(t, http.StatusOK, code)
	}
	// The drafter approves their own notice: refused, privately, recorded.
	press("U0000000001", "3.1", tpl.ActionNoticeApprove, tpl.Value(id, "N1"), "own")
	own := waitResponse(t, h, "own")
	require.Contains(t, own["text"], "two-person rule")
	require.Equal(t, false, own["replace_original"], "the refusal does not replace the list")
	require.Eventually(t, func() bool { return len(nf.denials()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, nf.denials()[0], "U0000000001|notice_approve|N1|")
	require.Contains(t, nf.denials()[0], "two-person rule")

	// A second person approves (roles are the workflow's to check): the list
	// is rendered again.
	press("U0000000005", "3.2", tpl.ActionNoticeApprove, tpl.Value(id, "N1"), "second")
	second := waitResponse(t, h, "second")
	require.Equal(t, true, second["replace_original"], "the list pressed in is rendered again from state")
	require.Contains(t, second["text"], "Notice N1 approved by <@U0000000005>")
	sb, _ := json.Marshal(second["blocks"])
	require.Contains(t, string(sb), `"`+tpl.ActionNoticeSend+`"`, "the approved notice now offers Send")
	acts := nf.noticeActs()
	require.Len(t, acts, 1)
	require.Equal(t, workflows.NoticeApprove, acts[0].Type)
	require.Equal(t, "U0000000005", acts[0].Actor.ID)
	require.Equal(t, "slack", acts[0].Source)

	// Reject opens a modal; an empty reason keeps it open; a reason rejects.
	press("U0000000001", "3.3", tpl.ActionNoticeReject, tpl.Value(id, "N2"), "reject")
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 5*time.Second, 10*time.Millisecond)
	view := h.slack.OKCalls("views.open")[0].Params["view"]
	require.Contains(t, view, tpl.CallbackNoticeReject)
	require.Contains(t, view, id+"|N2")
	_, body, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000001", "V-r-1", tpl.CallbackNoticeReject, tpl.Value(id, "N2"), nil), nil)
	require.Contains(t, body, tpl.BlockNoticeReason)
	require.Contains(t, body, workflows.CheckRejectReason("").Error(), "in the notice workflow's words")
	_, body, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000001", "V-r-2", tpl.CallbackNoticeReject, tpl.Value(id, "N2"),
		map[string]map[string]any{tpl.BlockNoticeReason: {"type": "plain_text_input", "value": "Wrong recipient list"}}), nil)
	require.NotContains(t, body, "errors")
	require.Eventually(t, func() bool { return len(nf.noticeActs()) == 2 }, 5*time.Second, 10*time.Millisecond)
	rej := nf.noticeActs()[1]
	require.Equal(t, workflows.NoticeReject, rej.Type)
	require.Equal(t, "Wrong recipient list", rej.Reason)
	require.Eventually(t, func() bool {
		for _, e := range h.slack.Ephemerals() {
			if e.User == "U0000000001" && strings.Contains(e.Text, "Notice N2 rejected") {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the person who rejected hears back in the incident channel")

	// Send on the approved notice.
	press("U0000000005", "3.4", tpl.ActionNoticeSend, tpl.Value(id, "N1"), "send")
	require.Contains(t, waitResponse(t, h, "send")["text"], "Notice N1 is being sent")
	require.Equal(t, workflows.NoticeSend, nf.noticeActs()[2].Type)

	// An approved notice past its due time: Send asks the reason for the delay.
	past := time.Now().Add(-time.Hour)
	nf.nmu.Lock()
	nf.notices[id] = append(nf.notices[id], workflows.NoticeState{NoticeSummary: workflows.NoticeSummary{ID: "N3", Regime: "eu-gdpr", Obligation: "supervisory-authority",
		Recipient: "authority", To: []string{"breach@dpa.example"}, Status: workflows.NoticeApproved, DraftedBy: "U0000000001", ApprovedBy: "U0000000005", DueAt: &past}})
	nf.nmu.Unlock()
	code, _, _ = signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000001", ch, "notices", "tn2", h.slack.ResponseURL("list2")), nil)
	require.Equal(t, http.StatusOK, code)
	lb2, _ := json.Marshal(waitResponse(t, h, "list2")["blocks"])
	require.Contains(t, string(lb2), tpl.ActionNoticeSendLate, "a late notice's Send asks why")
	press("U0000000005", "3.5", tpl.ActionNoticeSendLate, tpl.Value(id, "N3"), "late")
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, h.slack.OKCalls("views.open")[1].Params["view"], tpl.CallbackNoticeSend)
	_, body, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000005", "V-s-1", tpl.CallbackNoticeSend, tpl.Value(id, "N3"),
		map[string]map[string]any{tpl.BlockNoticeReason: {"type": "plain_text_input", "value": "Scope confirmed on day 3"}}), nil)
	require.NotContains(t, body, "errors")
	require.Eventually(t, func() bool { return len(nf.noticeActs()) == 4 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	late := nf.noticeActs()[3]
	require.Equal(t, workflows.NoticeSend, late.Type)
	require.Equal(t, "Scope confirmed on day 3", late.Reason)
}

func overflowAction(user, channel, actionTS, value string) string {
	p := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "trigger_id": "trig-" + actionTS, "channel": map[string]any{"id": channel},
		"container": map[string]any{"type": "message", "message_ts": "1772357000.000001", "channel_id": channel},
		"actions": []any{map[string]any{"type": "overflow", "action_id": tpl.ActionClockMenu, "block_id": "clock",
			"selected_option": map[string]any{"value": value}, "action_ts": actionTS}},
	}
	return payloadForm(p)
}

// TestClockModalAcknowledgementReadsNothing: what a Notified or Not notifying
// modal's acknowledgement runs (clockSubmission) reads nothing from the
// service, whatever was typed: the late-reason rule is the workflow's, after
// the acknowledgement.
func TestClockModalAcknowledgementReadsNothing(t *testing.T) {
	h := newHarness(t, nil)
	id, _ := clockIncident(t, h)
	before := h.svc.getCount()
	view := func(callback string, values map[string]slack.BlockAction) slack.View {
		state := map[string]map[string]slack.BlockAction{}
		for block, v := range values {
			state[block] = map[string]slack.BlockAction{tpl.InputAction: v}
		}
		key := "eu-gdpr/supervisory-authority"
		if callback == tpl.CallbackNotNotify {
			key = "us-ca/individuals"
		}
		return slack.View{CallbackID: callback, PrivateMetadata: tpl.Value(id, key), State: &slack.ViewState{Values: state}}
	}
	for _, v := range []slack.View{
		view(tpl.CallbackNotified, map[string]slack.BlockAction{tpl.BlockSentAt: {Type: "datetimepicker", SelectedDateTime: time.Now().Add(-time.Minute).Unix()}}),
		view(tpl.CallbackNotified, map[string]slack.BlockAction{tpl.BlockSentAt: {Type: "datetimepicker", SelectedDateTime: time.Now().Add(time.Hour).Unix()}}),
		view(tpl.CallbackNotified, nil),
		view(tpl.CallbackNotNotify, map[string]slack.BlockAction{tpl.BlockRationale: {Type: "plain_text_input", Value: "no"}}),
		view(tpl.CallbackNotNotify, map[string]slack.BlockAction{tpl.BlockRationale: {Type: "plain_text_input", Value: "Encrypted at rest; keys safe."}}),
	} {
		h.bot.clockSubmission(v)
	}
	require.Equal(t, before, h.svc.getCount(), "no service read in a modal's acknowledgement")
}
