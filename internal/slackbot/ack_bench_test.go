package slackbot

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkCommandAck is the synchronous part of a slash command, in
// process: signature check, parse, dedupe, the answer. Its baseline is the
// same signed request answered by a handler that only checks the
// signature (what `irbot bench` calls the bare signed handler):
//
//	go test ./internal/slackbot -run '^$' -bench CommandAck -cpuprofile /tmp/ack.out
func BenchmarkCommandAck(b *testing.B) {
	bot, err := New(Config{Service: newFakeService(), BotToken: "xoxb-test", SigningSecret: testSecret, APIURL: "http://127.0.0.1:1/api/"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = bot.Close() }()
	bare := bot.verifier.signed(func(w http.ResponseWriter, r *http.Request, body []byte) { writeAck(w, ephemeral("ok")) })
	for _, c := range []struct {
		name string
		h    http.Handler
		text string
	}{
		{"bare", bare, "help"},
		{"help", bot.Routes()["POST /slack/commands"], "help"},
		{"typo", bot.Routes()["POST /slack/commands"], "delcare"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				body := url.Values{"team_id": {"T0BENCH"}, "channel_id": {"C0BENCHGEN"}, "user_id": {"U0000000001"}, "user_name": {"bench"},
					"command": {"/incident"}, "text": {c.text}, "trigger_id": {"trigger-" + c.name + strconv.Itoa(i)}}.Encode()
				req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req.Header.Set("X-Slack-Request-Timestamp", ts)
				req.Header.Set("X-Slack-Signature", Sign(testSecret, ts, []byte(body)))
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
