package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	tpl "github.com/irbot/irbot/templates/slack"
)

const slackSecret = "test-signing-secret"

// startSlackMain runs the real irbot with Slack in HTTP mode against a fake
// Slack Web API.
func startSlackMain(t *testing.T, fake *slackfake.Server) *Main {
	t.Helper()
	return startSlackMainEnv(t, fake, nil)
}

// startSlackMainEnv is startSlackMain with more settings (another users
// file...).
func startSlackMainEnv(t *testing.T, fake *slackfake.Server, extra map[string]string) *Main {
	t.Helper()
	t.Cleanup(func() {
		require.Empty(t, fake.Rejections(), "every message and view irbot sent must pass Slack's Block Kit rules")
	})
	env := map[string]string{
		"SLACK_BOT_TOKEN":        "xoxb-test-0000000000",
		"SLACK_SIGNING_SECRET":   slackSecret,
		"SLACK_API_URL":          fake.APIURL(),
		"IRBOT_ANNOUNCE_CHANNEL": "CANNOUNCE1",
	}
	maps.Copy(env, extra)
	m, out := startMainWith(t, filepath.Join(t.TempDir(), "data"), env)
	t.Cleanup(func() { _ = m.Close() })
	require.Contains(t, out, "slack        http mode")
	return m
}

type slackClient struct {
	t      *testing.T
	base   string
	n      int
	secret string // the signing secret; empty: slackSecret
}

// post sends a Slack-signed request and checks it is acknowledged in time.
func (c *slackClient) post(path, body string) string {
	c.t.Helper()
	start := time.Now()
	code, raw := c.send(path, body)
	require.Equal(c.t, http.StatusOK, code, "%s: %s", path, raw)
	require.Less(c.t, time.Since(start), 3*time.Second, "Slack gives up after 3 s")
	return raw
}

// status sends a signed request and returns only the answer's status.
func (c *slackClient) status(path, body string) int {
	c.t.Helper()
	code, _ := c.send(path, body)
	return code
}

func (c *slackClient) send(path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	secret := c.secret
	if secret == "" {
		secret = slackSecret
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign(secret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func (c *slackClient) command(user, channel, text, responseURL string) string {
	c.n++
	v := url.Values{"team_id": {"T0000001"}, "channel_id": {channel}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {"/incident"}, "text": {text}, "trigger_id": {fmt.Sprintf("trigger-%d", c.n)}, "response_url": {responseURL}}
	return c.post("/slack/commands", v.Encode())
}

func (c *slackClient) interact(payload map[string]any) {
	b, err := json.Marshal(payload)
	require.NoError(c.t, err)
	c.post("/slack/interactions", url.Values{"payload": {string(b)}}.Encode())
}

func (c *slackClient) press(user, channel, cardTS, actionID, value, responseURL string) {
	c.n++
	c.interact(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user)}, "trigger_id": fmt.Sprintf("trigger-%d", c.n),
		"channel": map[string]any{"id": channel}, "response_url": responseURL,
		"container": map[string]any{"type": "message", "message_ts": cardTS, "channel_id": channel},
		"actions":   []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "b", "value": value, "action_ts": fmt.Sprintf("%d.%06d", time.Now().Unix(), c.n)}},
	})
}

// card is the incident card as the fake Slack holds it.
type card struct {
	ts, text string
	blocks   string
}

// slackAnswer waits for irbot's first answer on the response URL path and
// returns it.
func slackAnswer(t *testing.T, fake *slackfake.Server, path string) map[string]any {
	t.Helper()
	var got map[string]any
	require.Eventually(t, func() bool {
		for _, r := range fake.Responses() {
			if r["_path"] == path {
				got = r
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "%s must be answered; answers: %v", path, fake.Responses())
	return got
}

func currentCard(t *testing.T, fake *slackfake.Server, channel string) card {
	t.Helper()
	for _, m := range fake.Messages(channel) {
		if strings.HasPrefix(m.Text, "[irbot card ") {
			// JSON escapes <, > and &; the assertions read the text as Slack shows it.
			blocks := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.Blocks))
			return card{ts: m.TS, text: m.Text, blocks: blocks}
		}
	}
	return card{}
}

// buttons returns the values of the card's buttons with actionID.
func (c card) buttons(actionID string) []string {
	var blocks []map[string]any
	_ = json.Unmarshal([]byte(c.blocks), &blocks)
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["action_id"] == actionID && x["type"] == "button" {
				out = append(out, fmt.Sprint(x["value"]))
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(any(toAny(blocks)))
	return out
}

// pick chooses an option of an overflow menu.
func (c *slackClient) pick(user, channel, cardTS, actionID, value, responseURL string) {
	c.n++
	c.interact(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user)}, "trigger_id": fmt.Sprintf("trigger-%d", c.n),
		"channel": map[string]any{"id": channel}, "response_url": responseURL,
		"container": map[string]any{"type": "message", "message_ts": cardTS, "channel_id": channel},
		"actions": []any{map[string]any{"type": "overflow", "action_id": actionID, "block_id": "b",
			"selected_option": map[string]any{"value": value}, "action_ts": fmt.Sprintf("%d.%06d", time.Now().Unix(), c.n)}},
	})
}

// menus returns the option values of the card's overflow menus with actionID.
func (c card) menus(actionID string) []string {
	return elementValues(c.blocks, func(x map[string]any) []string {
		if x["action_id"] != actionID || x["type"] != "overflow" {
			return nil
		}
		var out []string
		opts, _ := x["options"].([]any)
		for _, o := range opts {
			if m, ok := o.(map[string]any); ok {
				out = append(out, fmt.Sprint(m["value"]))
			}
		}
		return out
	})
}

// elementValues walks blocks (JSON) and collects what match returns.
func elementValues(blocksJSON string, match func(map[string]any) []string) []string {
	var blocks []any
	_ = json.Unmarshal([]byte(blocksJSON), &blocks)
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			out = append(out, match(x)...)
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(blocks)
	return out
}

func toAny(blocks []map[string]any) []any {
	out := make([]any, len(blocks))
	for i, b := range blocks {
		out[i] = b
	}
	return out
}

// TestSlackDeclareWorkAndCloseOverHTTP drives a breach from Slack over HTTP
// mode against the real server, without the API: declare with the slash
// command, press Done on the card's tasks, approve the gate, record the GDPR
// notification and decide not to notify on the other clocks (slash commands
// and the card's clock menus), close from the card; it checks each Slack
// call irbot made and the final card.
func TestSlackDeclareWorkAndCloseOverHTTP(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := startSlackMain(t, fake)
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	api := apiClient{t: t, base: "http://" + m.Addr()}
	const (
		rae  = "U0000000003" // responder
		dana = "U0000000001" // dpo
		lee  = "U0000000002" // legal
		max  = "U0000000004" // manager
	)

	// Unsigned requests are refused and change nothing.
	resp, err := http.Post(sc.base+"/slack/commands", "application/x-www-form-urlencoded", strings.NewReader("text=declare+x"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// Declare.
	ack := sc.command(rae, "CGENERAL1", "declare Customer database exposed", fake.ResponseURL("declare"))
	require.Contains(t, ack, "Declaring")
	var channel string
	require.Eventually(t, func() bool {
		creates := fake.OKCalls("conversations.create")
		if len(creates) != 1 || len(fake.OKCalls("pins.add")) != 1 {
			return false
		}
		for _, c := range fake.Channels() {
			if strings.HasPrefix(c.Name, "inc-") {
				channel = c.ID
			}
		}
		return channel != ""
	}, 30*time.Second, 50*time.Millisecond, "the incident channel and its pinned card must appear")
	create := fake.OKCalls("conversations.create")[0]
	require.Equal(t, "true", create.Params["is_private"], "a suspected breach gets a private channel")
	require.Regexp(t, `^inc-\d{8}-customer-database-exposed$`, create.Params["name"])
	invites := fake.OKCalls("conversations.invite")
	require.NotEmpty(t, invites)
	require.Equal(t, rae, invites[0].Params["users"], "the declarer is invited")
	require.Equal(t, channel, invites[0].Params["channel"])
	topics := fake.OKCalls("conversations.setTopic")
	require.NotEmpty(t, topics)
	require.Regexp(t, `^high · Contain the breach · INC-\d{4}-\d{4}$`, topics[0].Params["topic"])
	cardPosts := 0
	for _, c := range fake.OKCalls("chat.postMessage") {
		if c.Params["channel"] == channel {
			cardPosts++
		}
	}
	require.Equal(t, 1, cardPosts, "one card message")
	ann := fake.Messages("CANNOUNCE1")
	require.Len(t, ann, 1, "announced once")
	require.NotContains(t, string(ann[0].Blocks), tpl.ActionJoin, "private channel: no Join button")
	c := currentCard(t, fake, channel)
	id := strings.TrimSuffix(strings.Fields(strings.TrimPrefix(c.text, "[irbot card "))[0], "]")
	require.Regexp(t, `^INC-\d{4}-\d{4}$`, id)
	require.Contains(t, c.blocks, "Isolate the affected systems")
	require.Eventually(t, func() bool {
		for _, r := range fake.Responses() {
			if r["_path"] == "declare" && strings.Contains(fmt.Sprint(r["text"]), "Declared *"+id+"*") {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "the declarer hears back privately")

	updates := func() int { return len(fake.OKCalls("chat.update")) }
	waitCard := func(before int, want string) card {
		t.Helper()
		var cur card
		require.Eventually(t, func() bool {
			cur = currentCard(t, fake, channel)
			return updates() > before && strings.Contains(cur.blocks, want)
		}, 20*time.Second, 50*time.Millisecond, "the card must be updated to show %q", want)
		return cur
	}

	// The manager makes Rae commander from the channel.
	before := updates()
	sc.command(max, channel, "role commander <@"+rae+"|rae>", fake.ResponseURL("role"))
	c = waitCard(before, "*commander*: <@"+rae+">")

	// Lee (legal) presses a responder's task: refused, privately, and recorded.
	sc.press(lee, channel, c.ts, tpl.ActionTaskDone, tpl.Value(id, "isolate"), fake.ResponseURL("denied"))
	require.Eventually(t, func() bool {
		for _, r := range fake.Responses() {
			if r["_path"] == "denied" && r["response_type"] == "ephemeral" && strings.Contains(fmt.Sprint(r["text"]), "responder") {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "a refused press is explained privately")

	// Done on every task of the contain phase, by whoever's role it is.
	who := map[string]string{"isolate": rae, "preserve-evidence": rae, "revoke-credentials": rae, "appoint-roles": rae, "record-awareness": rae, "notify-insurer": lee}
	for range 10 {
		c = currentCard(t, fake, channel)
		open := c.buttons(tpl.ActionTaskDone)
		if len(open) == 0 || strings.Contains(c.blocks, "Assess the breach") {
			break
		}
		_, task := tpl.SplitValue(open[0])
		user := who[task]
		if user == "" {
			user = rae
		}
		sc.press(user, channel, c.ts, tpl.ActionTaskDone, open[0], fake.ResponseURL("done-"+task))
		require.Eventually(t, func() bool {
			return !slices.Contains(currentCard(t, fake, channel).buttons(tpl.ActionTaskDone), open[0])
		}, 20*time.Second, 50*time.Millisecond, "pressing Done on %s must update the card; answers: %v", task, fake.Responses())
	}
	c = waitCard(0, "Assess the breach")

	// Approve the assessment gate as the DPO.
	gates := c.buttons(tpl.ActionApprove)
	require.Contains(t, gates, tpl.Value(id, "risk-assessment"))
	before = updates()
	sc.press(dana, channel, c.ts, tpl.ActionApprove, tpl.Value(id, "risk-assessment"), fake.ResponseURL("approve"))
	c = waitCard(before, "✅ *Approve the risk assessment")

	// The clocks need the notification or a documented decision before
	// closing, all from Slack: each open clock has a menu on the card.
	open := c.menus(tpl.ActionClockMenu)
	gdpr := tpl.ClockValue(tpl.ClockOptionNotified, id, "eu-gdpr", "supervisory-authority")
	require.Contains(t, open, gdpr, "the GDPR authority clock is open on the card, with its menu")
	require.Greater(t, len(open), 2, "more clocks than GDPR's are open: %v", open)

	// The DPO records the GDPR notification with the slash command.
	before = updates()
	sc.command(dana, channel, "notified eu-gdpr/supervisory-authority SA-2026-123", fake.ResponseURL("notified"))
	c = waitCard(before, "notified ")
	require.Contains(t, c.blocks, "ref SA-2026-123")
	require.NotContains(t, c.menus(tpl.ActionClockMenu), gdpr, "a settled clock has no menu")
	require.Eventually(t, func() bool {
		for _, r := range fake.Responses() {
			if r["_path"] == "notified" && strings.Contains(fmt.Sprint(r["text"]), "Notification for eu-gdpr/supervisory-authority recorded") {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "the DPO hears back privately")

	// The first other clock by command, the rest from the card's menu and
	// its modal: a documented decision not to notify.
	first := true
	for n := 0; n < 30; n++ {
		var pick string
		for _, v := range currentCard(t, fake, channel).menus(tpl.ActionClockMenu) {
			if opt, _, _, _ := tpl.SplitClockValue(v); opt == tpl.ClockOptionNotNotify {
				pick = v
				break
			}
		}
		if pick == "" {
			break
		}
		_, _, regime, obligation := tpl.SplitClockValue(pick)
		before = updates()
		if first {
			first = false
			sc.command(dana, channel, "not-notify "+regime+"/"+obligation+" Encrypted at rest; keys not exposed.", fake.ResponseURL("not-notify"))
		} else {
			opened := len(fake.OKCalls("views.open"))
			sc.pick(dana, channel, c.ts, tpl.ActionClockMenu, pick, fake.ResponseURL("menu"))
			require.Eventually(t, func() bool { return len(fake.OKCalls("views.open")) > opened }, 5*time.Second, 20*time.Millisecond, "Not notifying… opens its modal")
			view := fake.OKCalls("views.open")[opened].Params["view"]
			require.Contains(t, view, tpl.CallbackNotNotify)
			sc.interact(map[string]any{
				"type": "view_submission", "user": map[string]any{"id": dana},
				"view": map[string]any{"id": fmt.Sprintf("V-nn-%d", n), "callback_id": tpl.CallbackNotNotify, "private_metadata": tpl.Value(id, regime+"/"+obligation),
					"state": map[string]any{"values": map[string]any{tpl.BlockRationale: map[string]any{tpl.InputAction: map[string]any{"type": "plain_text_input", "value": "Encrypted at rest; keys not exposed."}}}}},
			})
		}
		require.Eventually(t, func() bool {
			return updates() > before && !slices.Contains(currentCard(t, fake, channel).menus(tpl.ActionClockMenu), pick)
		}, 20*time.Second, 50*time.Millisecond, "deciding not to notify on %s/%s must settle it on the card; answers: %v", regime, obligation, fake.Responses())
	}
	c = currentCard(t, fake, channel)
	require.Empty(t, c.menus(tpl.ActionClockMenu), "every clock is settled")
	require.Contains(t, c.blocks, "decided not to notify")

	// Close from the card: the modal opens, Rae (commander) submits a reason.
	opened := len(fake.OKCalls("views.open"))
	sc.press(rae, channel, c.ts, tpl.ActionClose, id, fake.ResponseURL("close"))
	require.Eventually(t, func() bool { return len(fake.OKCalls("views.open")) == opened+1 }, 5*time.Second, 20*time.Millisecond)
	require.Contains(t, fake.OKCalls("views.open")[opened].Params["view"], tpl.CallbackClose)
	before = updates()
	sc.interact(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": rae},
		"view": map[string]any{"id": "V-close-1", "callback_id": tpl.CallbackClose, "private_metadata": id,
			"state": map[string]any{"values": map[string]any{tpl.BlockCloseReason: map[string]any{tpl.InputAction: map[string]any{"type": "plain_text_input", "value": "Contained; remaining work tracked in PRB-12"}}}}},
	})
	c = waitCard(before, "Closed · ")
	require.Empty(t, c.buttons(tpl.ActionTaskDone), "a closed card has no buttons")
	require.Empty(t, c.buttons(tpl.ActionClose))
	require.Contains(t, c.text, "(closed)")

	// Read back through the API: nothing above used it.
	_, st := api.do("GET", "/api/v1/incidents/"+id, adminToken, nil)
	require.Equal(t, "closed", st["status"])
	for _, raw := range st["clocks"].([]any) {
		clk := raw.(map[string]any)
		if clk["obligation"] == "supervisory-authority" {
			require.Equal(t, "met", clk["status"], "the GDPR notification recorded from Slack")
			require.Equal(t, "SA-2026-123", clk["reference"])
		} else {
			require.Equal(t, "not_notified", clk["status"], "%v", clk)
		}
	}
	require.Len(t, fake.OKCalls("conversations.create"), 1, "one channel for the whole incident")
	require.Len(t, fake.OKCalls("pins.add"), 1)
	require.Len(t, fake.Messages("CANNOUNCE1"), 1)
	kinds := timelineKinds(api, id)
	require.Contains(t, kinds, "task.completed")
	require.Contains(t, kinds, "gate.approved")
	require.Contains(t, kinds, "slack.channel")
	require.Contains(t, kinds, "notification.recorded")
	denied := 0
	for _, k := range kinds {
		if k == "action.denied" {
			denied++
		}
	}
	require.Equal(t, 1, denied, "the refused press is on the timeline, once")
	require.NotContains(t, kinds, "slack.failed")
}

// TestSlackNoticeApprovedFromTheListBySecondPerson: a GDPR notice drafted by
// the DPO is listed privately with /incident notices; the DPO's own Approve
// press is refused (two-person rule), explained privately and recorded; Lee
// (legal) approves it with the same button and the list is redrawn with Send.
func TestSlackNoticeApprovedFromTheListBySecondPerson(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := startSlackMain(t, fake)
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	api := apiClient{t: t, base: "http://" + m.Addr()}
	const (
		dana = "U0000000001" // dpo
		lee  = "U0000000002" // legal
	)
	// The incident and its draft come from the API (Slack does not draft).
	e := declareBreach(t, api, "live", time.Now().Add(-time.Hour), gdprFacts)
	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	notice := n["id"].(string)
	require.Empty(t, n["missing"], "every Art. 33(3) fact is set")
	var channel string
	require.Eventually(t, func() bool {
		for _, c := range fake.Channels() {
			if strings.HasPrefix(c.Name, "inc-") {
				channel = c.ID
			}
		}
		return channel != "" && currentCard(t, fake, channel).ts != ""
	}, 30*time.Second, 50*time.Millisecond, "the incident channel and its card must appear")

	list := func(path string) map[string]any { t.Helper(); return slackAnswer(t, fake, path) }
	buttons := func(msg map[string]any, actionID string) []string {
		b, _ := json.Marshal(msg["blocks"])
		return elementValues(string(b), func(x map[string]any) []string {
			if x["action_id"] == actionID && x["type"] == "button" {
				return []string{fmt.Sprint(x["value"])}
			}
			return nil
		})
	}

	sc.command(dana, channel, "notices", fake.ResponseURL("list"))
	l := list("list")
	require.Equal(t, "ephemeral", l["response_type"], "the notices list is private")
	require.Equal(t, []string{tpl.Value(e.id, notice)}, buttons(l, tpl.ActionNoticeApprove), "the complete draft offers Approve")
	require.Empty(t, buttons(l, tpl.ActionNoticeSend), "a draft is not sent")

	// Dana drafted it: her Approve is refused, privately, and recorded.
	sc.press(dana, channel, "1772357000.000001", tpl.ActionNoticeApprove, tpl.Value(e.id, notice), fake.ResponseURL("own"))
	own := list("own")
	require.Contains(t, fmt.Sprint(own["text"]), "two-person rule")
	require.Equal(t, "ephemeral", own["response_type"])
	require.Eventually(t, func() bool { return slices.Contains(timelineKinds(api, e.id), "action.denied") }, 10*time.Second, 50*time.Millisecond,
		"the refused approval is on the timeline")
	require.Len(t, deniedEvents(t, api, e.id), 1, "once: the service records it, the bot no longer records it again")
	require.Equal(t, "draft", e.notice(t, notice)["status"])

	// Lee approves with the same button: the list is redrawn with Send.
	sc.press(lee, channel, "1772357000.000001", tpl.ActionNoticeApprove, tpl.Value(e.id, notice), fake.ResponseURL("lee"))
	redrawn := list("lee")
	require.Equal(t, true, redrawn["replace_original"], "the list Lee pressed in is redrawn from state")
	require.Contains(t, fmt.Sprint(redrawn["text"]), "Notice "+notice+" approved by <@"+lee+">")
	require.Equal(t, []string{tpl.Value(e.id, notice)}, buttons(redrawn, tpl.ActionNoticeSend), "the approved notice offers Send")
	require.Empty(t, buttons(redrawn, tpl.ActionNoticeApprove))
	got := e.notice(t, notice)
	require.Equal(t, "approved", got["status"])
	require.Equal(t, lee, got["approved_by"])
	require.True(t, e.hasEvent("notice.approved"))
}
