package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A message rendered as the mailer sends it reads back to the text the
// recipient sees: subject in any script, long lines folded by
// quoted-printable, HTML beside the text, only the line ends on the wire.
func TestReadBodiesGivesBackWhatWasSent(t *testing.T) {
	long := strings.Repeat("Données personnelles exposées — 東京 ", 60) // > 76 columns: soft line breaks
	for name, msg := range map[string]Message{
		"text and html":  {Subject: "Notification of a personal data breach — Art. 33", Text: "Dear authority,\n\n" + long + "\n\n= signs =3D and dots\n.\n", HTML: "<p>Dear authority,</p><p>" + long + "</p>"},
		"text only":      {Subject: "Ασφάλεια δεδομένων", Text: "line one\nline two\n\ttabbed\n"},
		"html only":      {Subject: "plain subject", HTML: "<b>only html</b> مرحبا"},
		"trailing space": {Subject: "s", Text: "ends with spaces   \nand a tab\t\n"},
	} {
		t.Run(name, func(t *testing.T) {
			msg.MessageID, msg.To = "<irbot.test@example.com>", []string{"Authority <breach@dpa.example>"}
			_, raw, e := build(Config{From: "irbot@example.com"}, msg, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
			require.Nil(t, e)
			b, err := ReadBodies(raw)
			require.NoError(t, err)
			require.Equal(t, msg.Subject, b.Subject)
			lf := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
			require.Equal(t, msg.Text, lf(b.Text), "the text reads back, line ends aside")
			require.Equal(t, msg.HTML, lf(b.HTML))
		})
	}
}

func TestReadBodiesRefusesWhatIsNotAMessageWithText(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":              "",
		"no headers":         "\x00\x01binary",
		"only an attachment": "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n",
		"too deep":           "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n", 20),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadBodies([]byte(raw))
			require.Error(t, err)
		})
	}
	b, err := ReadBodies([]byte("Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8s\r\nIHdvcmxk\r\n"))
	require.NoError(t, err)
	require.Equal(t, "café", b.Subject)
	require.Equal(t, "Hello, world", b.Text, "base64 wrapped over lines decodes")
}
