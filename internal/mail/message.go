package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/jordan-wright/email"
)

// Message is one email. Addresses may carry a display name
// ("Data Protection Authority <breach@dpa.example>").
type Message struct {
	// MessageID in full "<left@right>" form, required and stable per notice:
	// the same notice sent twice must carry the same id (see MessageID).
	MessageID string
	To        []string
	Subject   string
	Text      string // plain-text body; Text, HTML or both
	HTML      string // optional HTML alternative
	// Headers are extra header fields, e.g. "X-Irbot-Notice", "X-Irbot-Drill".
	// They cannot replace the fields Send writes itself (From, To, Subject,
	// Message-ID, Date, MIME and Content headers, ...).
	Headers map[string]string
	ReplyTo string
	// Rendered, when set, is called by Send with the exact RFC 5322 bytes
	// it is about to hand to the server, before it connects: the caller
	// keeps the message as sent. An error stops the send (nothing leaves;
	// a temporary failure at stage "message").
	Rendered func(raw []byte) error
}

// reservedHeaders are written by Send; a caller's Headers may not set them.
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Sender": true, "Reply-To": true,
	"Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Return-Path": true,
}

var messageIDRe = regexp.MustCompile(`^<[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*>$`)

// ValidMessageID reports whether id has the "<dot-atom@domain>" form Send
// accepts.
func ValidMessageID(id string) bool { return messageIDRe.MatchString(id) }

// build checks msg and renders it with jordan-wright/email. It returns the
// envelope recipients (bare addresses, deduplicated) and the message bytes.
// Every failure is permanent: the same input will fail the same way.
func build(cfg Config, msg Message, now time.Time) ([]string, []byte, *Error) {
	bad := func(format string, args ...any) *Error {
		return &Error{Stage: StageMessage, Err: fmt.Errorf(format, args...)}
	}
	if !ValidMessageID(msg.MessageID) {
		return nil, nil, bad("message needs a Message-ID of the form <id@domain>, got %q", msg.MessageID)
	}
	if len(msg.To) == 0 {
		return nil, nil, bad("message has no recipient")
	}
	if msg.Text == "" && msg.HTML == "" {
		return nil, nil, bad("message has neither a text nor an HTML body")
	}
	if hasCRLF(msg.Subject) {
		return nil, nil, bad("subject must be on one line")
	}
	if msg.ReplyTo != "" {
		if _, err := netmail.ParseAddress(msg.ReplyTo); err != nil || hasCRLF(msg.ReplyTo) {
			return nil, nil, bad("Reply-To is not an email address")
		}
	}

	var rcpts, header []string
	var refused []RecipientError
	seen := map[string]bool{}
	for _, to := range msg.To {
		a, err := netmail.ParseAddress(to)
		if err != nil || hasCRLF(to) || !strings.Contains(a.Address, "@") {
			refused = append(refused, RecipientError{Address: to, Reply: "not a valid email address"})
			continue
		}
		key := strings.ToLower(a.Address)
		if !seen[key] {
			seen[key] = true
			rcpts = append(rcpts, a.Address)
			header = append(header, a.String())
		}
	}
	if len(refused) > 0 {
		return nil, nil, &Error{Stage: StageRcpt, Recipients: refused,
			Err: fmt.Errorf("%d invalid recipient address(es)", len(refused))}
	}

	e := email.NewEmail()
	e.From = cfg.From
	e.To = header
	e.Subject = msg.Subject
	if msg.ReplyTo != "" {
		e.ReplyTo = []string{msg.ReplyTo}
	}
	e.Text = []byte(msg.Text)
	e.HTML = []byte(msg.HTML)
	for name, value := range msg.Headers {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !validFieldName(name):
			return nil, nil, bad("header name %q is not a valid field name", name)
		case reservedHeaders[canon]:
			return nil, nil, bad("header %s is written by the mailer and cannot be set in Headers", canon)
		case hasCRLF(value):
			return nil, nil, bad("header %s must be on one line", canon)
		}
		e.Headers.Set(canon, value)
	}
	// Set under the canonical key "Message-Id": that is the key the library
	// looks up before generating a random id of its own.
	e.Headers.Set("Message-Id", msg.MessageID)
	e.Headers.Set("Date", now.Format(time.RFC1123Z))

	raw, err := e.Bytes()
	if err != nil {
		return nil, nil, bad("render message: %v", err)
	}
	if err := checkRendered(raw, msg.MessageID); err != nil {
		return nil, nil, bad("%v", err)
	}
	return rcpts, raw, nil
}

// checkRendered guards the properties the rest of irbot relies on against a
// change in the MIME library: exactly our Message-ID, and no line longer
// than SMTP allows.
func checkRendered(raw []byte, id string) error {
	parsed, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("rendered message does not parse: %v", err)
	}
	ids := parsed.Header["Message-Id"]
	if len(ids) != 1 || strings.TrimSpace(ids[0]) != id {
		return fmt.Errorf("rendered message carries Message-ID %q, want exactly %q", ids, id)
	}
	for line := range bytes.SplitSeq(raw, []byte("\r\n")) {
		if len(line) > 998 {
			field, _, _ := bytes.Cut(line, []byte(":"))
			if len(field) > 40 {
				field = field[:40]
			}
			return fmt.Errorf("rendered message has a line of %d bytes, over SMTP's 998 (starting %q): shorten the subject or header", len(line), field)
		}
	}
	return nil
}

func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// fallbackDomain is used by MessageID when no usable domain is given.
const fallbackDomain = "irbot.invalid"

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// MessageID derives a stable RFC 5322 Message-ID from a business key, e.g.
// MessageID("example.com", incidentID, obligation, recipient, "rev-2").
// The same parts always give the same id; different parts (or the same
// parts split differently) give different ids. The key is hashed (SHA-256,
// 160 bits kept), so no part of it appears in the id; note that a hash of a
// guessable key can still be confirmed by someone who guesses it.
//
// domain is the right-hand side; when it is empty or not a plain DNS name,
// "irbot.invalid" is used. Mailer.MessageID fills it in from SMTP_FROM.
// Always derive ids for one notice the same way: the domain is part of the id.
func MessageID(domain string, keyParts ...string) string {
	h := sha256.New()
	h.Write([]byte("irbot message-id v1\x00"))
	var n [8]byte
	for _, p := range keyParts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	return "<irbot." + lowerBase32.EncodeToString(sum[:20]) + "@" + cleanDomain(domain) + ">"
}

var domainRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

func cleanDomain(domain string) string {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if d == "" || len(d) > 253 || !domainRe.MatchString(d) {
		return fallbackDomain
	}
	return d
}

// addressDomain returns the domain of an address such as "Name <a@b.c>".
func addressDomain(addr string) string {
	a, err := netmail.ParseAddress(addr)
	if err != nil {
		return ""
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at < 0 {
		return ""
	}
	return a.Address[at+1:]
}
