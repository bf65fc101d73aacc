package slackbot

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
)

func newTestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type incidentDeclare = incident.DeclareRequest

func slackfakeChannel(name string) slackfake.Channel {
	return slackfake.Channel{Name: name, Creator: "U0000000042", Members: []string{slackfake.BotUserID}}
}

func slackfakeBotChannel(name string) slackfake.Channel {
	return slackfake.Channel{Name: name, Private: true, Creator: slackfake.BotUserID, Created: time.Now().Unix(), Members: []string{slackfake.BotUserID}}
}

func slackfakeMessage(channel, ts, user, text string) slackfake.Message {
	return slackfake.Message{Channel: channel, TS: ts, User: user, Text: text}
}

func msgText(s string) slack.MsgOption { return slack.MsgOptionText(s, false) }
