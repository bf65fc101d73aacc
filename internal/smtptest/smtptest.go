// Package smtptest runs a real SMTP server inside a test process.
//
// It speaks SMTP over loopback (github.com/emersion/go-smtp, server side), so
// the code under test uses its production SMTP client unchanged. A test can
// turn on STARTTLS, implicit TLS and AUTH PLAIN, script the reply code of
// every RCPT and DATA attempt, and drop the connection (or hang) after a
// message was received but before it was acknowledged: the "sender unsure"
// case that a stable Message-ID exists for.
//
// A Server is safe for concurrent use and keeps every accepted message in
// memory; a campaign of a few thousand messages is fine.
package smtptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Domain is the name the server announces in its greeting.
const Domain = "smtptest.invalid"

// Option configures a Server at Start.
type Option func(*options)

type options struct {
	starttls    bool
	implicitTLS bool
	user, pass  string
	smtputf8    bool
}

// WithTLS offers STARTTLS with a self-signed certificate generated in memory
// for 127.0.0.1, ::1 and localhost. Server.ClientTLSConfig trusts it.
func WithTLS() Option { return func(o *options) { o.starttls = true } }

// WithImplicitTLS makes the listener speak TLS from the first byte (SMTPS,
// the "tls" mode of SMTP_TLS), with the same generated certificate.
func WithImplicitTLS() Option { return func(o *options) { o.implicitTLS = true } }

// WithAuth offers AUTH PLAIN and requires it before MAIL FROM. Only this user
// and password are accepted; anything else gets 535 5.7.8. Without TLS the
// server still accepts AUTH over plaintext, so a client's own refusal to send
// a password in clear can be tested.
func WithAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass = user, pass }
}

// WithSMTPUTF8 advertises the SMTPUTF8 extension (RFC 6531).
func WithSMTPUTF8() Option { return func(o *options) { o.smtputf8 = true } }

// Server is a running in-process SMTP server. Create it with Start.
type Server struct {
	// Addr is host:port of the listener, on 127.0.0.1.
	Addr string

	srv       *smtp.Server
	ln        net.Listener
	opts      options
	clientTLS *tls.Config
	closeOnce sync.Once

	mu           sync.Mutex
	msgs         []Received
	dataAttempts int
	rcptAttempts int
	sessions     int
	dataScript   []int
	rcptScript   []int
	rcptByAddr   map[string]int
	dropData     map[int]bool
	stallData    map[int]bool
	changed      chan struct{} // closed and replaced whenever a message is recorded
	closed       chan struct{} // closed by Close: releases stalled sessions
}

// Start listens on 127.0.0.1:0 and serves until the test ends (t.Cleanup).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		rcptByAddr: map[string]int{},
		dropData:   map[int]bool{},
		stallData:  map[int]bool{},
		changed:    make(chan struct{}),
		closed:     make(chan struct{}),
	}
	for _, o := range opts {
		o(&s.opts)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen on loopback: %v", err)
	}

	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = Domain
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = s.opts.smtputf8
	srv.MaxRecipients = 0
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute

	if s.opts.starttls || s.opts.implicitTLS {
		serverCfg, clientCfg, err := selfSigned()
		if err != nil {
			_ = ln.Close()
			t.Fatalf("smtptest: generate certificate: %v", err)
		}
		s.clientTLS = clientCfg
		if s.opts.starttls {
			srv.TLSConfig = serverCfg
		}
		if s.opts.implicitTLS {
			ln = tls.NewListener(ln, serverCfg)
		}
	}

	s.srv, s.ln = srv, ln
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and drops every open connection. Start registers it
// with t.Cleanup; a test may call it earlier to make the peer disappear.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		// Close the listener ourselves too: Serve may not have registered
		// it with the go-smtp server yet.
		_ = s.ln.Close()
		_ = s.srv.Close()
	})
}

// ClientTLSConfig returns a TLS client configuration that trusts the
// server's certificate. ServerName is left empty so a client fills it in
// from the address it dials (the certificate covers 127.0.0.1 and
// localhost). It returns nil unless WithTLS or WithImplicitTLS was given.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// ReplyDataWith scripts the reply to the next DATA attempts, one code per
// attempt, in order; once the script is used up, messages are accepted with
// 250. A 2xx code accepts and records the message; any other code rejects it
// and nothing is recorded. ReplyDataWith(451, 451, 250) makes the first two
// attempts fail temporarily and the third succeed. Calls append.
func (s *Server) ReplyDataWith(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dataScript = append(s.dataScript, codes...)
}

// ReplyRcptWith scripts the reply to the next RCPT TO commands, one code per
// command, whatever the address; then recipients are accepted with 250.
func (s *Server) ReplyRcptWith(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptScript = append(s.rcptScript, codes...)
}

// RejectRcpt answers every RCPT TO for addr (case-insensitive) with code,
// e.g. 550 for a mailbox that does not exist. It takes precedence over
// ReplyRcptWith.
func (s *Server) RejectRcpt(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptByAddr[strings.ToLower(addr)] = code
}

// DropAfterData makes the n-th DATA attempt (1-based, counted like Attempts)
// end with the connection closed after the whole message was received but
// before any reply. The message IS recorded as received: the sender cannot
// know whether it was delivered. It consumes that attempt's ReplyDataWith
// code, if any. Calls add attempts to drop.
func (s *Server) DropAfterData(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropData[n] = true
}

// StallAfterData makes the n-th DATA attempt (1-based, counted like
// Attempts) take the whole message, record it as received, and then answer
// nothing until the server is closed: a peer that hangs after DATA. The
// sender waits with the message possibly delivered, so a worker that dies
// meanwhile leaves the outcome unknown. Calls add attempts to stall.
func (s *Server) StallAfterData(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallData[n] = true
}

// Messages returns a copy of the messages received so far, in arrival order.
// The Data slices are shared: do not modify them.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.msgs))
	copy(out, s.msgs)
	return out
}

// Attempts returns how many DATA commands the server has seen, accepted,
// rejected or dropped.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataAttempts
}

// RcptAttempts returns how many RCPT TO commands the server has seen.
func (s *Server) RcptAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcptAttempts
}

// Sessions returns how many SMTP sessions (EHLO/HELO) the server has seen.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// WaitForMessages waits until at least n messages have been received and
// returns them all. After timeout it fails the test, saying how many arrived
// and how many DATA attempts were seen.
func (s *Server) WaitForMessages(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, attempts, changed := len(s.msgs), s.dataAttempts, s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: waited %s for %d message(s) at %s, received %d (%d DATA attempt(s))",
				timeout, n, s.Addr, got, attempts)
			return nil
		}
	}
}

func (s *Server) record(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.sessions++
	b.s.mu.Unlock()
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s        *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if ss.s.opts.user == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if identity != "" && identity != user {
			return smtp.ErrAuthFailed
		}
		if user != ss.s.opts.user || pass != ss.s.opts.pass {
			return smtp.ErrAuthFailed
		}
		ss.authUser = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.user != "" && ss.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	ss.s.rcptAttempts++
	code, ok := ss.s.rcptByAddr[strings.ToLower(to)]
	if !ok && len(ss.s.rcptScript) > 0 {
		code, ok = ss.s.rcptScript[0], true
		ss.s.rcptScript = ss.s.rcptScript[1:]
	}
	ss.s.mu.Unlock()
	if ok && code/100 != 2 {
		return scripted(code, "recipient")
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	ss.s.mu.Lock()
	ss.s.dataAttempts++
	attempt := ss.s.dataAttempts
	code := 250
	if len(ss.s.dataScript) > 0 {
		code = ss.s.dataScript[0]
		ss.s.dataScript = ss.s.dataScript[1:]
	}
	drop, stall := ss.s.dropData[attempt], ss.s.stallData[attempt]
	ss.s.mu.Unlock()

	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if drop {
		ss.s.record(ss.received(data))
		// Closing the raw connection before go-smtp writes the reply is
		// exactly a peer that vanished after taking the message.
		_ = ss.conn.Conn().Close()
		return errors.New("smtptest: connection dropped after DATA")
	}
	if stall {
		ss.s.record(ss.received(data))
		<-ss.s.closed
		return errors.New("smtptest: stalled after DATA until the server closed")
	}
	if code/100 != 2 {
		return scripted(code, "message")
	}
	ss.s.record(ss.received(data))
	return nil
}

func (ss *session) received(data []byte) Received {
	_, isTLS := ss.conn.TLSConnectionState()
	r := parseReceived(data)
	r.From = ss.from
	r.To = append([]string(nil), ss.to...)
	r.AuthUser = ss.authUser
	r.TLS = isTLS
	r.At = time.Now()
	return r
}

func (ss *session) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *session) Logout() error { return nil }

// scripted builds the reply for a scripted code, with an enhanced status
// code of the same class.
func scripted(code int, what string) error {
	class := code / 100
	text := fmt.Sprintf("smtptest scripted %d for this %s", code, what)
	switch class {
	case 4:
		text = fmt.Sprintf("Temporary failure for this %s, try again later (smtptest scripted %d)", what, code)
	case 5:
		text = fmt.Sprintf("Permanent failure for this %s (smtptest scripted %d)", what, code)
	}
	ec := smtp.EnhancedCode{class, 0, 0}
	if class != 4 && class != 5 {
		ec = smtp.NoEnhancedCode
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: text}
}
