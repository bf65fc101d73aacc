package smtptest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// Received is one message the server accepted (or took and then dropped the
// connection on).
type Received struct {
	From      string      // envelope sender (MAIL FROM)
	To        []string    // envelope recipients the server accepted (RCPT TO)
	Data      []byte      // the message exactly as received, headers and body
	MessageID string      // the Message-ID header, angle brackets included
	Subject   string      // the Subject header, RFC 2047 decoded
	Header    mail.Header // all headers, keys canonical (mail.Header.Get works)
	Text      string      // first text/plain part, transfer-decoded
	HTML      string      // first text/html part, transfer-decoded
	AuthUser  string      // the AUTH PLAIN user, empty without AUTH
	TLS       bool        // whether the session was encrypted
	At        time.Time
}

// parseReceived fills in what can be read from the raw message. A message
// that does not parse keeps its Data and leaves the rest empty: the test
// looking at it will say what is missing.
func parseReceived(data []byte) Received {
	r := Received{Data: data}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return r
	}
	r.Header = msg.Header
	r.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	subject := msg.Header.Get("Subject")
	if dec, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
		subject = dec
	}
	r.Subject = subject
	walkParts(&r, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	return r
}

func walkParts(r *Received, contentType, encoding string, body io.Reader, depth int) {
	if depth > 8 {
		return
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: multipart.Reader would strip the quoted-printable
			// header on its own, and we want one decoding path.
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walkParts(r, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
		}
	}
	var dec io.Reader = body
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		dec = quotedprintable.NewReader(body)
	case "base64":
		dec = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	content, err := io.ReadAll(dec)
	if err != nil {
		return
	}
	switch {
	case mediaType == "text/plain" && r.Text == "":
		r.Text = string(content)
	case mediaType == "text/html" && r.HTML == "":
		r.HTML = string(content)
	}
}

// newlineStripper drops CR and LF so base64 bodies wrapped at 76 columns decode.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, b := range p[:k] {
			if b != '\r' && b != '\n' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
