package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
)

// Bodies is what a message as sent says to its reader: the subject (RFC
// 2047 decoded) and the first text/plain and text/html parts, transfer
// decoded (quoted-printable, base64).
type Bodies struct {
	Subject string
	Text    string
	HTML    string
}

// maxPartDepth bounds nested multiparts in a message read back.
const maxPartDepth = 8

// ReadBodies reads the subject and bodies of RFC 5322 bytes, such as the
// .eml the store keeps of every notice sent: the reader's text, exactly as
// the recipient's mail program shows it.
func ReadBodies(raw []byte) (Bodies, error) {
	var b Bodies
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return b, err
	}
	b.Subject = msg.Header.Get("Subject")
	if dec, err := new(mime.WordDecoder).DecodeHeader(b.Subject); err == nil {
		b.Subject = dec
	}
	if err := b.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0); err != nil {
		return b, err
	}
	if b.Text == "" && b.HTML == "" {
		return b, errors.New("the message has no text/plain or text/html part")
	}
	return b, nil
}

func (b *Bodies) walk(contentType, encoding string, body io.Reader, depth int) error {
	if depth > maxPartDepth {
		return errors.New("the message nests parts too deeply")
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: NextPart would strip a quoted-printable header
			// on its own; one decoding path below.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := b.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); err != nil {
				return err
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
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
		return err
	}
	switch {
	case mediaType == "text/plain" && b.Text == "":
		b.Text = string(content)
	case mediaType == "text/html" && b.HTML == "":
		b.HTML = string(content)
	}
	return nil
}

// newlineStripper drops CR and LF so base64 bodies wrapped at 76 columns decode.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
