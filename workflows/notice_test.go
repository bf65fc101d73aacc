package workflows_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

// scriptedSender answers Send with the scripted errors in order, then accepts.
type scriptedSender struct {
	mu     sync.Mutex
	script []error
	sent   []mail.Message
	tries  int
}

var _ activities.Sender = (*scriptedSender)(nil)

func (s *scriptedSender) Send(_ context.Context, msg mail.Message) (mail.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if len(s.script) > 0 {
		err := s.script[0]
		s.script = s.script[1:]
		if err != nil {
			return mail.Receipt{}, err
		}
	}
	if msg.Rendered != nil {
		if err := msg.Rendered([]byte("Message-Id: " + msg.MessageID + "\r\nSubject: " + msg.Subject + "\r\n\r\n" + msg.Text)); err != nil {
			return mail.Receipt{}, err
		}
	}
	s.sent = append(s.sent, msg)
	return mail.Receipt{MessageID: msg.MessageID, Code: 250, At: time.Now()}, nil
}

func (s *scriptedSender) MessageID(parts ...string) string {
	return mail.MessageID("example.com", parts...)
}

// noticeStart is the test clock's start: now, because the SMTP receipt's
// time (the sent time) is the wall clock.
var noticeStart = time.Now().UTC().Truncate(time.Second)

type noticeEnv struct {
	env     *testsuite.TestWorkflowEnvironment
	sender  *scriptedSender
	store   store.Store
	reports []workflows.NoticeSummary
}

func newNoticeEnv(t *testing.T, script ...error) *noticeEnv {
	t.Helper()
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	var s testsuite.WorkflowTestSuite
	ne := &noticeEnv{env: newEnv(&s), sender: &scriptedSender{script: script}, store: st}
	ne.env.SetStartTime(noticeStart)
	workflows.Register(ne.env)
	acts := &activities.Activities{Store: st, Mailer: ne.sender, Campaigns: st, Notices: st}
	for name, fn := range map[string]any{
		workflows.SendNoticeActivityName: acts.SendNotice, workflows.NoticeEventActivityName: acts.NoticeEvent,
		workflows.ClockAlertActivityName: acts.ClockAlert, workflows.CampaignBatchActivityName: acts.CampaignBatch,
		workflows.CampaignCountsActivityName: acts.CampaignCounts,
	} {
		ne.env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	ne.env.OnSignalExternalWorkflow(mock.Anything, workflows.IncidentWorkflowID("INC-2026-0007"), "", workflows.SignalNoticeChanged, mock.Anything).
		Return(func(_, _, _, _ string, arg any) error {
			ne.reports = append(ne.reports, arg.(workflows.NoticeSummary))
			return nil
		})
	return ne
}

func gdprNoticeInput(start time.Time, facts map[string]any) workflows.NoticeInput {
	due := start.Add(70 * time.Hour)
	return workflows.NoticeInput{
		IncidentID: "INC-2026-0007", IncidentTitle: "Customer database exposed", NoticeID: "N1", Mode: workflows.ModeLive,
		Regime: "eu-gdpr", RegimeName: "GDPR", Obligation: "supervisory-authority", ObligationName: "Notify the lead supervisory authority",
		Recipient: "authority", Required: []string{"nature", "data_categories", "subjects_count", "records_count", "dpo_contact", "consequences", "measures"},
		To: []string{"breach@dpa.example"}, DueAt: &due, DraftedBy: dpo, DraftedAt: start, ApproverRoles: []string{"dpo", "legal"}, Facts: facts,
	}
}

func fullFacts() map[string]any {
	return map[string]any{
		"nature": "Exposed bucket", "data_categories": []string{"names", "emails"}, "subjects_count": 1200, "records_count": 1500,
		"dpo_contact": "dpo@example.com", "consequences": "Phishing", "measures": "Bucket closed",
	}
}

func (ne *noticeEnv) act(at time.Duration, typ string, who workflows.Actor, reason string, check func(*workflows.NoticeState, error)) {
	ne.env.RegisterDelayedCallback(func() {
		ne.env.UpdateWorkflow(typ, fmt.Sprintf("%s-%s-%s", typ, who.ID, at), &testsuite.TestUpdateCallback{
			OnReject: func(err error) { check(nil, err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				if err != nil {
					check(nil, err)
					return
				}
				st := v.(workflows.NoticeState)
				check(&st, nil)
			},
		}, workflows.NoticeAction{Type: typ, Actor: who, Reason: reason})
	}, at)
}

// TestNoticeWorkflowTwoPersonRuleMissingContentAndRetries: a draft missing a
// required field cannot be approved until the facts arrive; the drafter
// cannot approve it; 451 twice then 250 delivers it once, with one
// Message-ID, and the incident hears that it was sent.
func TestNoticeWorkflowTwoPersonRuleMissingContentAndRetries(t *testing.T) {
	temp := &mail.Error{Stage: mail.StageData, Code: 451, Temporary: true}
	ne := newNoticeEnv(t, temp, temp)
	start := noticeStart
	facts := fullFacts()
	delete(facts, "measures")

	ne.act(time.Minute, workflows.NoticeApprove, lawyer, "", func(st *workflows.NoticeState, err error) {
		require.ErrorContains(t, err, "required content is missing (measures)")
	})
	ne.env.RegisterDelayedCallback(func() { ne.env.SignalWorkflow(workflows.SignalNoticeFacts, fullFacts()) }, 2*time.Minute)
	ne.act(3*time.Minute, workflows.NoticeApprove, dpo, "", func(st *workflows.NoticeState, err error) {
		require.ErrorContains(t, err, "two-person rule")
	})
	ne.act(4*time.Minute, workflows.NoticeSend, dpo, "", func(st *workflows.NoticeState, err error) {
		require.ErrorContains(t, err, "not approved yet")
	})
	ne.act(5*time.Minute, workflows.NoticeApprove, lawyer, "", func(st *workflows.NoticeState, err error) {
		require.NoError(t, err)
		require.Equal(t, workflows.NoticeApproved, st.Status)
		require.Equal(t, lawyer.ID, st.ApprovedBy)
	})
	ne.act(6*time.Minute, workflows.NoticeSend, dpo, "", func(st *workflows.NoticeState, err error) {
		require.NoError(t, err)
		require.Equal(t, workflows.NoticeSending, st.Status)
	})
	ne.env.ExecuteWorkflow(workflows.NoticeWorkflowName, gdprNoticeInput(start, facts))
	require.True(t, ne.env.IsWorkflowCompleted())
	require.NoError(t, ne.env.GetWorkflowError())
	var res workflows.NoticeResult
	require.NoError(t, ne.env.GetWorkflowResult(&res))
	st := res.State
	require.Equal(t, workflows.NoticeSent, st.Status)
	require.Len(t, st.Attempts, 3)
	require.Equal(t, 451, st.Attempts[0].Code)
	require.Equal(t, workflows.DeliveryDelivered, st.Attempts[2].Outcome)
	require.Len(t, ne.sender.sent, 1, "delivered once")
	require.Equal(t, st.MessageID, ne.sender.sent[0].MessageID)
	require.Contains(t, ne.sender.sent[0].Text, "Bucket closed", "what is sent is the re-rendered, approved draft")
	require.NotNil(t, st.OnTime)
	require.True(t, *st.OnTime)
	last := ne.reports[len(ne.reports)-1]
	require.Equal(t, workflows.NoticeSent, last.Status, "the incident is told the notice was sent")
	require.Equal(t, st.ContentHash, last.ContentHash)

	events, err := ne.store.Events(t.Context(), "INC-2026-0007")
	require.NoError(t, err)
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, []string{"notice.redrafted", "notice.approved", "notice.sending", "notice.attempt", "notice.attempt", "notice.attempt", "notice.sent"}, kinds)
}

// TestNoticeWorkflowPermanentFailureAsksAPerson: 550 is not retried; the
// notice fails, people are alerted, and a documented decision ends it.
func TestNoticeWorkflowPermanentFailureAsksAPerson(t *testing.T) {
	ne := newNoticeEnv(t, &mail.Error{Stage: mail.StageData, Code: 550, Temporary: false})
	start := noticeStart
	ne.act(time.Minute, workflows.NoticeApprove, lawyer, "", func(st *workflows.NoticeState, err error) { require.NoError(t, err) })
	ne.act(2*time.Minute, workflows.NoticeSend, dpo, "", func(st *workflows.NoticeState, err error) { require.NoError(t, err) })
	ne.env.RegisterDelayedCallback(func() {
		v, err := ne.env.QueryWorkflow(workflows.QueryNotice)
		require.NoError(t, err)
		var st workflows.NoticeState
		require.NoError(t, v.Get(&st))
		require.Equal(t, workflows.NoticeFailed, st.Status)
		require.Len(t, st.Attempts, 1, "550 is not retried")
		require.Contains(t, st.Reason, "reply 550")
	}, time.Hour)
	ne.act(2*time.Hour, workflows.NoticeDecideNotToNotify, lawyer, "Risk assessed as unlikely after the data was found encrypted.", func(st *workflows.NoticeState, err error) {
		require.NoError(t, err)
	})
	ne.env.ExecuteWorkflow(workflows.NoticeWorkflowName, gdprNoticeInput(start, fullFacts()))
	require.NoError(t, ne.env.GetWorkflowError())
	require.Equal(t, 1, ne.sender.tries)
	events, err := ne.store.Events(t.Context(), "INC-2026-0007")
	require.NoError(t, err)
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	require.Contains(t, kinds, "notice.failed")
	require.Contains(t, kinds, "notice.escalation", "people are alerted")
	var statuses []string
	for _, r := range ne.reports {
		statuses = append(statuses, r.Status)
	}
	require.Equal(t, []string{"approved", "sending", "failed", "not_notified"}, statuses)
}

// TestCampaignWorkflowSendsEveryoneOnceInBatches: 120 people in batches of
// 50, one temporary failure retried, one permanent failure reported.
func TestCampaignWorkflowSendsEveryoneOnceInBatches(t *testing.T) {
	ne := newNoticeEnv(t)
	var rs []store.CampaignRecipient
	for i := range 120 {
		rs = append(rs, store.CampaignRecipient{Email: fmt.Sprintf("p%03d@example.com", i), Name: fmt.Sprintf("P %d", i), Row: i + 2})
	}
	_, err := ne.store.AddCampaignRecipients(t.Context(), "INC-2026-0007/N2", rs)
	require.NoError(t, err)
	ne.sender.script = []error{&mail.Error{Stage: mail.StageData, Code: 451, Temporary: true}, &mail.Error{Stage: mail.StageRcpt, Code: 550}}
	ne.env.ExecuteWorkflow(workflows.CampaignWorkflowName, workflows.CampaignInput{
		IncidentID: "INC-2026-0007", NoticeID: "N2", Campaign: "INC-2026-0007/N2", Mode: workflows.ModeLive,
		Regime: "eu-gdpr", Obligation: "data-subjects", Revision: 1, Total: 120, BatchSize: 50,
		Notice: templates.NoticeData{IncidentID: "INC-2026-0007", Regime: "eu-gdpr", Obligation: "data-subjects", Recipient: "individuals",
			Required: []string{"nature", "dpo_contact", "consequences", "measures"}, Facts: fullFacts()},
	})
	require.NoError(t, ne.env.GetWorkflowError())
	var res workflows.CampaignResult
	require.NoError(t, ne.env.GetWorkflowResult(&res))
	require.Equal(t, 119, res.Progress.Sent)
	require.Equal(t, 1, res.Progress.Failed, "p001 was refused for good")
	require.Equal(t, 0, res.Progress.Pending)
	require.Equal(t, 3, res.Progress.Batches)
	seen := map[string]bool{}
	for _, m := range ne.sender.sent {
		require.False(t, seen[m.To[0]], "nobody twice")
		seen[m.To[0]] = true
	}
	require.Len(t, seen, 119)
	require.True(t, seen["p000@example.com"], "the temporary failure was retried")
}

// TestCampaignLettersInTheNoticesLanguage: each person's letter of a notice
// drafted in French is in French, greets them by name and says
// Content-Language: fr.
func TestCampaignLettersInTheNoticesLanguage(t *testing.T) {
	ne := newNoticeEnv(t)
	rs := []store.CampaignRecipient{{Email: "a@example.com", Name: "Zoë Ærø", Row: 2}, {Email: "b@example.com", Name: "李 小龙", Row: 3}}
	_, err := ne.store.AddCampaignRecipients(t.Context(), "INC-2026-0008/N2", rs)
	require.NoError(t, err)
	ne.env.ExecuteWorkflow(workflows.CampaignWorkflowName, workflows.CampaignInput{
		IncidentID: "INC-2026-0008", NoticeID: "N2", Campaign: "INC-2026-0008/N2", Mode: workflows.ModeLive,
		Regime: "eu-gdpr", Obligation: "data-subjects", Revision: 1, Total: 2, BatchSize: 50,
		Notice: templates.NoticeData{IncidentID: "INC-2026-0008", Regime: "eu-gdpr", Obligation: "data-subjects", Recipient: "individuals",
			Required: []string{"nature", "dpo_contact", "consequences", "measures"}, Facts: fullFacts(), Language: "fr"},
	})
	require.NoError(t, ne.env.GetWorkflowError())
	require.Len(t, ne.sender.sent, 2)
	for i, m := range ne.sender.sent {
		require.Equal(t, "fr", m.Headers["Content-Language"])
		require.Contains(t, m.Subject, "un incident de sécurité concerne vos données personnelles")
		require.Contains(t, m.Text, "Bonjour "+rs[i].Name+",")
		require.Contains(t, m.Text, "Ce que nous faisons")
		require.NotContains(t, m.Text, "What we are doing")
	}
}
