package smtptest

import (
	"bytes"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/mail"
)

// Received is one message the server accepted (or took and then dropped the
// connection on).
type Received struct {
	From      string         // envelope sender (MAIL FROM)
	To        []string       // envelope recipients the server accepted (RCPT TO)
	Data      []byte         // the message exactly as received, headers and body
	MessageID string         // the Message-ID header, angle brackets included
	Subject   string         // the Subject header, RFC 2047 decoded
	Header    netmail.Header // all headers, keys canonical (mail.Header.Get works)
	Text      string         // first text/plain part, transfer-decoded
	HTML      string         // first text/html part, transfer-decoded
	AuthUser  string         // the AUTH PLAIN user, empty without AUTH
	TLS       bool           // whether the session was encrypted
	At        time.Time
}

// parseReceived fills in what can be read from the raw message
// (mail.ReadBodies, the reader irbot uses on the notices it kept). A message
// that does not parse keeps its Data and leaves the rest empty: the test
// looking at it will say what is missing.
func parseReceived(data []byte) Received {
	r := Received{Data: data}
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return r
	}
	r.Header = msg.Header
	r.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	b, _ := mail.ReadBodies(data)
	r.Subject, r.Text, r.HTML = b.Subject, b.Text, b.HTML
	return r
}
