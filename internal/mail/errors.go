package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"strings"
)

// Stages of an SMTP session, as reported in Error.Stage.
const (
	StageMessage = "message" // building the message, before any connection: bad input
	StageDial    = "dial"    // TCP connect
	StageHello   = "hello"   // server greeting and EHLO
	StageTLS     = "tls"     // STARTTLS or the implicit TLS handshake
	StageAuth    = "auth"    // AUTH PLAIN
	StageMail    = "mail"    // MAIL FROM
	StageRcpt    = "rcpt"    // RCPT TO
	StageData    = "data"    // DATA, the message, and the server's reply to it
	// StageQuit is never the stage of an error from Send: once the server
	// accepted the message it is delivered, and a failed QUIT is ignored.
	StageQuit = "quit"
)

// ErrTimeout is the cause when a session outlives Config.Timeout.
var ErrTimeout = errors.New("SMTP session timed out")

// Error is a failed Send. Its text never contains the message body or the
// password, and recipient addresses appear masked (they can be a data
// subject's personal data); the full addresses are in Recipients.
type Error struct {
	// Code is the SMTP reply code (451, 535, 550, ...), 0 when the server
	// gave none (connection error, timeout, refused locally).
	Code int
	// Reply is the server's text after the code, enhanced status code
	// included (e.g. "4.3.0 Try again later").
	Reply string
	// Stage is where the session failed: one of the Stage constants.
	Stage string
	// Temporary is true for 4xx replies, connection errors, timeouts and
	// cancellation: sending the same message again may work. False means
	// permanent (5xx, bad address syntax, configuration): stop and tell a
	// person.
	Temporary bool
	// Uncertain is true when the whole message was sent but the reply to it
	// never came (the connection dropped or the time ran out after the final
	// dot): the server may have accepted it. Send it again with the same
	// Message-ID, and expect the receiving side may see two copies.
	Uncertain bool
	// Recipients lists the refused recipients when Stage is StageRcpt.
	Recipients []RecipientError
	// Err is the underlying error, if any (network, TLS, context).
	Err error
}

// RecipientError is one recipient the server (or address parsing) refused.
type RecipientError struct {
	Address string
	Code    int    // 0 when the address did not parse
	Reply   string // the server's text, or why the address is invalid
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smtp %s", e.Stage)
	switch {
	case e.Stage == StageRcpt && len(e.Recipients) > 0:
		b.WriteString(": refused recipient")
		if len(e.Recipients) > 1 {
			b.WriteString("s")
		}
		for i, r := range e.Recipients {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s", maskAddress(r.Address))
			if r.Code != 0 {
				fmt.Fprintf(&b, " (%d)", r.Code)
			} else {
				b.WriteString(" (invalid address)")
			}
		}
	case e.Code != 0:
		fmt.Fprintf(&b, ": %d", e.Code)
		if e.Reply != "" {
			fmt.Fprintf(&b, " %s", oneLine(e.Reply))
		}
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	switch {
	case e.Uncertain:
		b.WriteString(" (temporary; the server may have accepted the message)")
	case e.Temporary:
		b.WriteString(" (temporary)")
	default:
		b.WriteString(" (permanent)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a Send failure that retrying will not
// fix: a 5xx reply, an invalid address or message, or a configuration the
// server refuses. Errors that are not *Error are not permanent.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Temporary
}

// maskAddress keeps an address recognisable to someone who knows it
// (first letter, domain) without writing it out in logs.
func maskAddress(addr string) string {
	a, err := netmail.ParseAddress(addr)
	if err != nil {
		return "***"
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 {
		return "***"
	}
	local, domain := a.Address[:at], a.Address[at+1:]
	first := []rune(local)[0]
	if first == '"' {
		return "***@" + domain
	}
	return string(first) + "***@" + domain
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// classify turns an error from one stage of the session into an *Error.
// ctxCause is non-nil when the session's context ended, which is then the
// real reason whatever the network layer said.
func classify(stage string, err error, ctxCause error) *Error {
	if ctxCause != nil {
		return &Error{Stage: stage, Temporary: true, Err: ctxCause}
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &Error{
			Stage:     stage,
			Code:      tp.Code,
			Reply:     tp.Msg,
			Temporary: tp.Code/100 != 5,
		}
	}
	if isTLSConfigError(err) {
		// A certificate we do not trust or a peer that does not speak
		// TLS will not fix itself: a person must look at the config.
		return &Error{Stage: StageTLS, Temporary: false, Err: err}
	}
	return &Error{Stage: stage, Temporary: true, Err: err}
}

func isTLSConfigError(err error) bool {
	var (
		verr  *tls.CertificateVerificationError
		rerr  tls.RecordHeaderError
		aerr  tls.AlertError
		uaerr x509.UnknownAuthorityError
		herr  x509.HostnameError
		cerr  x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &rerr) || errors.As(err, &aerr) ||
		errors.As(err, &uaerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}

// ctxCause is context.Cause when the context is done, else nil.
func ctxCause(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return context.Cause(ctx)
}
