package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Receipt is the server's acceptance of a message: the proof of delivery to
// the SMTP peer that goes on the timeline. It holds no message body.
type Receipt struct {
	MessageID string
	Code      int       // the reply code to the end of DATA, 250 in practice
	Reply     string    // the server's text, e.g. "2.0.0 Ok: queued as 4BX2Q1"
	At        time.Time // when the reply arrived
	Server    string    // the SMTP_ADDR the message was handed to
	TLS       bool      // whether the session was encrypted
}

// Mailer sends messages over SMTP, one session per Send. It is safe for
// concurrent use.
type Mailer struct {
	cfg    Config
	host   string // for TLS ServerName and the plaintext-auth decision
	from   string // envelope sender, the bare address of cfg.From
	domain string // right-hand side of Message-IDs
	now    func() time.Time
}

// New checks cfg (see Config.Validate) and returns a Mailer. It does not
// connect: a server that is down fails the first Send, temporarily.
func New(cfg Config) (*Mailer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	host, _, _ := net.SplitHostPort(cfg.Addr)
	from, _ := netmail.ParseAddress(cfg.From) // Validate parsed it already
	return &Mailer{
		cfg:    cfg,
		host:   host,
		from:   from.Address,
		domain: addressDomain(cfg.From),
		now:    time.Now,
	}, nil
}

// MessageID is MessageID with the domain of SMTP_FROM.
func (m *Mailer) MessageID(keyParts ...string) string {
	return MessageID(m.domain, keyParts...)
}

// Send delivers msg in one SMTP session and returns the server's receipt.
//
// On failure the error is an *Error: see its Stage, Code, Temporary and
// Uncertain fields. Send never retries: the caller decides, with backoff for
// temporary failures and a person for permanent ones. Recipients are all or
// nothing: if the server refuses any RCPT, the transaction is reset and
// nothing is sent, so a retry after fixing the list cannot give the
// accepted recipients a second copy.
//
// Cancelling ctx, or Config.Timeout running out, interrupts the session at
// once; the error then wraps the context's cause (context.Canceled,
// ErrTimeout, ...).
func (m *Mailer) Send(ctx context.Context, msg Message) (Receipt, error) {
	rcpts, raw, berr := build(m.cfg, msg, m.now())
	if berr != nil {
		return Receipt{}, berr
	}
	if msg.Rendered != nil {
		if err := msg.Rendered(raw); err != nil {
			return Receipt{}, &Error{Stage: StageMessage, Temporary: true, Err: fmt.Errorf("keep the message before sending: %w", err)}
		}
	}

	ctx, cancel := context.WithTimeoutCause(ctx, m.cfg.Timeout, ErrTimeout)
	defer cancel()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return Receipt{}, classify(StageDial, err, ctxCause(ctx))
	}
	defer func() { _ = conn.Close() }()
	// Closing the socket is what unblocks a read or write in progress, so
	// cancellation takes effect at once whatever stage the session is in.
	// It also enforces Config.Timeout: no socket deadline is set, so a
	// timeout always surfaces as ErrTimeout rather than a bare i/o error.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	s := &session{m: m, ctx: ctx, raw: conn}
	return s.run(rcpts, raw, msg.MessageID)
}

type session struct {
	m   *Mailer
	ctx context.Context
	raw net.Conn
	c   *smtp.Client
}

func (s *session) fail(stage string, err error) *Error {
	return classify(stage, err, ctxCause(s.ctx))
}

func (s *session) run(rcpts []string, raw []byte, messageID string) (Receipt, error) {
	cfg := s.m.cfg
	var conn net.Conn = s.raw
	if cfg.TLS == TLSImplicit {
		tc := tls.Client(s.raw, s.m.tlsConfig())
		if err := tc.HandshakeContext(s.ctx); err != nil {
			return Receipt{}, s.fail(StageTLS, err)
		}
		conn = tc
	}

	c, err := smtp.NewClient(conn, s.m.host) // reads the greeting
	if err != nil {
		return Receipt{}, s.fail(StageHello, err)
	}
	s.c = c
	if err := c.Hello(cfg.Hello); err != nil {
		return Receipt{}, s.fail(StageHello, err)
	}

	if cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			s.quit()
			return Receipt{}, &Error{Stage: StageTLS, Err: errors.New("server does not offer STARTTLS, which SMTP_TLS=starttls requires")}
		}
		if err := c.StartTLS(s.m.tlsConfig()); err != nil {
			return Receipt{}, s.fail(StageTLS, err)
		}
	}
	_, encrypted := c.TLSConnectionState()

	if cfg.Username != "" {
		if err := plainAuthAllowed(s.m.host, encrypted); err != nil {
			s.quit()
			return Receipt{}, &Error{Stage: StageAuth, Err: err}
		}
		if ok, mechs := c.Extension("AUTH"); !ok || !hasWord(mechs, "PLAIN") {
			s.quit()
			return Receipt{}, &Error{Stage: StageAuth, Err: fmt.Errorf("server does not offer AUTH PLAIN (offers %q)", mechs)}
		}
		if err := c.Auth(&plainAuth{user: cfg.Username, pass: cfg.Password, host: s.m.host}); err != nil {
			return Receipt{}, s.fail(StageAuth, err)
		}
	}

	if err := c.Mail(s.m.from); err != nil {
		return Receipt{}, s.fail(StageMail, err)
	}

	var refused []RecipientError
	for _, to := range rcpts {
		err := c.Rcpt(to)
		if err == nil {
			continue
		}
		var tp *textproto.Error
		if !errors.As(err, &tp) || ctxCause(s.ctx) != nil {
			return Receipt{}, s.fail(StageRcpt, err)
		}
		refused = append(refused, RecipientError{Address: to, Code: tp.Code, Reply: tp.Msg})
	}
	if len(refused) > 0 {
		_ = c.Reset()
		s.quit()
		return Receipt{}, rcptError(refused)
	}

	// DATA by hand rather than Client.Data, whose Close drops the text of
	// the server's final reply: that text (the queue id) is the receipt.
	id, err := c.Text.Cmd("DATA")
	if err != nil {
		return Receipt{}, s.fail(StageData, err)
	}
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(354)
	c.Text.EndResponse(id)
	if err != nil {
		return Receipt{}, s.fail(StageData, err)
	}
	w := c.Text.DotWriter()
	if _, err := w.Write(raw); err != nil {
		return Receipt{}, s.fail(StageData, err)
	}
	if err := w.Close(); err != nil {
		return Receipt{}, s.fail(StageData, err)
	}
	code, reply, err := c.Text.ReadResponse(2)
	if err != nil {
		e := s.fail(StageData, err)
		var tp *textproto.Error
		if !errors.As(err, &tp) {
			// The whole message went out and no verdict came back.
			e.Temporary, e.Uncertain = true, true
		}
		return Receipt{}, e
	}
	receipt := Receipt{
		MessageID: messageID,
		Code:      code,
		Reply:     reply,
		At:        s.m.now(),
		Server:    cfg.Addr,
		TLS:       encrypted,
	}
	// Delivered: whatever happens to QUIT must not turn into an error, or
	// the caller would send the notice again.
	s.quit()
	return receipt, nil
}

// quit ends the session politely but briefly, ignoring the outcome.
func (s *session) quit() {
	if s.c == nil || s.ctx.Err() != nil {
		return
	}
	dl := time.Now().Add(5 * time.Second)
	if ctxDl, ok := s.ctx.Deadline(); ok && ctxDl.Before(dl) {
		dl = ctxDl
	}
	_ = s.raw.SetDeadline(dl)
	_ = s.c.Quit()
}

func rcptError(refused []RecipientError) *Error {
	e := &Error{Stage: StageRcpt, Recipients: refused, Temporary: true}
	first := refused[0]
	for _, r := range refused {
		if r.Code/100 == 5 {
			// One permanently refused recipient makes the message as a
			// whole permanent: sending it again as it is cannot succeed.
			e.Temporary = false
			first = r
			break
		}
	}
	e.Code, e.Reply = first.Code, first.Reply
	return e
}

func (m *Mailer) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if m.cfg.TLSConfig != nil {
		c = m.cfg.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = m.host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// plainAuth is AUTH PLAIN that re-checks, at the moment of sending, that the
// link is encrypted or the server is on loopback.
type plainAuth struct{ user, pass, host string }

func (a *plainAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if err := plainAuthAllowed(a.host, si.TLS); err != nil {
		return "", nil, err
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected challenge from server during AUTH PLAIN")
	}
	return nil, nil
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}
