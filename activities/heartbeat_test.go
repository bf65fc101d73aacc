package activities

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/workflows"
)

// A notice whose SMTP server stalls used to send no heartbeat for the
// activity's whole 2-minute timeout, so a worker killed mid-send was retried
// only after 134 s. The send now heartbeats every HeartbeatEvery while it
// waits, and the workflows give up on a silent worker after
// SendHeartbeatTimeout.
func TestSendNoticeHeartbeatsWhileSMTPStalls(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() }) // accept, then say nothing: a stalled server
		}
	}()
	m, err := mail.New(mail.Config{Addr: ln.Addr().String(), From: "irbot@example.com", TLS: mail.TLSNone, Timeout: 5 * time.Second})
	require.NoError(t, err)
	a := &Activities{Mailer: m}

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	var beats atomic.Int32
	recordHeartbeat = func(ctx context.Context, details ...any) {
		beats.Add(1)
		activity.RecordHeartbeat(ctx, details...)
	}
	t.Cleanup(func() { recordHeartbeat = activity.RecordHeartbeat })
	env.RegisterActivity(a.SendNotice)
	start := time.Now()
	_, _ = env.ExecuteActivity(a.SendNotice, workflows.SendNoticeInput{
		IncidentID: "INC-2026-0001", NoticeID: "N1", Mode: workflows.ModeLive, Regime: "eu-gdpr", Obligation: "supervisory-authority",
		Revision: 1, To: []string{"breach@dpa.example"}, Subject: "s", Text: "t", Attempt: 1,
	})
	stalled := time.Since(start)
	t.Logf("stalled %s, %d heartbeats", stalled.Round(time.Millisecond), beats.Load())
	require.GreaterOrEqual(t, stalled, 2*HeartbeatEvery, "the server stalled long enough to need heartbeats")
	require.GreaterOrEqual(t, beats.Load(), int32(stalled/HeartbeatEvery), "a heartbeat every %s while SMTP stalls", HeartbeatEvery)
	require.Less(t, 2*HeartbeatEvery, workflows.SendHeartbeatTimeout, "the timeout allows a missed beat but notices a dead worker in seconds")
}
