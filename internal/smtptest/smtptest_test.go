package smtptest_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/smtptest"
)

func rawMessage(id, subject, body string) []byte {
	return []byte("From: irbot@example.com\r\nTo: someone@example.org\r\n" +
		"Message-ID: " + id + "\r\nSubject: " + subject + "\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body + "\r\n")
}

// send is a plain client session with net/smtp, independent of internal/mail.
func send(t *testing.T, s *smtptest.Server, to []string, msg []byte) error {
	t.Helper()
	return smtp.SendMail(s.Addr, nil, "irbot@example.com", to, msg)
}

func code(err error) int {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code
	}
	return 0
}

func TestRecordsEnvelopeHeadersAndBody(t *testing.T) {
	s := smtptest.Start(t)
	require.NoError(t, send(t, s, []string{"a@example.org", "b@example.org"},
		rawMessage("<1@example.com>", "=?UTF-8?q?Br=C3=A8che?=", "hello")))

	got := s.WaitForMessages(t, 1, 5*time.Second)
	require.Len(t, got, 1)
	r := got[0]
	require.Equal(t, "irbot@example.com", r.From)
	require.Equal(t, []string{"a@example.org", "b@example.org"}, r.To)
	require.Equal(t, "<1@example.com>", r.MessageID)
	require.Equal(t, "Brèche", r.Subject, "subject is RFC 2047 decoded")
	require.Equal(t, "hello\r\n", r.Text)
	require.Equal(t, "someone@example.org", r.Header.Get("To"))
	require.False(t, r.TLS)
	require.False(t, r.At.IsZero())
	require.Equal(t, 1, s.Attempts())
	require.Equal(t, 2, s.RcptAttempts())
}

func TestDecodesMultipartAlternative(t *testing.T) {
	s := smtptest.Start(t)
	msg := "From: irbot@example.com\r\nMessage-ID: <2@example.com>\r\nSubject: x\r\n" +
		"Content-Type: multipart/alternative; boundary=BOUND\r\n\r\n" +
		"--BOUND\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"caf=C3=A9 =\r\nnoir\r\n" +
		"--BOUND\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"PHA+Y2Fmw6k8\r\nL3A+\r\n" +
		"--BOUND--\r\n"
	require.NoError(t, send(t, s, []string{"a@example.org"}, []byte(msg)))
	r := s.WaitForMessages(t, 1, 5*time.Second)[0]
	require.Equal(t, "café noir", r.Text, "the CRLF before a boundary belongs to the boundary")
	require.Equal(t, "<p>café</p>", r.HTML)
}

func TestScriptedDataRepliesPerAttempt(t *testing.T) {
	s := smtptest.Start(t)
	s.ReplyDataWith(451, 554, 250)
	msg := rawMessage("<3@example.com>", "x", "y")

	require.Equal(t, 451, code(send(t, s, []string{"a@example.org"}, msg)))
	require.Equal(t, 554, code(send(t, s, []string{"a@example.org"}, msg)))
	require.NoError(t, send(t, s, []string{"a@example.org"}, msg))
	require.NoError(t, send(t, s, []string{"a@example.org"}, msg), "script used up: accept")

	require.Len(t, s.WaitForMessages(t, 2, 5*time.Second), 2, "only accepted attempts are recorded")
	require.Equal(t, 4, s.Attempts())
}

func TestScriptedRcptReplies(t *testing.T) {
	s := smtptest.Start(t)
	s.ReplyRcptWith(452)
	s.RejectRcpt("Gone@Example.org", 550)
	msg := rawMessage("<4@example.com>", "x", "y")

	require.Equal(t, 452, code(send(t, s, []string{"a@example.org"}, msg)))
	require.Equal(t, 550, code(send(t, s, []string{"gone@example.org"}, msg)), "per-address rule, case-insensitive")
	require.Equal(t, 550, code(send(t, s, []string{"gone@example.org"}, msg)), "per-address rule holds every time")
	require.NoError(t, send(t, s, []string{"a@example.org"}, msg))
	require.Equal(t, 1, s.Attempts())
}

func TestDropAfterDataRecordsTheMessageAndSendsNoReply(t *testing.T) {
	s := smtptest.Start(t)
	s.DropAfterData(1)
	msg := rawMessage("<5@example.com>", "x", "y")

	err := send(t, s, []string{"a@example.org"}, msg)
	require.Error(t, err)
	require.Zero(t, code(err), "no reply code: the connection just went away")
	require.Equal(t, "<5@example.com>", s.WaitForMessages(t, 1, 5*time.Second)[0].MessageID)

	require.NoError(t, send(t, s, []string{"a@example.org"}, msg), "only the first attempt is dropped")
	require.Len(t, s.WaitForMessages(t, 2, 5*time.Second), 2)
}

func TestSTARTTLSAndAuth(t *testing.T) {
	s := smtptest.Start(t, smtptest.WithTLS(), smtptest.WithAuth("u", "p"))
	c, err := smtp.Dial(s.Addr)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	cfg := s.ClientTLSConfig()
	require.NotNil(t, cfg)
	cfg.ServerName = "127.0.0.1"
	require.NoError(t, c.StartTLS(cfg))
	err = c.Mail("irbot@example.com")
	require.Equal(t, 530, code(err), "MAIL before AUTH is refused when auth is on")

	require.Equal(t, 535, code(c.Auth(smtp.PlainAuth("", "u", "wrong", "127.0.0.1"))))

	c2, err := smtp.Dial(s.Addr)
	require.NoError(t, err)
	defer func() { _ = c2.Close() }()
	require.NoError(t, c2.StartTLS(cfg))
	require.NoError(t, c2.Auth(smtp.PlainAuth("", "u", "p", "127.0.0.1")))
	require.NoError(t, c2.Mail("irbot@example.com"))
	require.NoError(t, c2.Rcpt("a@example.org"))
	w, err := c2.Data()
	require.NoError(t, err)
	_, err = w.Write(rawMessage("<6@example.com>", "x", "y"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c2.Quit())

	r := s.WaitForMessages(t, 1, 5*time.Second)[0]
	require.True(t, r.TLS)
	require.Equal(t, "u", r.AuthUser)
}

func TestImplicitTLS(t *testing.T) {
	s := smtptest.Start(t, smtptest.WithImplicitTLS())
	cfg := s.ClientTLSConfig()
	cfg.ServerName = "localhost"
	conn, err := tls.Dial("tcp", s.Addr, cfg)
	require.NoError(t, err)
	c, err := smtp.NewClient(conn, "localhost")
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	require.NoError(t, c.Mail("irbot@example.com"))
	require.NoError(t, c.Rcpt("a@example.org"))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = w.Write(rawMessage("<7@example.com>", "x", "y"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.True(t, s.WaitForMessages(t, 1, 5*time.Second)[0].TLS)
}

func TestThousandMessagesConcurrently(t *testing.T) {
	s := smtptest.Start(t)
	const n = 1000
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	jobs := make(chan int)
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				to := fmt.Sprintf("customer-%04d@example.org", i)
				if err := smtp.SendMail(s.Addr, nil, "irbot@example.com", []string{to},
					rawMessage(fmt.Sprintf("<%d@example.com>", i), "notice", "body")); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := s.WaitForMessages(t, n, 10*time.Second)
	require.Len(t, got, n)
	ids := map[string]bool{}
	for _, r := range got {
		ids[r.MessageID] = true
	}
	require.Len(t, ids, n, "every message recorded once")
	require.Less(t, time.Since(start), 10*time.Second)
	t.Logf("%d messages in %s", n, time.Since(start))
}

// fakeTB records a failure instead of ending the test.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = fmt.Sprintf(format, args...)
}

func TestWaitForMessagesFailsWithACount(t *testing.T) {
	s := smtptest.Start(t)
	require.NoError(t, send(t, s, []string{"a@example.org"}, rawMessage("<8@example.com>", "x", "y")))
	ft := &fakeTB{TB: t}
	got := s.WaitForMessages(ft, 2, 50*time.Millisecond)
	require.Nil(t, got)
	require.Contains(t, ft.failed, "for 2 message(s)")
	require.Contains(t, ft.failed, "received 1")
	require.True(t, strings.Contains(ft.failed, "1 DATA attempt"), ft.failed)
}

func TestCloseMakesThePeerDisappear(t *testing.T) {
	s := smtptest.Start(t)
	s.Close()
	require.Error(t, send(t, s, []string{"a@example.org"}, rawMessage("<9@example.com>", "x", "y")))
	s.Close() // idempotent; Cleanup calls it again
}

// A stalled DATA keeps the sender waiting with its message taken and no
// reply, until the server closes; the next attempts are answered as usual.
func TestStallAfterDataRecordsTheMessageAndAnswersNothing(t *testing.T) {
	s := smtptest.Start(t)
	s.StallAfterData(1)
	stalled := make(chan error, 1)
	go func() { stalled <- send(t, s, []string{"a@example.org"}, rawMessage("<6@example.com>", "x", "y")) }()
	require.Equal(t, "<6@example.com>", s.WaitForMessages(t, 1, 5*time.Second)[0].MessageID, "the stalled message counts as received")

	require.NoError(t, send(t, s, []string{"b@example.org"}, rawMessage("<7@example.com>", "x", "y")), "only the first attempt stalls")
	select {
	case err := <-stalled:
		t.Fatalf("the stalled sender got an answer while the server ran: %v", err)
	default:
	}
	s.Close()
	select {
	case err := <-stalled:
		require.Error(t, err, "closing the server ends the stalled session without a reply")
		require.Zero(t, code(err))
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled session did not end when the server closed")
	}
}
