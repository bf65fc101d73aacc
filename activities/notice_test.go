package activities

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/templates"
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
	next, err := a.NoticeMessageID(t.Context(), in)
	require.NoError(t, err)
	require.NotEqual(t, ids[0], next, "a new revision is a new message")
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

// TestSendNoticeKeepsTheExactBytesSent: the store holds, per attempt, the
// very bytes the SMTP server received, with their hash and outcome; the
// Message-ID carries the installation, so another installation sending the
// same notice uses another id.
func TestSendNoticeKeepsTheExactBytesSent(t *testing.T) {
	srv := smtptest.Start(t)
	srv.ReplyDataWith(451)
	a := noticeActs(t, srv, "")
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	a.Notices = st

	in := noticeIn(workflows.ModeLive, 1)
	in.HTML = "<p>Nature: exposed bucket</p>" // multipart: a random boundary the store must keep as sent
	first, err := a.SendNotice(t.Context(), in)
	require.NoError(t, err)
	require.Equal(t, workflows.DeliveryTemporary, first.Attempt.Outcome)
	in.Attempt, in.MessageID = 2, first.MessageID
	second, err := a.SendNotice(t.Context(), in)
	require.NoError(t, err)
	require.Equal(t, workflows.DeliveryDelivered, second.Attempt.Outcome)

	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	kept, err := st.NoticeMessage(t.Context(), in.IncidentID, in.NoticeID)
	require.NoError(t, err)
	require.True(t, kept.Delivered)
	require.Equal(t, 2, kept.Attempt)
	require.Equal(t, string(msgs[0].Data), string(kept.Raw), "the stored message is byte for byte what the server received")
	require.Equal(t, second.RawSHA256, kept.RawSHA256)
	require.Equal(t, store.RawSHA256(msgs[0].Data), kept.RawSHA256)
	require.Equal(t, first.MessageID, kept.MessageID)
	require.Equal(t, templates.ContentHash(in.Subject, in.Text, in.HTML), kept.ContentHash)
	require.Len(t, kept.Attempts, 2)
	require.Equal(t, workflows.DeliveryTemporary, kept.Attempts[0].Outcome)
	require.Equal(t, 451, kept.Attempts[0].Code)
	require.NotEqual(t, first.RawSHA256, second.RawSHA256, "each attempt keeps its own bytes (Date, boundary)")

	other, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	b := noticeActs(t, srv, "")
	b.Notices = other
	in.MessageID = ""
	theirs, err := b.NoticeMessageID(t.Context(), in)
	require.NoError(t, err)
	ours, err := a.NoticeMessageID(t.Context(), in)
	require.NoError(t, err)
	require.Equal(t, first.MessageID, ours, "the id is stable within one installation")
	require.NotEqual(t, ours, theirs, "another installation derives another Message-ID for the same notice")
}
