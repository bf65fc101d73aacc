package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// Slack's published example ("Verifying requests from Slack").
const (
	vectorSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorTS     = 1531420618
	vectorBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSignatureMatchesSlacksPublishedVector(t *testing.T) {
	v := Verifier{Secret: vectorSecret, Now: func() time.Time { return time.Unix(vectorTS, 0) }}
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", strconv.Itoa(vectorTS))
	h.Set("X-Slack-Signature", vectorSig)
	require.NoError(t, v.Verify(h, []byte(vectorBody)), "Slack's own example must verify")
	require.Equal(t, vectorSig, Sign(vectorSecret, strconv.Itoa(vectorTS), []byte(vectorBody)))
}

// TestUnsignedOrStaleRequestsAre401AndStartNothing sends a declare that
// would start an incident, with each way a signature can be wrong: every one
// gets a bare 401 and the service is never called.
func TestUnsignedOrStaleRequestsAre401AndStartNothing(t *testing.T) {
	var now atomic.Int64
	now.Store(vectorTS)
	h := newHarness(t, func(c *Config) {
		c.SigningSecret = vectorSecret
		c.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	})
	post := func(path, body string, hdr http.Header) (int, string) {
		req, err := http.NewRequest(http.MethodPost, h.base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header = hdr
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		return resp.StatusCode, readAll(resp)
	}
	signed := func(ts int64, body string) http.Header {
		hd := http.Header{}
		hd.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		hd.Set("X-Slack-Signature", Sign(vectorSecret, strconv.FormatInt(ts, 10), []byte(body)))
		return hd
	}

	// The published vector itself is accepted over HTTP (it asks for help).
	hd := http.Header{}
	hd.Set("X-Slack-Request-Timestamp", strconv.Itoa(vectorTS))
	hd.Set("X-Slack-Signature", vectorSig)
	code, _ := post("/slack/commands", vectorBody, hd)
	require.Equal(t, http.StatusOK, code)

	declare := slashBody("U0000000003", "C0000000009", "declare Customer database exposed", "trigger-sig-1", h.slack.ResponseURL("sig"))
	flipped := []byte(declare)
	flipped[10] ^= 0x01
	cases := []struct {
		name string
		now  int64
		body string
		hdr  http.Header
	}{
		{"flipped byte", vectorTS, string(flipped), signed(vectorTS, declare)},
		{"no signature header", vectorTS, declare, func() http.Header { x := signed(vectorTS, declare); x.Del("X-Slack-Signature"); return x }()},
		{"no timestamp header", vectorTS, declare, func() http.Header { x := signed(vectorTS, declare); x.Del("X-Slack-Request-Timestamp"); return x }()},
		{"timestamp 301 s old", vectorTS + 301, declare, signed(vectorTS, declare)},
		{"timestamp 301 s ahead", vectorTS - 301, declare, signed(vectorTS, declare)},
		{"wrong secret", vectorTS, declare, func() http.Header {
			x := signed(vectorTS, declare)
			x.Set("X-Slack-Signature", Sign("another-secret", strconv.Itoa(vectorTS), []byte(declare)))
			return x
		}()},
	}
	for _, tc := range cases {
		for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
			now.Store(tc.now)
			code, body := post(path, tc.body, tc.hdr)
			require.Equal(t, http.StatusUnauthorized, code, "%s on %s must be refused", tc.name, path)
			require.Empty(t, body, "%s on %s: a refusal says nothing", tc.name, path)
		}
	}
	// 300 s either way is still inside the window.
	now.Store(vectorTS + 300)
	code, _ = post("/slack/commands", declare, signed(vectorTS, declare))
	require.Equal(t, http.StatusOK, code, "a request 300 s old is still valid")

	require.NoError(t, h.bot.Close())
	require.Equal(t, 1, h.svc.declareCount(), "only the one valid declare may reach the service")
}

// TestSameSlashCommandThreeTimesIsOneIncident replays one signed declare
// three times (same trigger), then once more to a restarted bot.
func TestSameSlashCommandThreeTimesIsOneIncident(t *testing.T) {
	h := newHarness(t, nil)
	body := slashBody("U0000000003", "C0000000009", "declare Laptop stolen", "trigger-replay-1", h.slack.ResponseURL("replay"))
	for i := range 3 {
		code, _, took := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), body, nil)
		require.Equal(t, http.StatusOK, code, "delivery %d", i+1)
		require.Less(t, took, 3*time.Second)
	}
	require.Eventually(t, func() bool {
		for _, r := range h.slack.Responses() {
			if strings.Contains(fmt.Sprint(r["text"]), "Declared *INC-2026-0001*") {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the declarer must hear back")
	require.NoError(t, h.bot.Close())
	require.Equal(t, 1, h.svc.declareCount(), "replays are dropped before the service")
	require.Equal(t, "slack:cmd:trigger-replay-1", h.svc.declares[0].RequestKey)

	// A second bot (a restart, another replica) has no memory of the first
	// delivery: the request key still makes it the same incident.
	b2, err := New(Config{Service: h.svc, BotToken: "xoxb-test", SigningSecret: testSecret, APIURL: h.slack.APIURL()})
	require.NoError(t, err)
	mux := http.NewServeMux()
	for p, hd := range b2.Routes() {
		mux.Handle(p, hd)
	}
	base := newTestServer(t, mux)
	code, _, _ := signedPost(t, base+"/slack/commands", testSecret, time.Now(), body, nil)
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, b2.Close())
	require.Equal(t, 1, h.svc.incidents(), "the same trigger is one incident")
}

// TestFiftyConcurrentDeclaresWhileTheServiceIsSlow: every request is
// answered within 3 s though each declare takes 5 s; all 50 are declared
// with distinct keys and get 50 channels, even with the same title.
func TestFiftyConcurrentDeclaresWhileTheServiceIsSlow(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Workers = 64 })
	h.svc.delay = 5 * time.Second
	h.svc.onDeclare = func(st workflows.IncidentState) {
		refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: st})
		if err == nil {
			h.svc.setChannel(st.ID, refs)
		}
	}
	const n = 50
	var wg sync.WaitGroup
	took := make([]time.Duration, n)
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			body := slashBody("U0000000003", "C0000000009", "declare Laptop stolen", fmt.Sprintf("trigger-load-%d", i), h.slack.ResponseURL("load"))
			codes[i], _, took[i] = signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), body, nil)
		})
	}
	wg.Wait()
	slowest := time.Duration(0)
	for i := range n {
		require.Equal(t, http.StatusOK, codes[i], "request %d", i)
		require.Less(t, took[i], 3*time.Second, "request %d must be acknowledged within Slack's 3 s", i)
		slowest = max(slowest, took[i])
	}
	t.Logf("slowest of %d acknowledgements: %s (Slack allows 3 s; each Declare takes 5 s)", n, slowest)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("conversations.create")) == n }, 30*time.Second, 50*time.Millisecond,
		"50 incidents must get 50 channels")
	require.NoError(t, h.bot.Close())
	keys := map[string]bool{}
	for _, d := range h.svc.declares {
		keys[d.RequestKey] = true
	}
	require.Len(t, h.svc.declares, n)
	require.Len(t, keys, n, "each declare has its own request key")
	require.Equal(t, n, h.svc.incidents())
	names := map[string]bool{}
	for _, c := range h.slack.Channels() {
		if strings.HasPrefix(c.Name, "inc-20260301-laptop-stolen") {
			require.True(t, c.Private, "a suspected breach gets a private channel")
			names[c.Name] = true
		}
	}
	require.Len(t, names, n, "same title, distinct channel names")
	require.True(t, names["inc-20260301-laptop-stolen"] && names["inc-20260301-laptop-stolen-50"])
	require.Len(t, h.slack.OKCalls("pins.add"), n, "one pinned card per incident")
}

// TestBusyPoolStillAcknowledges fills the queue: the next command is still
// answered at once, privately, saying nothing was done.
func TestBusyPoolStillAcknowledges(t *testing.T) {
	block := make(chan struct{})
	h := newHarness(t, func(c *Config) { c.Workers = 1; c.Queue = 1 })
	h.svc.onDeclare = func(workflows.IncidentState) { <-block }
	defer close(block)
	for i := range 2 { // one running, one queued
		body := slashBody("U0000000003", "C1", "declare Busy "+strconv.Itoa(i), "trigger-busy-"+strconv.Itoa(i), h.slack.ResponseURL("busy"))
		code, _, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), body, nil)
		require.Equal(t, http.StatusOK, code)
		if i == 0 {
			require.Eventually(t, func() bool { return h.svc.declareCount() == 1 }, 5*time.Second, 5*time.Millisecond)
		}
	}
	body := slashBody("U0000000003", "C1", "declare One too many", "trigger-busy-x", h.slack.ResponseURL("busy"))
	code, resp, took := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), body, nil)
	require.Equal(t, http.StatusOK, code)
	require.Less(t, took, time.Second)
	require.Contains(t, resp, "busy")
}

// TestEventRetriesAndBothPinPathsMakeOneNote delivers a pin_added three times
// (Slack retries) and a :pushpin: on the same message: one timeline note,
// with the message's own time and author.
func TestEventRetriesAndBothPinPathsMakeOneNote(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing"))
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfakeChannel("inc-20260301-phishing"))
	h.svc.setChannel("INC-2026-0001", workflows.SlackRefs{ChannelID: ch})
	ts := "1772357400.000100" // 2026-03-01 09:30:00.0001 UTC
	h.slack.AddMessage(slackfakeMessage(ch, ts, "U0000000001", "Attacker IP 203.0.113.9 blocked at the edge"))

	pin := eventBody("Ev-pin-1", map[string]any{"type": "pin_added", "user": "U0000000003", "channel_id": ch,
		"item": map[string]any{"type": "message", "channel": ch, "message": map[string]any{"type": "message", "user": "U0000000001", "text": "Attacker IP 203.0.113.9 blocked at the edge", "ts": ts}}})
	for i := range 3 {
		hdr := map[string]string{"Content-Type": "application/json"}
		if i > 0 {
			hdr["X-Slack-Retry-Num"] = strconv.Itoa(i)
			hdr["X-Slack-Retry-Reason"] = "http_timeout"
		}
		code, _, took := signedPost(t, h.base+"/slack/events", testSecret, time.Now(), pin, hdr)
		require.Equal(t, http.StatusOK, code)
		require.Less(t, took, 3*time.Second)
	}
	react := eventBody("Ev-react-1", map[string]any{"type": "reaction_added", "user": "U0000000001", "reaction": "pushpin", "item_user": "U0000000001",
		"item": map[string]any{"type": "message", "channel": ch, "ts": ts}})
	code, _, _ := signedPost(t, h.base+"/slack/events", testSecret, time.Now(), react, map[string]string{"Content-Type": "application/json"})
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(h.svc.actions(workflows.ActionNote)) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())

	notes := h.svc.actions(workflows.ActionNote)
	require.Len(t, notes, 1, "one note for one pinned message")
	n := notes[0]
	require.Equal(t, "pin:"+ch+":"+ts, n.RequestID)
	require.NotNil(t, n.At)
	require.Equal(t, time.Date(2026, 3, 1, 9, 30, 0, 100000, time.UTC), *n.At, "the note keeps the message's own time")
	require.Contains(t, n.Text, "<@U0000000001>", "the note names the message's author")
	require.Contains(t, n.Text, "203.0.113.9")
	require.Equal(t, "U0000000003", n.Actor.ID, "the person who pinned it acts")
	require.Equal(t, "U0000000001", n.Author, "the timeline keeps the message's author")
	require.Equal(t, "U0000000003", n.PinnedBy, "and who pinned it, beside")

	// The URL verification handshake is answered with the challenge.
	h2 := newHarness(t, nil)
	code, body, _ := signedPost(t, h2.base+"/slack/events", testSecret, time.Now(), `{"type":"url_verification","challenge":"abc123"}`, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "abc123", body)
}

func incidentReq(title string) (r incidentDeclare) { r.Title = title; return r }

func eventBody(id string, ev map[string]any) string {
	b, _ := json.Marshal(map[string]any{"type": "event_callback", "event_id": id, "team_id": "T0000001", "event": ev})
	return string(b)
}

// TestRateLimitedPostIsRetriedAndPostedOnce: Slack answers 429 with
// Retry-After: 1, then accepts: one message, posted after the wait.
func TestRateLimitedPostIsRetriedAndPostedOnce(t *testing.T) {
	h := newHarness(t, nil)
	ch := h.slack.AddChannel(slackfakeChannel("inc-20260301-rate"))
	h.slack.Fail("chat.postMessage", 1, http.StatusTooManyRequests, "1", "")
	start := time.Now()
	ts, err := h.bot.api.Post(t.Context(), ch, msgText("hello"))
	require.NoError(t, err)
	require.NotEmpty(t, ts)
	require.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After must be honoured")
	require.Len(t, h.slack.Calls("chat.postMessage"), 2, "one refused try, one accepted")
	require.Len(t, h.slack.Messages(ch), 1, "the message is posted once")

	// A transient Slack error is retried too; a permanent one is not.
	h.bot.api.backoff = time.Millisecond
	h.slack.Fail("conversations.setTopic", 2, 0, "", "internal_error")
	require.NoError(t, h.bot.api.SetTopic(t.Context(), ch, "x"))
	h.slack.Fail("conversations.setTopic", 1, 0, "", "is_archived")
	err = h.bot.api.SetTopic(t.Context(), ch, "y")
	require.True(t, IsPermanent(err))
	require.Equal(t, "is_archived", ErrCode(err))
	require.Len(t, h.slack.Calls("conversations.setTopic"), 4)
}

// TestPublishCreatesChannelThenUpdatesCard runs the publisher as the
// workflow does and checks every call; then the channel is archived: the
// failure is non-retryable and the commander is told once.
func TestPublishCreatesChannelThenUpdatesCard(t *testing.T) {
	h := newHarness(t, nil)
	st, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Name: "Rae", Roles: []string{"responder"}}, incidentReq("Customer DB exposed!"))
	require.NoError(t, err)
	st.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000005"}, {Role: "dpo", User: "dana@example.com"}}
	refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	require.Equal(t, "inc-20260301-customer-db-exposed", refs.ChannelName)
	require.NotEmpty(t, refs.CardTS)

	create := h.slack.OKCalls("conversations.create")
	require.Len(t, create, 1)
	require.Equal(t, "true", create[0].Params["is_private"])
	var invited []string
	for _, c := range h.slack.OKCalls("conversations.invite") {
		invited = append(invited, c.Params["users"])
	}
	require.ElementsMatch(t, []string{"U0000000003", "U0000000005"}, invited, "declarer and commander invited; a non-Slack identity is not")
	topic := h.slack.OKCalls("conversations.setTopic")
	require.Len(t, topic, 1)
	require.Equal(t, "high · Contain · INC-2026-0001", topic[0].Params["topic"])
	require.Len(t, h.slack.OKCalls("pins.add"), 1)
	ann := h.slack.Messages("CANNOUNCE1")
	require.Len(t, ann, 1, "one announcement")
	require.Contains(t, ann[0].Text, "INC-2026-0001")
	require.NotContains(t, string(ann[0].Blocks), tpl.ActionJoin, "a private channel is announced without a Join button")

	// A change: the card is updated in place, nothing is created again.
	st.Slack = &refs
	st.Severity = "critical"
	refs2, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	require.Equal(t, refs, refs2)
	require.Len(t, h.slack.OKCalls("conversations.create"), 1)
	cardUpdates := func(calls []slackfake.Call) int {
		n := 0
		for _, c := range calls {
			if c.Params["channel"] == refs.ChannelID {
				n++
			}
		}
		return n
	}
	require.Equal(t, 1, cardUpdates(h.slack.OKCalls("chat.update")))
	require.Len(t, h.slack.Messages("CANNOUNCE1"), 1, "announced once (and edited in place)")
	require.Contains(t, h.slack.Messages(refs.ChannelID)[0].Text, "critical")

	// Nothing changed: the identical card is not sent again.
	_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	require.Len(t, h.slack.Calls("chat.update"), 2, "an identical render costs no call (one card, one announcement update so far)")

	// The channel is archived: non-retryable, reported to the commander once.
	h.slack.Archive(refs.ChannelID)
	for range 2 {
		st.NextAction += "." // a change to show
		_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
		require.Error(t, err)
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app))
		require.True(t, app.NonRetryable(), "an archived channel must not be retried forever")
		require.Contains(t, err.Error(), "is_archived")
	}
	var dms []string
	for _, m := range h.slack.Messages("") {
		if strings.HasPrefix(m.Channel, "D") {
			dms = append(dms, m.Text)
		}
	}
	require.Len(t, dms, 1, "the commander hears about it once")
	require.Contains(t, dms[0], "is_archived")
}

// TestLostCreateResponseAdoptsTheChannel: the channel was created but the
// answer never came back; the retry finds it instead of making a second.
func TestLostCreateResponseAdoptsTheChannel(t *testing.T) {
	h := newHarness(t, nil)
	st, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Ransomware"))
	require.NoError(t, err)
	// The earlier attempt's channel, created by irbot, no topic yet.
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-ransomware"))
	// Someone's unrelated channel with the -2 name, to be skipped past.
	h.slack.AddChannel(slackfakeChannel("inc-20260301-ransomware-2"))
	refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	require.Equal(t, ch, refs.ChannelID, "the channel from the lost attempt is adopted")
	require.Len(t, h.slack.OKCalls("conversations.create"), 0)
	require.Len(t, h.slack.OKCalls("conversations.list"), 1)
}

// TestDeniedButtonIsExplainedPrivatelyAndRecorded: someone with no role
// presses Done: they are told why, privately, and the refusal is on the
// timeline once, however often they click.
func TestDeniedButtonIsExplainedPrivatelyAndRecorded(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing"))
	require.NoError(t, err)
	payload := blockAction("U0000000099", "C0000000007", "1772357400.000900", tpl.ActionTaskDone, tpl.Value("INC-2026-0001", "isolate"), h.slack.ResponseURL("denied"))
	for range 2 { // a double click
		code, _, took := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), payload, nil)
		require.Equal(t, http.StatusOK, code)
		require.Less(t, took, 3*time.Second)
	}
	require.Eventually(t, func() bool { return len(h.slack.Responses()) > 0 && len(h.svc.denials()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	require.Contains(t, fmt.Sprint(h.slack.Responses()[0]["text"]), "has no role in irbot")
	require.Equal(t, "ephemeral", h.slack.Responses()[0]["response_type"])
	denied := h.svc.denials()
	require.Len(t, denied, 1, "one refusal on the timeline, however often they click")
	require.True(t, strings.HasPrefix(denied[0], "U0000000099|"+workflows.ActionCompleteTask+"|"), "the refusal names who asked and what: %s", denied[0])
	require.Contains(t, denied[0], "has no role in irbot")
	require.Empty(t, h.svc.actions(workflows.ActionCompleteTask))
	require.Empty(t, h.svc.actions(workflows.ActionNote), "a refusal is an action.denied event, not a note")
}

// TestButtonsActAsThePresser: Done, Approve, Claim and the severity select
// become service actions with the presser's identity and distinct request IDs.
func TestButtonsActAsThePresser(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing"))
	require.NoError(t, err)
	id := "INC-2026-0001"
	send := func(user, ts, action, value string) {
		code, _, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), blockAction(user, "C1", ts, action, value, ""), nil)
		require.Equal(t, http.StatusOK, code)
	}
	send("U0000000003", "1.1", tpl.ActionTaskDone, tpl.Value(id, "isolate"))
	send("U0000000001", "1.2", tpl.ActionApprove, tpl.Value(id, "notify-authority"))
	send("U0000000001", "1.3", tpl.ActionClaimRole, tpl.Value(id, "dpo"))
	sev := selectAction("U0000000005", "C1", "1.4", id, "critical")
	code, _, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), sev, nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(h.svc.actions("")) == 4 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	got := map[string]workflows.Action{}
	for _, a := range h.svc.actions("") {
		got[a.Type] = a
	}
	require.Equal(t, "isolate", got[workflows.ActionCompleteTask].Task)
	require.Equal(t, "U0000000003", got[workflows.ActionCompleteTask].Actor.ID)
	require.Equal(t, []string{"responder"}, got[workflows.ActionCompleteTask].Actor.Roles, "roles come from the users file")
	require.Equal(t, "notify-authority", got[workflows.ActionApprove].Gate)
	require.Equal(t, "dpo", got[workflows.ActionAssignRole].Role)
	require.Equal(t, "U0000000001", got[workflows.ActionAssignRole].User, "claiming gives the role to the presser")
	require.Equal(t, "critical", got[workflows.ActionSetSeverity].Severity)
	require.Equal(t, "slack:act:1.1:U0000000003:"+tpl.ActionTaskDone, got[workflows.ActionCompleteTask].RequestID)
}

// TestSlashSubcommandsGoThroughTheService runs each in-channel subcommand.
func TestSlashSubcommandsGoThroughTheService(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing"))
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-phishing"))
	h.svc.setChannel("INC-2026-0001", workflows.SlackRefs{ChannelID: ch})
	run := func(text, trigger string) string {
		code, body, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000005", ch, text, trigger, h.slack.ResponseURL(trigger)), nil)
		require.Equal(t, http.StatusOK, code)
		return body
	}
	run("task done isolate", "t1")
	run("severity critical", "t2")
	run("role dpo <@U0000000001|dana>", "t3")
	run("note Bucket made private at 10:02", "t4")
	run("aware 2026-03-01 08:15", "t5")
	run("close contained early", "t6")
	require.Eventually(t, func() bool { return len(h.svc.actions("")) == 6 }, 5*time.Second, 10*time.Millisecond)
	// The commands run on a pool of workers: they reach the service in any
	// order, so each is found by its type.
	acts := h.svc.actions("")
	byType := map[string]workflows.Action{}
	for _, a := range acts {
		byType[a.Type] = a
	}
	require.Contains(t, byType, workflows.ActionCompleteTask)
	require.Equal(t, "critical", byType[workflows.ActionSetSeverity].Severity)
	require.Equal(t, "U0000000001", byType[workflows.ActionAssignRole].User)
	require.Equal(t, "Bucket made private at 10:02", byType[workflows.ActionNote].Text)
	require.Equal(t, "aware_at", byType[workflows.ActionSetFact].Name)
	require.JSONEq(t, `"2026-03-01T08:15:00Z"`, string(byType[workflows.ActionSetFact].Value))
	require.Equal(t, "contained early", byType[workflows.ActionClose].Reason)
	for _, a := range acts {
		require.Equal(t, "U0000000005", a.Actor.ID)
		require.Equal(t, "slack", a.Source)
	}

	// Help, unknown subcommands and malformed arguments are answered in the
	// acknowledgement itself, privately.
	for _, tc := range []struct{ text, want string }{
		{"help", "/incident declare"},
		{"dance", "unknown subcommand"},
		{"clcoks", "did you mean `/incident clocks`?"},
		{"severity huge", "use `/incident severity S`"},
		{"aware yesterday-ish", "not a time I can read"},
	} {
		body := run(tc.text, "help-"+tc.text)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &m), tc.text)
		require.Equal(t, "ephemeral", m["response_type"], tc.text)
		require.Contains(t, m["text"], tc.want, tc.text)
		if strings.Contains(tc.want, "did you mean") {
			require.NotContains(t, m["text"], "/incident declare", "a near miss gets the closest command, not the whole help")
		}
	}

	// Outside an incident channel, status needs an ID.
	code, _, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000005", "CELSEWHERE", "status", "t-else", h.slack.ResponseURL("else")), nil)
	require.Equal(t, http.StatusOK, code)
	code, _, _ = signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000005", "CELSEWHERE", "status INC-2026-0001", "t-id", h.slack.ResponseURL("id")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool {
		var else_, id bool
		for _, r := range h.slack.Responses() {
			else_ = else_ || (r["_path"] == "else" && strings.Contains(fmt.Sprint(r["text"]), "not an incident channel"))
			id = id || (r["_path"] == "id" && strings.Contains(fmt.Sprint(r["text"]), "INC-2026-0001: Phishing"))
		}
		return else_ && id
	}, 5*time.Second, 10*time.Millisecond)
}

// TestDeclareWithoutTitleOpensTheModalAndItsSubmissionDeclares.
func TestDeclareWithoutTitleOpensTheModalAndItsSubmissionDeclares(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Regimes = []string{"eu-gdpr", "us-ca"} })
	code, _, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000003", "C1", "declare", "trigger-modal", h.slack.ResponseURL("m")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 3*time.Second, 5*time.Millisecond)
	open := h.slack.OKCalls("views.open")[0]
	require.Equal(t, "trigger-modal", open.Params["trigger_id"])
	for _, want := range []string{tpl.BlockTitle, tpl.BlockSummary, tpl.BlockSeverity, tpl.BlockAwareAt, tpl.BlockPersonalData, tpl.BlockRegimes, tpl.BlockCommander, tpl.BlockMode, tpl.BlockPublic, "users_select", "datetimepicker"} {
		require.Contains(t, open.Params["view"], want)
	}

	aware := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC).Unix()
	sub := viewSubmission("U0000000003", "V-declare-1", tpl.CallbackDeclare, "C1", map[string]map[string]any{
		tpl.BlockTitle:        {"type": "plain_text_input", "value": "Customer DB exposed"},
		tpl.BlockSummary:      {"type": "plain_text_input", "value": "S3 bucket public"},
		tpl.BlockSeverity:     {"type": "static_select", "selected_option": map[string]any{"value": "critical"}},
		tpl.BlockAwareAt:      {"type": "datetimepicker", "selected_date_time": aware},
		tpl.BlockPersonalData: {"type": "radio_buttons", "selected_option": map[string]any{"value": "yes"}},
		tpl.BlockRegimes:      {"type": "multi_static_select", "selected_options": []any{map[string]any{"value": "eu-gdpr"}}},
		tpl.BlockCommander:    {"type": "users_select", "selected_user": "U0000000005"},
		tpl.BlockMode:         {"type": "radio_buttons", "selected_option": map[string]any{"value": "live"}},
		tpl.BlockPublic:       {"type": "checkboxes", "selected_options": []any{map[string]any{"value": "public"}}},
	})
	for range 2 { // a double submit
		code, _, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), sub, nil)
		require.Equal(t, http.StatusOK, code)
	}
	require.Eventually(t, func() bool { return h.svc.declareCount() == 1 && len(h.svc.actions(workflows.ActionSetFact)) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	d := h.svc.declares[0]
	require.Equal(t, "Customer DB exposed", d.Title)
	require.Equal(t, "critical", d.Severity)
	require.Equal(t, aware, d.AwareAt.Unix())
	require.Equal(t, []string{"eu-gdpr"}, d.Regimes)
	require.Equal(t, "U0000000005", d.Commander)
	require.True(t, d.Public)
	require.Contains(t, d.Summary, "Personal data involved: yes")
	require.Equal(t, "slack:view:V-declare-1", d.RequestKey)
	require.Equal(t, "personal_data", h.svc.actions(workflows.ActionSetFact)[0].Name)

	// A future awareness time keeps the modal open with the problem shown.
	h2 := newHarness(t, nil)
	bad := viewSubmission("U0000000003", "V-declare-2", tpl.CallbackDeclare, "C1", map[string]map[string]any{
		tpl.BlockTitle:   {"type": "plain_text_input", "value": "x"},
		tpl.BlockAwareAt: {"type": "datetimepicker", "selected_date_time": time.Now().Add(time.Hour).Unix()},
	})
	code, body, _ := signedPost(t, h2.base+"/slack/interactions", testSecret, time.Now(), bad, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"response_action":"errors"`)
	require.Contains(t, body, tpl.BlockAwareAt)
}

// TestClockAlertGoesToTheChannelAndRoleHolders; a drill's alert stays in its
// channel.
func TestClockAlertGoesToTheChannelAndRoleHolders(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing"))
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-phishing"))
	h.svc.setChannel("INC-2026-0001", workflows.SlackRefs{ChannelID: ch})
	h.svc.states["INC-2026-0001"].Roles = []workflows.RoleAssignment{{Role: "dpo", User: "U0000000007"}}
	al := workflows.ClockAlert{IncidentID: "INC-2026-0001", Title: "Phishing", Mode: "live", Kind: "clock.escalation", Regime: "eu-gdpr",
		Obligation: "supervisory-authority", DueAt: time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC), At: time.Date(2026, 3, 4, 3, 30, 0, 0, time.UTC),
		Left: "6h0m", Notify: []string{"dpo"}, Key: "clock/eu-gdpr/supervisory-authority/escalate/6h"}
	require.NoError(t, h.bot.ClockAlert(t.Context(), al))
	require.NoError(t, h.bot.ClockAlert(t.Context(), al), "a retried activity")
	require.Len(t, h.slack.Messages(ch), 1, "posted to the channel once")
	require.Contains(t, h.slack.Messages(ch)[0].Text, "2026-03-04 09:30 UTC")
	var dmTo []string
	for _, c := range h.slack.OKCalls("conversations.open") {
		dmTo = append(dmTo, c.Params["users"])
	}
	require.ElementsMatch(t, []string{"U0000000007", "U0000000001"}, dmTo, "the incident's DPO and the users file's DPO")

	drill := al
	drill.Mode, drill.Key = workflows.ModeDrill, "drill-key"
	h.svc.states["INC-2026-0001"].Mode = workflows.ModeDrill
	require.NoError(t, h.bot.ClockAlert(t.Context(), drill))
	require.Len(t, h.slack.OKCalls("conversations.open"), 2, "a drill never DMs anyone")
	require.Len(t, h.slack.Messages(ch), 2)
}

// TestDrillPublishesNoAnnouncement: nothing leaves a drill's channel.
func TestDrillPublishesNoAnnouncement(t *testing.T) {
	h := newHarness(t, nil)
	req := incidentReq("Tabletop")
	req.Mode = workflows.ModeDrill
	st, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, req)
	require.NoError(t, err)
	refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	require.Equal(t, "drill-inc-20260301-tabletop", refs.ChannelName)
	require.Empty(t, h.slack.Messages("CANNOUNCE1"))
}

func blockAction(user, channel, actionTS, actionID, value, responseURL string) string {
	p := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user)}, "trigger_id": "trig-" + actionTS,
		"channel": map[string]any{"id": channel}, "response_url": responseURL,
		"container": map[string]any{"type": "message", "message_ts": "1772357000.000001", "channel_id": channel},
		"actions":   []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "b", "value": value, "action_ts": actionTS}},
	}
	return payloadForm(p)
}

func selectAction(user, channel, actionTS, incidentID, severity string) string {
	p := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "trigger_id": "trig-" + actionTS, "channel": map[string]any{"id": channel},
		"container": map[string]any{"type": "message", "message_ts": "1772357000.000001", "channel_id": channel},
		"actions": []any{map[string]any{"type": "static_select", "action_id": tpl.ActionSeverity, "block_id": tpl.CardBlockID(incidentID),
			"selected_option": map[string]any{"value": severity}, "action_ts": actionTS}},
	}
	return payloadForm(p)
}

func viewSubmission(user, viewID, callbackID, metadata string, values map[string]map[string]any) string {
	state := map[string]any{}
	for block, v := range values {
		state[block] = map[string]any{tpl.InputAction: v}
	}
	p := map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user},
		"view": map[string]any{"id": viewID, "callback_id": callbackID, "private_metadata": metadata, "state": map[string]any{"values": state}},
	}
	return payloadForm(p)
}

func payloadForm(p map[string]any) string {
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}.Encode()
}

var _ = context.Background
var _ = apperr.Invalid

// TestDeclareCostsAtMostSixCallsBeforeTheCardIsPinned: create, invite the
// declarer and the commander, topic, post, pin; nothing else first.
func TestDeclareCostsAtMostSixCallsBeforeTheCardIsPinned(t *testing.T) {
	h := newHarness(t, nil)
	st, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Laptop stolen"))
	require.NoError(t, err)
	st.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000005"}}
	_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	var methods []string
	for _, c := range h.slack.Calls("") {
		methods = append(methods, c.Method)
		if c.Method == "pins.add" {
			break
		}
	}
	t.Logf("calls up to the pin: %d %v", len(methods), methods)
	require.Equal(t, "pins.add", methods[len(methods)-1])
	require.LessOrEqual(t, len(methods), 6, "Web API calls of a declare up to the pinned card")
}

// TestNewTimelineEntriesAloneCostNoSlackCall: after the first publish the
// workflow publishes again for irbot's own record of the channel it made,
// and again for every note; none of them changes what the card shows, so
// none costs a call (the card footer used to count events, which made each
// one a chat.update: 8.8 calls per declare in the bench). A real change
// still updates the card.
func TestNewTimelineEntriesAloneCostNoSlackCall(t *testing.T) {
	h := newHarness(t, nil)
	st, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Laptop stolen"))
	require.NoError(t, err)
	refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	first := len(h.slack.Calls(""))
	st.Slack = &refs
	for i := 0; i < 5; i++ {
		st.Events++ // slack.channel, then notes
		st.Notes++
		_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
		require.NoError(t, err)
	}
	var extra []string
	for _, c := range h.slack.Calls("")[first:] {
		extra = append(extra, c.Method)
	}
	require.Empty(t, extra, "publishing a state whose card looks the same must cost no Slack call")

	st.Severity = "critical"
	_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	cardUpdates := 0
	for _, c := range h.slack.OKCalls("chat.update") {
		if c.Params["channel"] == refs.ChannelID {
			cardUpdates++
		}
	}
	require.Equal(t, 1, cardUpdates, "a change people can see still updates the card")
}

// TestFakeRateLimitIsHonoured: the fake limits chat.postMessage per channel
// as Slack does (429 with Retry-After); three quick posts to one channel
// all land, the later ones after waiting as asked, and another channel is
// not held up.
func TestFakeRateLimitIsHonoured(t *testing.T) {
	h := newHarness(t, nil)
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-busy"))
	other := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-quiet"))
	h.slack.RateLimit("chat.postMessage", 2, time.Second)
	start := time.Now()
	for i := range 3 {
		_, err := h.bot.api.Post(t.Context(), ch, msgText(fmt.Sprintf("update %d", i)))
		require.NoError(t, err)
	}
	took := time.Since(start)
	_, err := h.bot.api.Post(t.Context(), other, msgText("elsewhere"))
	require.NoError(t, err)
	limited := 0
	for _, c := range h.slack.Calls("chat.postMessage") {
		if c.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	t.Logf("3 posts to one channel at 2/s took %v with %d answers 429", took, limited)
	require.GreaterOrEqual(t, limited, 1, "the third post in a second is refused with 429")
	require.GreaterOrEqual(t, took, 500*time.Millisecond, "Retry-After was honoured")
	require.Len(t, h.slack.Messages(ch), 3, "every message lands once")
	require.Len(t, h.slack.Messages(other), 1)
}
