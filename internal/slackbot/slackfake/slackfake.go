// Package slackfake is an in-process fake of the Slack Web API and of Socket
// Mode for tests: it keeps channels and messages, records every call, can
// fail a method on demand (a 429 with Retry-After, a Slack error code), and
// speaks the Socket Mode protocol (apps.connections.open, hello, envelopes,
// acks) over a real WebSocket.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// BotUserID and BotID are who the fake says the bot is (auth.test).
const (
	BotUserID = "UBOT0000001"
	BotID     = "BBOT0000001"
)

// Call is one recorded Web API call.
type Call struct {
	Method string
	Params map[string]string
	Status int    // HTTP status the fake answered
	Error  string // Slack error code the fake answered, if any
}

// Channel is a channel the fake knows.
type Channel struct {
	ID, Name, Topic, Creator string
	Private, Archived        bool
	Created                  int64
	Members                  []string
	Pins                     []string
}

// Message is a message the fake keeps.
type Message struct {
	Channel, TS, User, BotID, Text string
	Blocks                         json.RawMessage
	// ThreadTS is the thread a reply belongs to; Broadcast, a reply also
	// shown in the channel (reply_broadcast).
	ThreadTS  string
	Broadcast bool
}

type failure struct {
	status     int
	retryAfter string
	code       string
}

// Server is the fake.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	calls     []Call
	channels  []*Channel
	messages  []*Message
	ephemeral []Message
	responses []map[string]any
	failures  map[string][]failure
	limits    map[string]rateLimit
	recent    map[string][]time.Time
	rejects   []string
	views     map[string]json.RawMessage
	seq       int
	// Delay, when set, is how long every Web API call takes.
	Delay time.Duration

	wsMu    sync.Mutex
	conns   []*websocket.Conn
	acks    []map[string]any
	connect chan struct{}
}

// New starts a fake; Close stops it.
func New() *Server {
	s := &Server{failures: map[string][]failure{}, limits: map[string]rateLimit{}, recent: map[string][]time.Time{},
		views: map[string]json.RawMessage{}, connect: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.api)
	mux.HandleFunc("/response/", s.response)
	mux.HandleFunc("/ws", s.ws)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server and its WebSockets.
func (s *Server) Close() {
	s.wsMu.Lock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.wsMu.Unlock()
	s.srv.Close()
}

// APIURL is the value for SLACK_API_URL.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL is a response_url that records what is posted to it.
func (s *Server) ResponseURL(name string) string { return s.srv.URL + "/response/" + name }

// Fail makes the next n calls of method fail: with HTTP status 429 and
// Retry-After when status is 429, else with Slack error code.
func (s *Server) Fail(method string, n int, status int, retryAfter, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{status: status, retryAfter: retryAfter, code: code})
	}
}

// Calls returns the recorded calls of method ("" for all).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// OKCalls returns the successful calls of method.
func (s *Server) OKCalls(method string) []Call {
	var out []Call
	for _, c := range s.Calls(method) {
		if c.Status == http.StatusOK && c.Error == "" {
			out = append(out, c)
		}
	}
	return out
}

// Channels returns a copy of every channel.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channels))
	for _, c := range s.channels {
		out = append(out, *c)
	}
	return out
}

// AddChannel adds a channel as if someone had created it.
func (s *Server) AddChannel(c Channel) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == "" {
		s.seq++
		c.ID = fmt.Sprintf("C%07d", s.seq)
	}
	s.channels = append(s.channels, &c)
	return c.ID
}

// Archive archives a channel, as a person might mid-incident.
func (s *Server) Archive(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channel(channelID); c != nil {
		c.Archived = true
	}
}

// Messages returns a copy of the messages in channel ("" for all).
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// AddMessage adds a message as if a person had posted it.
func (s *Server) AddMessage(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, &m)
}

// Ephemerals returns the ephemeral messages posted with chat.postEphemeral.
func (s *Server) Ephemerals() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemeral)
}

// Responses returns what was posted to response URLs.
func (s *Server) Responses() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.responses)
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	_ = json.NewDecoder(r.Body).Decode(&m)
	if m == nil {
		m = map[string]any{}
	}
	if blocks, ok := m["blocks"]; ok {
		raw, _ := json.Marshal(blocks)
		if errs := CheckBlocks(raw, SurfaceMessage); len(errs) > 0 {
			s.mu.Lock()
			s.rejects = append(s.rejects, prefixed("response_url", errs)...)
			s.mu.Unlock()
			http.Error(w, "invalid_blocks", http.StatusBadRequest)
			return
		}
	}
	m["_path"] = strings.TrimPrefix(r.URL.Path, "/response/")
	s.mu.Lock()
	s.responses = append(s.responses, m)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func params(r *http.Request) map[string]string {
	out := map[string]string{}
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			} else {
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
	} else {
		vals, _ := url.ParseQuery(string(body))
		for k := range vals {
			out[k] = vals.Get(k)
		}
	}
	for k := range r.URL.Query() {
		if _, ok := out[k]; !ok {
			out[k] = r.URL.Query().Get(k)
		}
	}
	delete(out, "token")
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	p := params(r)
	if s.Delay > 0 {
		time.Sleep(s.Delay)
	}
	s.mu.Lock()
	call := Call{Method: method, Params: p, Status: http.StatusOK}
	if wait := s.limited(method, p); wait > 0 {
		call.Status = http.StatusTooManyRequests
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if fs := s.failures[method]; len(fs) > 0 {
		f := fs[0]
		s.failures[method] = fs[1:]
		if f.status != 0 && f.status != http.StatusOK {
			call.Status = f.status
			s.calls = append(s.calls, call)
			s.mu.Unlock()
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			w.WriteHeader(f.status)
			return
		}
		call.Error = f.code
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": f.code})
		return
	}
	var resp map[string]any
	code := ""
	if errs := s.checkPayload(method, p); len(errs) > 0 {
		code = "invalid_blocks"
		s.rejects = append(s.rejects, prefixed(method, errs)...)
		resp = map[string]any{"errors": errs}
	} else {
		resp, code = s.handle(method, p)
	}
	call.Error = code
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	if code != "" {
		out := map[string]any{"ok": false, "error": code}
		if errs, ok := resp["errors"]; ok {
			out["errors"] = errs
		}
		writeJSON(w, out)
		return
	}
	resp["ok"] = true
	writeJSON(w, resp)
}

func (s *Server) channel(id string) *Channel {
	for _, c := range s.channels {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq)
}

func channelJSON(c *Channel) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "is_private": c.Private, "is_archived": c.Archived, "is_channel": !c.Private,
		"is_group": c.Private, "created": c.Created, "creator": c.Creator,
		"is_member": slices.Contains(c.Members, BotUserID),
		"topic":     map[string]any{"value": c.Topic},
	}
}

// handle runs one method against the fake's state; s.mu is held.
func (s *Server) handle(method string, p map[string]string) (map[string]any, string) {
	switch method {
	case "auth.test":
		return map[string]any{"user_id": BotUserID, "bot_id": BotID, "user": "irbot", "team_id": "T0000001"}, ""
	case "apps.connections.open":
		return map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws"}, ""
	case "conversations.create":
		name := p["name"]
		for _, c := range s.channels {
			if c.Name == name {
				return nil, "name_taken"
			}
		}
		s.seq++
		c := &Channel{ID: fmt.Sprintf("C%07d", s.seq), Name: name, Private: p["is_private"] == "true",
			Creator: BotUserID, Created: time.Now().Unix(), Members: []string{BotUserID}}
		s.channels = append(s.channels, c)
		return map[string]any{"channel": channelJSON(c)}, ""
	case "conversations.list":
		var out []any
		for _, c := range s.channels {
			if c.Archived && p["exclude_archived"] == "true" {
				continue
			}
			if c.Private && !slices.Contains(c.Members, BotUserID) {
				continue
			}
			out = append(out, channelJSON(c))
		}
		return map[string]any{"channels": out, "response_metadata": map[string]any{"next_cursor": ""}}, ""
	case "conversations.info":
		c := s.channel(p["channel"])
		if c == nil {
			return nil, "channel_not_found"
		}
		return map[string]any{"channel": channelJSON(c)}, ""
	case "conversations.invite":
		c := s.channel(p["channel"])
		if c == nil {
			return nil, "channel_not_found"
		}
		if c.Archived {
			return nil, "is_archived"
		}
		for _, u := range strings.Split(p["users"], ",") {
			if slices.Contains(c.Members, u) {
				return nil, "already_in_channel"
			}
			c.Members = append(c.Members, u)
		}
		return map[string]any{"channel": channelJSON(c)}, ""
	case "conversations.archive":
		// As Slack: the channel must exist, not be archived already, and
		// have the caller as a member; #general cannot be archived.
		c := s.channel(p["channel"])
		if c == nil || (c.Private && !slices.Contains(c.Members, BotUserID)) {
			return nil, "channel_not_found"
		}
		if c.Archived {
			return nil, "already_archived"
		}
		if c.Name == "general" {
			return nil, "cant_archive_general"
		}
		if !slices.Contains(c.Members, BotUserID) {
			return nil, "not_in_channel"
		}
		c.Archived = true
		return map[string]any{}, ""
	case "conversations.setTopic":
		c := s.channel(p["channel"])
		if c == nil {
			return nil, "channel_not_found"
		}
		if c.Archived {
			return nil, "is_archived"
		}
		c.Topic = p["topic"]
		return map[string]any{"channel": channelJSON(c)}, ""
	case "conversations.open":
		users := p["users"]
		for _, c := range s.channels {
			if c.Name == "dm-"+users {
				return map[string]any{"channel": channelJSON(c)}, ""
			}
		}
		s.seq++
		c := &Channel{ID: fmt.Sprintf("D%07d", s.seq), Name: "dm-" + users, Private: true, Members: []string{BotUserID, users}}
		s.channels = append(s.channels, c)
		return map[string]any{"channel": channelJSON(c)}, ""
	case "conversations.history", "conversations.replies":
		var out []any
		for i := len(s.messages) - 1; i >= 0; i-- {
			m := s.messages[i]
			if m.Channel != p["channel"] {
				continue
			}
			if p["latest"] != "" && p["inclusive"] == "true" && p["oldest"] == p["latest"] && m.TS != p["latest"] {
				continue
			}
			if method == "conversations.replies" && m.TS != p["ts"] && m.ThreadTS != p["ts"] {
				continue
			}
			// As Slack: the channel's history holds top-level messages and
			// replies broadcast to the channel, not the other replies.
			if method == "conversations.history" && m.ThreadTS != "" && !m.Broadcast {
				continue
			}
			if n, err := strconv.Atoi(p["limit"]); err == nil && n > 0 && len(out) >= n {
				break
			}
			msg := map[string]any{"type": "message", "ts": m.TS, "user": m.User, "bot_id": m.BotID, "text": m.Text}
			if m.ThreadTS != "" {
				msg["thread_ts"] = m.ThreadTS
			}
			if m.Broadcast {
				msg["subtype"] = "thread_broadcast"
			}
			if len(m.Blocks) > 0 {
				msg["blocks"] = m.Blocks
			}
			out = append(out, msg)
		}
		return map[string]any{"messages": out, "has_more": false}, ""
	case "chat.postMessage":
		c := s.channel(p["channel"])
		if c == nil {
			if p["channel"] == "" || !strings.HasPrefix(p["channel"], "C") {
				return nil, "channel_not_found"
			}
			// An announcement channel the test did not create: make it.
			c = &Channel{ID: p["channel"], Name: strings.ToLower(p["channel"]), Members: []string{BotUserID}}
			s.channels = append(s.channels, c)
		}
		if c.Archived {
			return nil, "is_archived"
		}
		m := &Message{Channel: c.ID, TS: s.nextTS(), User: BotUserID, BotID: BotID, Text: p["text"], Blocks: json.RawMessage(p["blocks"]),
			ThreadTS: p["thread_ts"], Broadcast: p["reply_broadcast"] == "true"}
		s.messages = append(s.messages, m)
		return map[string]any{"channel": c.ID, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS}}, ""
	case "chat.update":
		c := s.channel(p["channel"])
		if c == nil {
			return nil, "channel_not_found"
		}
		if c.Archived {
			return nil, "is_archived"
		}
		for _, m := range s.messages {
			if m.Channel == c.ID && m.TS == p["ts"] {
				m.Text, m.Blocks = p["text"], json.RawMessage(p["blocks"])
				return map[string]any{"channel": c.ID, "ts": m.TS, "text": m.Text}, ""
			}
		}
		return nil, "message_not_found"
	case "chat.getPermalink":
		c := s.channel(p["channel"])
		if c == nil {
			return nil, "channel_not_found"
		}
		for _, m := range s.messages {
			if m.Channel == c.ID && m.TS == p["message_ts"] {
				return map[string]any{"channel": c.ID, "permalink": "https://fake.slack.test/archives/" + c.ID + "/p" + strings.ReplaceAll(m.TS, ".", "")}, ""
			}
		}
		return nil, "message_not_found"
	case "chat.postEphemeral":
		c := s.channel(p["channel"])
		if c == nil {
			return nil, "channel_not_found"
		}
		if !slices.Contains(c.Members, BotUserID) {
			return nil, "not_in_channel"
		}
		s.ephemeral = append(s.ephemeral, Message{Channel: c.ID, User: p["user"], Text: p["text"], Blocks: json.RawMessage(p["blocks"])})
		return map[string]any{"message_ts": s.nextTS()}, ""
	case "pins.add":
		c := s.channel(p["channel"])
		if c == nil {
			return nil, "channel_not_found"
		}
		if slices.Contains(c.Pins, p["timestamp"]) {
			return nil, "already_pinned"
		}
		c.Pins = append(c.Pins, p["timestamp"])
		return map[string]any{}, ""
	case "views.open":
		if p["trigger_id"] == "" {
			return nil, "invalid_trigger_id"
		}
		s.seq++
		id := fmt.Sprintf("V%07d", s.seq)
		s.views[id] = json.RawMessage(p["view"])
		return map[string]any{"view": map[string]any{"id": id}}, ""
	case "views.update":
		if _, ok := s.views[p["view_id"]]; !ok {
			return nil, "not_found"
		}
		s.views[p["view_id"]] = json.RawMessage(p["view"])
		return map[string]any{"view": map[string]any{"id": p["view_id"]}}, ""
	case "views.publish":
		if p["user_id"] == "" {
			return nil, "invalid_arguments"
		}
		s.views["home:"+p["user_id"]] = json.RawMessage(p["view"])
		return map[string]any{"view": map[string]any{"id": "home:" + p["user_id"]}}, ""
	case "users.info":
		return map[string]any{"user": map[string]any{"id": p["user"], "name": strings.ToLower(p["user"]), "real_name": "User " + p["user"]}}, ""
	}
	return nil, "unknown_method"
}

// Socket Mode

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.wsMu.Lock()
	s.conns = append(s.conns, c)
	s.wsMu.Unlock()
	_ = c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0000001"}})
	select {
	case s.connect <- struct{}{}:
	default:
	}
	for {
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			return
		}
		s.wsMu.Lock()
		s.acks = append(s.acks, m)
		s.wsMu.Unlock()
	}
}

// Connected is signalled each time a Socket Mode client connects.
func (s *Server) Connected() <-chan struct{} { return s.connect }

// Send sends a Socket Mode envelope to every connected client.
func (s *Server) Send(envelopeType, envelopeID string, payload any) error {
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	for _, c := range s.conns {
		if err := c.WriteJSON(map[string]any{
			"type": envelopeType, "envelope_id": envelopeID, "payload": payload, "accepts_response_payload": envelopeType != "events_api",
		}); err != nil {
			return err
		}
	}
	return nil
}

// Ping sends a WebSocket ping (the client expects them to stay connected).
func (s *Server) Ping() {
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	for _, c := range s.conns {
		_ = c.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(time.Second))
	}
}

// Acks returns every message the clients sent back (acks carry envelope_id).
func (s *Server) Acks() []map[string]any {
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	return slices.Clone(s.acks)
}

// checkPayload applies the Block Kit checker to what a method would show:
// the blocks of a message, or a view. s.mu is held.
func (s *Server) checkPayload(method string, p map[string]string) []string {
	switch method {
	case "chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage":
		if p["blocks"] == "" {
			return nil
		}
		return CheckBlocks([]byte(p["blocks"]), SurfaceMessage)
	case "views.open", "views.update", "views.push", "views.publish":
		if p["view"] == "" {
			return []string{"view: required"}
		}
		errs := CheckView([]byte(p["view"]))
		var v struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal([]byte(p["view"]), &v)
		// views.publish shows an App Home tab; the others, modals.
		if want := map[bool]string{true: "home", false: "modal"}[method == "views.publish"]; v.Type != want {
			errs = append(errs, fmt.Sprintf("view.type: %s takes a %s view, got %q", method, want, v.Type))
		}
		return errs
	}
	return nil
}

func prefixed(method string, errs []string) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = method + ": " + e
	}
	return out
}

// Rejections returns every invalid_blocks the fake answered, with the rule
// broken: a test that expects none asserts this is empty.
func (s *Server) Rejections() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejects)
}

// View returns the last view opened, updated or published under id (the
// views.open answer's ID, or "home:USER" for a published App Home).
func (s *Server) View(id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.views[id]
}

type rateLimit struct {
	n      int
	window time.Duration
}

// RateLimit makes method answer 429 with Retry-After once it has been called
// n times within window (per channel for chat.postMessage, as Slack limits
// posting per channel). A zero n removes the limit.
func (s *Server) RateLimit(method string, n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.limits, method)
		return
	}
	s.limits[method] = rateLimit{n: n, window: window}
}

// limited records a call against method's limit and returns how long the
// caller must wait when it is over (0 when it may go). s.mu is held.
func (s *Server) limited(method string, p map[string]string) time.Duration {
	l, ok := s.limits[method]
	if !ok {
		return 0
	}
	key := method
	if method == "chat.postMessage" {
		key += "|" + p["channel"]
	}
	now := time.Now()
	kept := s.recent[key][:0]
	for _, t := range s.recent[key] {
		if now.Sub(t) < l.window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= l.n {
		s.recent[key] = kept
		return l.window - now.Sub(kept[0])
	}
	s.recent[key] = append(kept, now)
	return 0
}

// Unarchive unarchives a channel (Slack then sends channel_unarchive).
func (s *Server) Unarchive(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channel(channelID); c != nil {
		c.Archived = false
	}
}
