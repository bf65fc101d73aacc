// Package mail delivers irbot's email (regulator and customer notices) over
// SMTP and tells the caller precisely what happened.
//
// A Send is one SMTP session. It either returns a Receipt, the server's
// acceptance of the message (the proof that goes on the timeline), or an
// *Error saying at which stage it failed, with the reply code, and whether
// the failure is temporary (retry with backoff) or permanent (stop, ask a
// person). Retrying is the caller's business: a notice carries a stable
// Message-ID (see MessageID), so a copy sent again after an uncertain
// failure is recognisable as the same notice.
package mail

import (
	"crypto/tls"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"
)

// TLSMode is how the SMTP session is encrypted (SMTP_TLS).
type TLSMode string

const (
	// TLSNone speaks plaintext. Credentials are then only sent to a
	// loopback server.
	TLSNone TLSMode = "none"
	// TLSStartTLS connects in plaintext and upgrades with STARTTLS; a
	// server that does not offer it is an error, never a silent downgrade.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit TLSMode = "tls"
)

// Defaults applied by New.
const (
	DefaultTimeout = 30 * time.Second
	DefaultHello   = "localhost"
)

// Config says how to reach the SMTP server. The field comments name the
// environment variables that fill them.
type Config struct {
	Addr     string // SMTP_ADDR, host:port
	Username string // SMTP_USERNAME; empty: no AUTH
	Password string // SMTP_PASSWORD
	From     string // SMTP_FROM, "irbot@example.com" or "Incident Response <irbot@example.com>"
	// TLS is SMTP_TLS. Empty means "tls" for port 465 and "starttls"
	// otherwise: plaintext is only ever chosen explicitly.
	TLS TLSMode
	// TLSConfig is optional (tests pass one that trusts their self-signed
	// certificate). When its ServerName is empty, the host of Addr is used.
	TLSConfig *tls.Config
	// Timeout bounds one whole SMTP session, dial to QUIT. Default 30s.
	Timeout time.Duration
	// Hello is the name sent with EHLO. Default "localhost".
	Hello string
}

// Validate checks the configuration and names the environment variable at
// fault. Several problems are reported on one line, separated by "; ". The
// password never appears in the message.
func (c Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	host := ""
	if strings.TrimSpace(c.Addr) == "" {
		add("SMTP_ADDR is required (host:port)")
	} else if h, port, err := net.SplitHostPort(c.Addr); err != nil || h == "" {
		add("SMTP_ADDR must be host:port, got %q", c.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		add("SMTP_ADDR port must be a number from 1 to 65535, got %q", port)
	} else {
		host = h
	}

	switch c.TLS {
	case "", TLSNone, TLSStartTLS, TLSImplicit:
	default:
		add("SMTP_TLS must be none, starttls or tls, got %q", string(c.TLS))
	}

	if strings.TrimSpace(c.From) == "" {
		add("SMTP_FROM is required (the sender address of notices)")
	} else if a, err := netmail.ParseAddress(c.From); err != nil || !strings.Contains(a.Address, "@") {
		add("SMTP_FROM must be an email address, got %q", c.From)
	} else if hasCRLF(c.From) {
		add("SMTP_FROM must be on one line")
	}

	switch {
	case c.Username == "" && c.Password != "":
		add("SMTP_PASSWORD is set but SMTP_USERNAME is empty")
	case c.Username != "" && c.Password == "":
		add("SMTP_USERNAME is set but SMTP_PASSWORD is empty")
	case c.Username != "" && hasCRLF(c.Username):
		add("SMTP_USERNAME must be on one line")
	}
	if c.Username != "" && c.TLS == TLSNone && host != "" {
		if err := plainAuthAllowed(host, false); err != nil {
			add("SMTP_USERNAME is set but SMTP_TLS is none: %v; use starttls or tls", err)
		}
	}

	if c.Timeout < 0 {
		add("SMTP timeout must not be negative, got %s", c.Timeout)
	}
	if c.Hello != "" && (strings.ContainsAny(c.Hello, " \t\r\n") || !isASCII(c.Hello)) {
		add("SMTP EHLO name must be one ASCII word, got %q", c.Hello)
	}

	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("mail config: %s", strings.Join(problems, "; "))
}

// withDefaults fills in what Validate allows to be empty.
func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Hello == "" {
		c.Hello = DefaultHello
	}
	if c.TLS == "" {
		c.TLS = TLSStartTLS
		if _, port, err := net.SplitHostPort(c.Addr); err == nil && port == "465" {
			c.TLS = TLSImplicit
		}
	}
	return c
}

// plainAuthAllowed decides whether AUTH PLAIN may be sent: always over an
// encrypted link; over plaintext only to a loopback server (a local relay),
// because PLAIN is the password in base64.
func plainAuthAllowed(host string, encrypted bool) error {
	if encrypted || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("refusing to send SMTP credentials over an unencrypted connection to %s (not a loopback address)", host)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
