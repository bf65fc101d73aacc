package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/workflows"
)

func noticeActs(t *testing.T, srv *smtptest.Server, sink string) *Activities {
	t.Helper()
	m, err := mail.New(mail.Config{Addr: srv.Addr, From: "irbot@example.com", TLS: mail.TLSNone, Timeout: 5 * time.Second})
	require.NoError(t, err)
	return &Activities{Mailer: m, DrillSink: sink}
}

func noticeIn(mode string, attempt int) workflows.SendNoticeInput {
	return workflows.SendNoticeInput{
		IncidentID: "INC-2026-0001", NoticeID: "N1", Mode: mode, Regime: "eu-gdpr", Obligation: "supervisory-authority",
		Revision: 1, To: []string{"breach@dpa.example"}, Subject: "Personal data breach notification", Text: "Nature: exposed bucket\n",
		Attempt: attempt,
	}
}

// TestSendNoticeClassifiesEveryReplyOverRealSMTP: each attempt reports its
// reply code and stage, never the body, and all carry one Message-ID.
func TestSendNoticeClassifiesEveryReplyOverRealSMTP(t *testing.T) {
	srv := smtptest.Start(t)
	srv.ReplyDataWith(451, 550)
	srv.DropAfterData(3)
	a := noticeActs(t, srv, "")
	var ids []string
	for i, want := range []struct {
		outcome   string
		code      int
		uncertain bool
	}{{workflows.DeliveryTemporary, 451, false}, {workflows.DeliveryPermanent, 550, false}, {workflows.DeliveryTemporary, 0, true}, {workflows.DeliveryDelivered, 250, false}} {
		res, err := a.SendNotice(t.Context(), noticeIn(workflows.ModeLive, i+1))
		require.NoError(t, err, "an SMTP failure is an outcome, not an activity error")
		require.Equal(t, want.outcome, res.Attempt.Outcome, "attempt %d", i+1)
		require.Equal(t, want.code, res.Attempt.Code, "attempt %d", i+1)
		require.Equal(t, want.uncertain, res.Attempt.Uncertain, "attempt %d", i+1)
		require.Equal(t, mail.StageData, res.Attempt.Stage)
		require.NotContains(t, res.Attempt.Error, "exposed bucket", "no body in the attempt log")
		ids = append(ids, res.MessageID)
	}
	require.Equal(t, []string{ids[0], ids[0], ids[0], ids[0]}, ids, "one Message-ID per notice revision")
	msgs := srv.Messages()
	require.Len(t, msgs, 2, "the dropped copy and the delivered one")
	require.Equal(t, msgs[0].MessageID, msgs[1].MessageID)
	require.Equal(t, ids[0], msgs[1].MessageID)

	in := noticeIn(workflows.ModeLive, 1)
	in.Revision = 2
	require.NotEqual(t, ids[0], a.NoticeMessageID(in), "a new revision is a new message")
}

// TestSendNoticeInADrillOnlyReachesTheSink: drill mail goes to the sink,
// marked, or nowhere when there is no sink.
func TestSendNoticeInADrillOnlyReachesTheSink(t *testing.T) {
	srv := smtptest.Start(t)
	a := noticeActs(t, srv, "sink@drill.example")
	res, err := a.SendNotice(t.Context(), noticeIn(workflows.ModeDrill, 1))
	require.NoError(t, err)
	require.Equal(t, workflows.DeliveryDelivered, res.Attempt.Outcome)
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, []string{"sink@drill.example"}, msgs[0].To)
	require.Equal(t, "[DRILL] Personal data breach notification", msgs[0].Subject)
	require.Equal(t, "true", msgs[0].Header.Get(DrillHeader))
	require.Contains(t, msgs[0].Text, "THIS IS A DRILL")

	a.DrillSink = ""
	res, err = a.SendNotice(t.Context(), noticeIn(workflows.ModeDrill, 1))
	require.NoError(t, err)
	require.Equal(t, workflows.DeliveryRecorded, res.Attempt.Outcome)
	require.Len(t, srv.Messages(), 1, "without a sink drill mail is only recorded")
}
