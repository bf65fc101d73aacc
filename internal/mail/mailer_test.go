package mail_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/smtptest"
)

const from = "Incident Response <irbot@notices.example.com>"

func newMailer(t *testing.T, srv *smtptest.Server, mutate ...func(*mail.Config)) *mail.Mailer {
	t.Helper()
	cfg := mail.Config{Addr: srv.Addr, From: from, TLS: mail.TLSNone, Timeout: 10 * time.Second}
	for _, f := range mutate {
		f(&cfg)
	}
	m, err := mail.New(cfg)
	require.NoError(t, err)
	return m
}

func notice(id string, to ...string) mail.Message {
	return mail.Message{
		MessageID: id,
		To:        to,
		Subject:   "Personal data breach notification (Art. 33 GDPR) — incident INC-42",
		Text:      "Nature of the breach: unauthorised access.\nDPO: dpo@example.com\n",
		HTML:      "<p>Nature of the breach: <b>unauthorised access</b>.</p>",
		Headers:   map[string]string{"X-Irbot-Notice": "INC-42/eu-gdpr/art33/1", "X-Irbot-Drill": "false"},
		ReplyTo:   "dpo@example.com",
	}
}

func mailErr(t *testing.T, err error) *mail.Error {
	t.Helper()
	require.Error(t, err)
	var e *mail.Error
	require.True(t, errors.As(err, &e), "Send must fail with *mail.Error, got %T: %v", err, err)
	return e
}

func TestNoticeArrivesWithItsMessageIDSubjectPartsAndHeaders(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	id := m.MessageID("INC-42", "eu-gdpr/art33", "breach@dpa.example", "1")
	msg := notice(id, "Data Protection Authority <breach@dpa.example>")

	receipt, err := m.Send(t.Context(), msg)
	require.NoError(t, err)
	require.Equal(t, id, receipt.MessageID)
	require.Equal(t, 250, receipt.Code)
	require.NotEmpty(t, receipt.Reply, "the server's reply text is the proof of hand-over")
	require.False(t, receipt.At.IsZero())
	require.Equal(t, srv.Addr, receipt.Server)

	got := srv.WaitForMessages(t, 1, 5*time.Second)
	require.Len(t, got, 1)
	r := got[0]
	require.Equal(t, id, r.MessageID, "the library must not replace the notice's Message-ID")
	require.Len(t, r.Header["Message-Id"], 1, "exactly one Message-ID header")
	require.Equal(t, msg.Subject, r.Subject)
	require.Equal(t, msg.Text, strings.ReplaceAll(r.Text, "\r\n", "\n"))
	require.Equal(t, msg.HTML, r.HTML)
	require.Equal(t, "INC-42/eu-gdpr/art33/1", r.Header.Get("X-Irbot-Notice"))
	require.Equal(t, "false", r.Header.Get("X-Irbot-Drill"))
	require.Contains(t, r.Header.Get("Reply-To"), "dpo@example.com")
	require.Contains(t, r.Header.Get("From"), "irbot@notices.example.com")
	require.Contains(t, r.Header.Get("To"), "breach@dpa.example")
	require.NotEmpty(t, r.Header.Get("Date"))
	require.Equal(t, "irbot@notices.example.com", r.From)
	require.Equal(t, []string{"breach@dpa.example"}, r.To)
}

func TestSTARTTLSWithAuthDelivers(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithTLS(), smtptest.WithAuth("irbot", "s3cret"))
	m := newMailer(t, srv, func(c *mail.Config) {
		c.TLS = mail.TLSStartTLS
		c.TLSConfig = srv.ClientTLSConfig()
		c.Username, c.Password = "irbot", "s3cret"
	})
	receipt, err := m.Send(t.Context(), notice(m.MessageID("starttls"), "breach@dpa.example"))
	require.NoError(t, err)
	require.True(t, receipt.TLS)

	r := srv.WaitForMessages(t, 1, 5*time.Second)[0]
	require.True(t, r.TLS, "the message must travel encrypted")
	require.Equal(t, "irbot", r.AuthUser)
}

func TestImplicitTLSDelivers(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithImplicitTLS(), smtptest.WithAuth("irbot", "s3cret"))
	m := newMailer(t, srv, func(c *mail.Config) {
		c.TLS = mail.TLSImplicit
		c.TLSConfig = srv.ClientTLSConfig()
		c.Username, c.Password = "irbot", "s3cret"
	})
	receipt, err := m.Send(t.Context(), notice(m.MessageID("implicit"), "breach@dpa.example"))
	require.NoError(t, err)
	require.True(t, receipt.TLS)
	r := srv.WaitForMessages(t, 1, 5*time.Second)[0]
	require.True(t, r.TLS)
	require.Equal(t, "irbot", r.AuthUser)
}

func TestUntrustedCertificateIsPermanentTLSError(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithTLS())
	m := newMailer(t, srv, func(c *mail.Config) { c.TLS = mail.TLSStartTLS }) // system roots only
	_, err := m.Send(t.Context(), notice(m.MessageID("untrusted"), "breach@dpa.example"))
	e := mailErr(t, err)
	require.Equal(t, mail.StageTLS, e.Stage)
	require.True(t, mail.IsPermanent(err), "retrying cannot make an untrusted certificate trusted: %v", err)
	require.Empty(t, srv.Messages())
}

func TestSTARTTLSRequiredButNotOfferedIsPermanent(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv, func(c *mail.Config) { c.TLS = mail.TLSStartTLS })
	_, err := m.Send(t.Context(), notice(m.MessageID("downgrade"), "breach@dpa.example"))
	e := mailErr(t, err)
	require.Equal(t, mail.StageTLS, e.Stage)
	require.True(t, mail.IsPermanent(err))
	require.Contains(t, err.Error(), "STARTTLS")
	require.Empty(t, srv.Messages(), "no silent downgrade to plaintext")
}

func TestPlainAuthToLoopbackIsAllowed(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithAuth("irbot", "s3cret"))
	m := newMailer(t, srv, func(c *mail.Config) { c.Username, c.Password = "irbot", "s3cret" })
	_, err := m.Send(t.Context(), notice(m.MessageID("loopback"), "breach@dpa.example"))
	require.NoError(t, err)
	require.Equal(t, "irbot", srv.WaitForMessages(t, 1, 5*time.Second)[0].AuthUser)
}

func TestWrongPasswordIsPermanent535(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithTLS(), smtptest.WithAuth("irbot", "s3cret"))
	m := newMailer(t, srv, func(c *mail.Config) {
		c.TLS = mail.TLSStartTLS
		c.TLSConfig = srv.ClientTLSConfig()
		c.Username, c.Password = "irbot", "wrong-password-value"
	})
	_, err := m.Send(t.Context(), notice(m.MessageID("badpass"), "breach@dpa.example"))
	e := mailErr(t, err)
	require.Equal(t, 535, e.Code)
	require.Equal(t, mail.StageAuth, e.Stage)
	require.True(t, mail.IsPermanent(err))
	require.NotContains(t, err.Error(), "wrong-password-value", "the password must never appear in an error")
	require.Equal(t, 0, srv.Attempts())
}

func TestData451IsTemporaryThenDeliveredOnce(t *testing.T) {
	srv := smtptest.Start(t)
	srv.ReplyDataWith(451, 451, 250)
	m := newMailer(t, srv)
	msg := notice(m.MessageID("INC-42", "art33", "dpa", "1"), "breach@dpa.example")

	for range 2 {
		_, err := m.Send(t.Context(), msg)
		e := mailErr(t, err)
		require.Equal(t, 451, e.Code)
		require.Equal(t, mail.StageData, e.Stage)
		require.True(t, e.Temporary)
		require.False(t, e.Uncertain, "a 451 is a clear refusal, not an unknown outcome")
		require.False(t, mail.IsPermanent(err))
		require.NotContains(t, err.Error(), "unauthorised access", "an error never carries the body")
	}
	receipt, err := m.Send(t.Context(), msg)
	require.NoError(t, err)
	require.Equal(t, 250, receipt.Code)

	got := srv.WaitForMessages(t, 1, 5*time.Second)
	require.Len(t, got, 1, "refused attempts are not deliveries")
	require.Equal(t, msg.MessageID, got[0].MessageID)
	require.Equal(t, 3, srv.Attempts())
}

func TestRcpt550IsPermanentAndNamesTheAddress(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RejectRcpt("nobody@dpa.example", 550)
	m := newMailer(t, srv)
	_, err := m.Send(t.Context(), notice(m.MessageID("rcpt"), "breach@dpa.example", "Nobody <nobody@dpa.example>"))
	e := mailErr(t, err)
	require.Equal(t, mail.StageRcpt, e.Stage)
	require.Equal(t, 550, e.Code)
	require.True(t, mail.IsPermanent(err))
	require.Len(t, e.Recipients, 1)
	require.Equal(t, "nobody@dpa.example", e.Recipients[0].Address)
	require.Equal(t, 550, e.Recipients[0].Code)
	require.Contains(t, err.Error(), "n***@dpa.example", "the error says which recipient, masked")
	require.NotContains(t, err.Error(), "nobody@", "the full address stays out of log text")

	require.Equal(t, 0, srv.Attempts(), "all or nothing: no recipient gets it when one is refused")
	require.Empty(t, srv.Messages())
}

func TestRcpt4xxIsTemporary(t *testing.T) {
	srv := smtptest.Start(t)
	srv.ReplyRcptWith(452)
	m := newMailer(t, srv)
	_, err := m.Send(t.Context(), notice(m.MessageID("rcpt4xx"), "breach@dpa.example"))
	e := mailErr(t, err)
	require.Equal(t, 452, e.Code)
	require.True(t, e.Temporary)
}

func TestBadAddressSyntaxIsPermanentWithoutConnecting(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	_, err := m.Send(t.Context(), notice(m.MessageID("syntax"), "breach@dpa.example", "not an address"))
	e := mailErr(t, err)
	require.Equal(t, mail.StageRcpt, e.Stage)
	require.True(t, mail.IsPermanent(err))
	require.Len(t, e.Recipients, 1)
	require.Equal(t, "not an address", e.Recipients[0].Address)
	require.Equal(t, 0, srv.Sessions())
}

func TestConnectionDroppedAfterDataIsTemporaryAndUncertain(t *testing.T) {
	srv := smtptest.Start(t)
	srv.DropAfterData(1)
	m := newMailer(t, srv)
	msg := notice(m.MessageID("INC-42", "art33", "dpa", "1"), "breach@dpa.example")

	_, err := m.Send(t.Context(), msg)
	e := mailErr(t, err)
	require.Equal(t, mail.StageData, e.Stage)
	require.True(t, e.Temporary)
	require.True(t, e.Uncertain, "the sender cannot know whether the server kept it")
	require.Equal(t, 0, e.Code)
	require.False(t, mail.IsPermanent(err))
	require.Len(t, srv.WaitForMessages(t, 1, 5*time.Second), 1, "the server did receive the message")

	_, err = m.Send(t.Context(), msg)
	require.NoError(t, err)
	got := srv.WaitForMessages(t, 2, 5*time.Second)
	require.Len(t, got, 2)
	require.Equal(t, got[0].MessageID, got[1].MessageID, "both copies are recognisably the same notice")
}

// silentServer accepts TCP connections and never says anything.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}

func TestCancelReturnsPromptlyWithContextError(t *testing.T) {
	addr := silentServer(t)
	m, err := mail.New(mail.Config{Addr: addr, From: from, TLS: mail.TLSNone, Timeout: time.Minute})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := m.Send(ctx, notice(mail.MessageID("x.example", "cancel"), "breach@dpa.example"))
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, mail.IsPermanent(err))
	case <-time.After(5 * time.Second):
		t.Fatal("Send kept waiting on a silent server after its context was cancelled")
	}

	// Already cancelled before the call.
	_, err = m.Send(ctx, notice(mail.MessageID("x.example", "cancel"), "breach@dpa.example"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestSessionTimeoutIsTemporary(t *testing.T) {
	addr := silentServer(t)
	m, err := mail.New(mail.Config{Addr: addr, From: from, TLS: mail.TLSNone, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	_, err = m.Send(t.Context(), notice(mail.MessageID("x.example", "timeout"), "breach@dpa.example"))
	require.ErrorIs(t, err, mail.ErrTimeout)
	require.Less(t, time.Since(start), 5*time.Second)
	e := mailErr(t, err)
	require.True(t, e.Temporary)
	require.Equal(t, mail.StageHello, e.Stage, "the greeting never came")
}

func TestServerDownIsTemporaryDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	m, err := mail.New(mail.Config{Addr: addr, From: from, TLS: mail.TLSNone})
	require.NoError(t, err)
	_, err = m.Send(t.Context(), notice(mail.MessageID("x.example", "down"), "breach@dpa.example"))
	e := mailErr(t, err)
	require.Equal(t, mail.StageDial, e.Stage)
	require.True(t, e.Temporary)
}

func TestInvalidMessagesAreRefusedBeforeConnecting(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	good := notice(m.MessageID("k"), "breach@dpa.example")

	cases := map[string]func(*mail.Message){
		"no Message-ID":         func(msg *mail.Message) { msg.MessageID = "" },
		"Message-ID no angle":   func(msg *mail.Message) { msg.MessageID = "abc@example.com" },
		"no recipient":          func(msg *mail.Message) { msg.To = nil },
		"no body":               func(msg *mail.Message) { msg.Text, msg.HTML = "", "" },
		"subject injection":     func(msg *mail.Message) { msg.Subject = "hi\r\nBcc: x@evil.example" },
		"header overrides From": func(msg *mail.Message) { msg.Headers = map[string]string{"from": "x@evil.example"} },
		"header overrides id":   func(msg *mail.Message) { msg.Headers = map[string]string{"Message-ID": "<a@b>"} },
		"header value newline":  func(msg *mail.Message) { msg.Headers = map[string]string{"X-A": "1\nBcc: x@evil.example"} },
		"header name invalid":   func(msg *mail.Message) { msg.Headers = map[string]string{"X A": "1"} },
		"subject too long":      func(msg *mail.Message) { msg.Subject = strings.Repeat("é", 400) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			msg := good
			msg.Headers = map[string]string{}
			mutate(&msg)
			_, err := m.Send(t.Context(), msg)
			mailErr(t, err)
			require.True(t, mail.IsPermanent(err), "%v", err)
		})
	}
	require.Equal(t, 0, srv.Sessions(), "a bad message never opens a session")
}

func TestMessageID(t *testing.T) {
	key := []string{"INC-2026-0042", "eu-gdpr/art33", "alice.martin@example.org", "rev-1"}
	id := mail.MessageID("notices.example.com", key...)

	t.Run("stable", func(t *testing.T) {
		require.Equal(t, id, mail.MessageID("notices.example.com", key...))
	})
	t.Run("distinct", func(t *testing.T) {
		seen := map[string]bool{id: true}
		for _, other := range [][]string{
			{"INC-2026-0042", "eu-gdpr/art33", "alice.martin@example.org", "rev-2"},
			{"INC-2026-0042", "eu-gdpr/art34", "alice.martin@example.org", "rev-1"},
			{"INC-2026-0043", "eu-gdpr/art33", "alice.martin@example.org", "rev-1"},
			{"INC-2026-0042", "eu-gdpr/art33", "bob@example.org", "rev-1"},
			{"INC-2026-0042eu-gdpr/art33", "alice.martin@example.org", "rev-1"}, // same bytes, split differently
			{"INC-2026-0042", "eu-gdpr/art33", "alice.martin@example.org", "rev-1", ""},
		} {
			got := mail.MessageID("notices.example.com", other...)
			require.False(t, seen[got], "key %q collides", other)
			seen[got] = true
		}
		require.NotEqual(t, id, mail.MessageID("other.example", key...))
	})
	t.Run("valid format", func(t *testing.T) {
		require.True(t, mail.ValidMessageID(id), id)
		require.Regexp(t, `^<irbot\.[a-z2-7]{32}@notices\.example\.com>$`, id)
		require.True(t, mail.ValidMessageID(mail.MessageID("")), "empty domain falls back")
		require.True(t, strings.HasSuffix(mail.MessageID("", "k"), "@irbot.invalid>"))
		require.True(t, strings.HasSuffix(mail.MessageID("Bad Domain!", "k"), "@irbot.invalid>"))
		require.True(t, strings.HasSuffix(mail.MessageID("Notices.Example.COM.", "k"), "@notices.example.com>"))
	})
	t.Run("no key text in clear", func(t *testing.T) {
		for _, part := range []string{"alice", "martin", "example.org", "INC", "2026", "0042", "gdpr", "art33", "rev"} {
			require.NotContains(t, strings.ToLower(id), strings.ToLower(part))
		}
	})
	t.Run("mailer uses the From domain", func(t *testing.T) {
		m, err := mail.New(mail.Config{Addr: "127.0.0.1:25", From: from, TLS: mail.TLSNone})
		require.NoError(t, err)
		require.Equal(t, mail.MessageID("notices.example.com", key...), m.MessageID(key...))
	})
}

func TestConfigValidate(t *testing.T) {
	ok := mail.Config{Addr: "smtp.example.com:587", From: "irbot@example.com", TLS: mail.TLSStartTLS, Username: "u", Password: "hunter2-secret"}
	require.NoError(t, ok.Validate())

	cases := []struct {
		name   string
		mutate func(*mail.Config)
		want   string
	}{
		{"addr missing", func(c *mail.Config) { c.Addr = "" }, "SMTP_ADDR is required"},
		{"addr without port", func(c *mail.Config) { c.Addr = "smtp.example.com" }, `SMTP_ADDR must be host:port, got "smtp.example.com"`},
		{"addr bad port", func(c *mail.Config) { c.Addr = "smtp.example.com:smtp" }, "SMTP_ADDR port must be a number"},
		{"tls unknown", func(c *mail.Config) { c.TLS = "x" }, `SMTP_TLS must be none, starttls or tls, got "x"`},
		{"from missing", func(c *mail.Config) { c.From = "" }, "SMTP_FROM is required"},
		{"from invalid", func(c *mail.Config) { c.From = "irbot" }, `SMTP_FROM must be an email address, got "irbot"`},
		{"password without user", func(c *mail.Config) { c.Username = "" }, "SMTP_PASSWORD is set but SMTP_USERNAME is empty"},
		{"user without password", func(c *mail.Config) { c.Password = "" }, "SMTP_USERNAME is set but SMTP_PASSWORD is empty"},
		{"credentials in clear to remote", func(c *mail.Config) { c.TLS = mail.TLSNone }, "SMTP_USERNAME is set but SMTP_TLS is none"},
		{"negative timeout", func(c *mail.Config) { c.Timeout = -time.Second }, "timeout must not be negative"},
		{"bad hello", func(c *mail.Config) { c.Hello = "two words" }, "EHLO name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mutate(&c)
			err := c.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "hunter2-secret", "the password never appears")
			require.NotContains(t, err.Error(), "\n", "one line")
			_, err = mail.New(c)
			require.Error(t, err, "New refuses what Validate refuses")
		})
	}

	t.Run("credentials in clear to loopback are fine", func(t *testing.T) {
		c := ok
		c.Addr, c.TLS = "127.0.0.1:25", mail.TLSNone
		require.NoError(t, c.Validate())
	})
	t.Run("several problems on one line", func(t *testing.T) {
		err := mail.Config{TLS: "ssl"}.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), "SMTP_ADDR")
		require.Contains(t, err.Error(), "SMTP_TLS")
		require.Contains(t, err.Error(), "SMTP_FROM")
		require.NotContains(t, err.Error(), "\n")
	})
}

func TestCampaignOfThousandDistinctMessagesOverTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithTLS(), smtptest.WithAuth("irbot", "s3cret"))
	m := newMailer(t, srv, func(c *mail.Config) {
		c.TLS = mail.TLSStartTLS
		c.TLSConfig = srv.ClientTLSConfig()
		c.Username, c.Password = "irbot", "s3cret"
	})
	const n = 1000
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				to := fmt.Sprintf("customer-%04d@example.org", i)
				_, err := m.Send(t.Context(), notice(m.MessageID("INC-42", "campaign", to), to))
				if err != nil {
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
	got := srv.WaitForMessages(t, n, 10*time.Second)
	ids := map[string]bool{}
	for _, r := range got {
		ids[r.MessageID] = true
	}
	require.Len(t, ids, n, "one distinct Message-ID per recipient")
}
