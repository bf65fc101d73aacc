package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"go.temporal.io/sdk/temporal"

	"github.com/irbot/irbot/internal/metrics"
	"github.com/irbot/irbot/workflows"
)

// transientCodes are Slack error codes worth retrying: Slack itself had a
// problem. Any other Slack error code is permanent for this call (a missing
// scope, an archived channel, a bad token): retrying cannot fix it.
var transientCodes = []string{"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}

// Error is a Slack Web API failure after retries, classified.
type Error struct {
	Method    string
	Code      string // Slack's error code, or "http_NNN", or "network"
	Permanent bool
	Err       error
}

func (e *Error) Error() string {
	msg := "slack " + e.Method + ": " + e.Code
	if hint := hints[e.Code]; hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// hints say what a person can do about a permanent failure; they end up on
// the timeline and in the commander's DM.
// #nosec G101 -- Slack error codes and the hint shown for each; no credential
var hints = map[string]string{
	"channel_not_found": "the incident channel no longer exists or irbot cannot see it",
	"is_archived":       "the incident channel is archived; unarchive it to keep working there",
	"not_in_channel":    "irbot was removed from the channel; invite it back",
	"account_inactive":  "the bot's Slack account is deactivated",
	"invalid_auth":      "SLACK_BOT_TOKEN is not valid",
	"token_revoked":     "SLACK_BOT_TOKEN was revoked",
	"missing_scope":     "the Slack app lacks a scope; reinstall it from deploy/slack/manifest.yaml",
}

// ErrCode returns the Slack error code of err ("" when it is not a Slack error).
func ErrCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// IsPermanent reports whether err is a Slack failure that retrying will not fix.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// ActivityError turns a Slack failure into what a Temporal activity returns:
// permanent ones are non-retryable, so the workflow records them once and
// moves on instead of retrying against an archived channel forever.
func ActivityError(err error) error {
	if err == nil {
		return nil
	}
	if IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(err.Error(), workflows.SlackPermanentType, err, ErrCode(err))
	}
	return temporal.NewApplicationError(err.Error(), "SlackTransient", err)
}

// API is the Slack Web API as irbot uses it: every call retries rate limits
// (honouring Retry-After) and transient failures with backoff, so call sites
// stay unaware of retries.
type API struct {
	c    *slack.Client
	http *http.Client
	log  *slog.Logger
	// attempts bounds tries per call; backoff is the first transient wait.
	attempts int
	backoff  time.Duration
	// sleep waits d or until ctx ends (tests may shorten it).
	sleep func(ctx context.Context, d time.Duration) error
}

func newAPI(token, apiURL string, hc *http.Client, log *slog.Logger) *API {
	opts := []slack.Option{slack.OptionHTTPClient(hc)}
	if apiURL != "" {
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return &API{c: slack.New(token, opts...), http: hc, log: log, attempts: 5, backoff: 300 * time.Millisecond, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call runs fn with retries and classifies the final error.
func (a *API) call(ctx context.Context, method string, fn func(ctx context.Context) error) error {
	wait := a.backoff
	var last error
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		last = err
		code, permanent, retryAfter := classify(err)
		if permanent {
			metrics.SlackFailed(method, true)
			return &Error{Method: method, Code: code, Permanent: true, Err: err}
		}
		if attempt >= a.attempts || ctx.Err() != nil {
			break
		}
		// #nosec G404 -- retry jitter spreads retries; nothing depends on it being unpredictable
		d := wait + time.Duration(rand.Int64N(int64(wait)/4+1))
		if retryAfter > 0 {
			d = retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			// Slack asks us to wait longer than this call may take: give the
			// retry to the caller (Temporal retries the activity later).
			break
		}
		a.log.Debug("slack retry", "method", method, "code", code, "attempt", attempt, "wait", d)
		if err := a.sleep(ctx, d); err != nil {
			break
		}
		wait = min(wait*2, 10*time.Second)
	}
	code, _, _ := classify(last)
	metrics.SlackFailed(method, false)
	return &Error{Method: method, Code: code, Err: last}
}

// classify says whether err is worth retrying and how long Slack asked us to wait.
func classify(err error) (code string, permanent bool, retryAfter time.Duration) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return "ratelimited", false, max(rl.RetryAfter, time.Second)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err, !slices.Contains(transientCodes, se.Err), 0
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		code := fmt.Sprintf("http_%d", sc.Code)
		if sc.Code == http.StatusTooManyRequests {
			return "ratelimited", false, time.Second
		}
		return code, sc.Code < 500, 0
	}
	if errors.Is(err, context.Canceled) {
		return "canceled", false, 0
	}
	return "network", false, 0
}

// CreateChannel creates a channel, private unless public is asked.
func (a *API) CreateChannel(ctx context.Context, name string, private bool) (*slack.Channel, error) {
	var ch *slack.Channel
	err := a.call(ctx, "conversations.create", func(ctx context.Context) (err error) {
		ch, err = a.c.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: private})
		return err
	})
	return ch, err
}

// FindChannel finds a channel by exact name among the channels the bot can
// see (private ones only when it is a member).
func (a *API) FindChannel(ctx context.Context, name string) (*slack.Channel, error) {
	cursor := ""
	for range 50 {
		var chans []slack.Channel
		var next string
		err := a.call(ctx, "conversations.list", func(ctx context.Context) (err error) {
			chans, next, err = a.c.GetConversationsContext(ctx, &slack.GetConversationsParameters{
				Cursor: cursor, ExcludeArchived: true, Limit: 1000, Types: []string{"private_channel", "public_channel"},
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		for i := range chans {
			if chans[i].Name == name {
				return &chans[i], nil
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return nil, nil
}

// Invite adds one user to a channel; being there already is success.
func (a *API) Invite(ctx context.Context, channelID, userID string) error {
	err := a.call(ctx, "conversations.invite", func(ctx context.Context) error {
		_, err := a.c.InviteUsersToConversationContext(ctx, channelID, userID)
		return err
	})
	switch ErrCode(err) {
	case "already_in_channel", "cant_invite_self":
		return nil
	}
	return err
}

// Archive archives a channel; one already archived is no failure.
func (a *API) Archive(ctx context.Context, channelID string) error {
	err := a.call(ctx, "conversations.archive", func(ctx context.Context) error {
		return a.c.ArchiveConversationContext(ctx, channelID)
	})
	if ErrCode(err) == "already_archived" {
		return nil
	}
	return err
}

// SetTopic sets a channel's topic.
func (a *API) SetTopic(ctx context.Context, channelID, topic string) error {
	return a.call(ctx, "conversations.setTopic", func(ctx context.Context) error {
		_, err := a.c.SetTopicOfConversationContext(ctx, channelID, topic)
		return err
	})
}

// Post posts a message and returns its timestamp.
func (a *API) Post(ctx context.Context, channelID string, opts ...slack.MsgOption) (string, error) {
	var ts string
	err := a.call(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = a.c.PostMessageContext(ctx, channelID, opts...)
		return err
	})
	return ts, err
}

// Update replaces a message.
func (a *API) Update(ctx context.Context, channelID, ts string, opts ...slack.MsgOption) error {
	return a.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := a.c.UpdateMessageContext(ctx, channelID, ts, opts...)
		return err
	})
}

// PostEphemeral shows a message to one person in a channel.
func (a *API) PostEphemeral(ctx context.Context, channelID, userID string, opts ...slack.MsgOption) error {
	return a.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := a.c.PostEphemeralContext(ctx, channelID, userID, opts...)
		return err
	})
}

// Pin pins a message; already pinned is success.
func (a *API) Pin(ctx context.Context, channelID, ts string) error {
	err := a.call(ctx, "pins.add", func(ctx context.Context) error {
		return a.c.AddPinContext(ctx, channelID, slack.NewRefToMessage(channelID, ts))
	})
	if ErrCode(err) == "already_pinned" {
		return nil
	}
	return err
}

// OpenView opens a modal. It is not retried: a trigger ID lives about 3 s.
func (a *API) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	_, err := a.c.OpenViewContext(ctx, triggerID, view)
	if err != nil {
		code, permanent, _ := classify(err)
		return &Error{Method: "views.open", Code: code, Permanent: permanent, Err: err}
	}
	return nil
}

// Permalink is a message's link (the incident card's, for newcomers).
func (a *API) Permalink(ctx context.Context, channelID, ts string) (string, error) {
	var link string
	err := a.call(ctx, "chat.getPermalink", func(ctx context.Context) (err error) {
		link, err = a.c.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channelID, Ts: ts})
		return err
	})
	return link, err
}

// PublishHome publishes a person's App Home tab (retried like the others:
// unlike a modal, it has no trigger ID to expire).
func (a *API) PublishHome(ctx context.Context, userID string, view slack.HomeTabViewRequest) error {
	return a.call(ctx, "views.publish", func(ctx context.Context) error {
		_, err := a.c.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: view})
		return err
	})
}

// DM opens (or finds) the direct conversation with a user and posts to it.
func (a *API) DM(ctx context.Context, userID string, opts ...slack.MsgOption) error {
	var ch *slack.Channel
	err := a.call(ctx, "conversations.open", func(ctx context.Context) (err error) {
		ch, _, _, err = a.c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{userID}, ReturnIM: true})
		return err
	})
	if err != nil {
		return err
	}
	_, err = a.Post(ctx, ch.ID, opts...)
	return err
}

// Message returns the message at ts in a channel (a thread reply too).
func (a *API) Message(ctx context.Context, channelID, ts string) (*slack.Message, error) {
	var resp *slack.GetConversationHistoryResponse
	err := a.call(ctx, "conversations.history", func(ctx context.Context) (err error) {
		resp, err = a.c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channelID, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range resp.Messages {
		if resp.Messages[i].Timestamp == ts {
			return &resp.Messages[i], nil
		}
	}
	// Not in the channel's history: it may be a reply in a thread.
	var msgs []slack.Message
	err = a.call(ctx, "conversations.replies", func(ctx context.Context) (err error) {
		msgs, _, _, err = a.c.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channelID, Timestamp: ts, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		if msgs[i].Timestamp == ts {
			return &msgs[i], nil
		}
	}
	return nil, nil
}

// History returns the channel's latest messages.
func (a *API) History(ctx context.Context, channelID string, limit int) ([]slack.Message, error) {
	var resp *slack.GetConversationHistoryResponse
	err := a.call(ctx, "conversations.history", func(ctx context.Context) (err error) {
		resp, err = a.c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channelID, Limit: limit})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.Messages, nil
}

// AuthTest returns who the bot is.
func (a *API) AuthTest(ctx context.Context) (*slack.AuthTestResponse, error) {
	var resp *slack.AuthTestResponse
	err := a.call(ctx, "auth.test", func(ctx context.Context) (err error) {
		resp, err = a.c.AuthTestContext(ctx)
		return err
	})
	return resp, err
}

// Respond posts to a response_url (a slash command's or an interaction's).
// The URL is a bearer capability: it is never logged.
func (a *API) Respond(ctx context.Context, responseURL string, msg any) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return a.call(ctx, "response_url", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.http.Do(req)
		if err != nil {
			// Strip the URL from the error: it must not reach a log line.
			return errors.New("response_url request failed")
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode == http.StatusTooManyRequests {
			return &slack.RateLimitedError{RetryAfter: time.Second}
		}
		if resp.StatusCode != http.StatusOK {
			return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
		}
		return nil
	})
}
