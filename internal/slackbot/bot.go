// Package slackbot is irbot's Slack surface: the /incident command, buttons
// and modals, channel events, and the incident channel with its card. It
// speaks to Slack over Socket Mode or HTTP (signed requests) and to incidents
// only through the incident service, like every other surface.
//
// Every request is acknowledged at once; the work runs on a bounded worker
// pool. Duplicate deliveries are dropped by a short-lived cache and, for good,
// by request keys the service and the workflow honour.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/workflows"
)

// Service is the incident service as the bot uses it: each part is a small
// interface declared where it is used, and *incident.Service must provide
// them all. A missing method is a build error here, never a Slack feature
// that silently disappears.
type Service interface {
	Incidents
	ChannelIndex
	DenialRecorder
	OpenLister
	OutageReporter
	TimelineReader
	NoticeService
	NoticeDrafter
	DrillService
	DrillSchedules
	SlackResumer
}

var _ Service = (*incident.Service)(nil)

// Incidents declares, reads and acts on incidents.
type Incidents interface {
	Declare(ctx context.Context, actor workflows.Actor, req incident.DeclareRequest) (*workflows.IncidentState, error)
	Get(ctx context.Context, actor workflows.Actor, id string) (*workflows.IncidentState, error)
	Act(ctx context.Context, actor workflows.Actor, id string, a workflows.Action) (*workflows.IncidentState, error)
}

// ChannelIndex finds the incident a Slack channel belongs to, also for
// channels published before this process started.
type ChannelIndex interface {
	IncidentByChannel(ctx context.Context, channelID string) (string, error)
}

// DenialRecorder records a refused action on the incident's timeline
// (action.denied).
type DenialRecorder interface {
	RecordDenial(ctx context.Context, incidentID string, actor workflows.Actor, a workflows.Action, reason string) error
}

// OpenLister lists the open incidents for /incident list and the App Home.
type OpenLister interface {
	OpenList(ctx context.Context, actor workflows.Actor) (incident.OpenListResult, error)
}

// OutageReporter says whether the workflow engine is known to be down, so a
// slash command can be answered "not run, repeat it" inside Slack's 3 s
// instead of a minute later.
type OutageReporter interface {
	TemporalDown() bool
}

// Directory resolves Slack users to the people in the users file.
type Directory interface {
	BySlackID(id string) (auth.User, bool)
	WithRole(role string) []auth.User
}

// SystemActor is irbot itself: it reads incidents to publish and alert (as
// compliance, which only reads), and records what Slack told it (denied
// actions, messages pinned by members without a role) as policy.Recorder,
// which may add notes and nothing else.
var SystemActor = workflows.Actor{ID: "irbot", Name: "irbot", Roles: []string{policy.Compliance, policy.Recorder}}

// Config is what a Bot needs.
type Config struct {
	Service   Service
	Directory Directory

	BotToken      string // xoxb-
	AppToken      string // xapp-: Socket Mode
	SigningSecret string // HTTP mode
	APIURL        string // Web API base URL; empty for Slack's
	// AnnounceChannel receives one announcement per incident (live only).
	AnnounceChannel string
	// Regimes are offered in the declare modal.
	Regimes []string

	Logger     *slog.Logger
	Now        func() time.Time
	HTTPClient *http.Client
	// Workers and Queue size the worker pool (defaults 16 and 512).
	Workers, Queue int
}

// Bot is the Slack surface. It also implements activities.Publisher and
// activities.Alerter.
type Bot struct {
	svc       Service
	dir       Directory
	api       *API
	verifier  Verifier
	log       *slog.Logger
	now       func() time.Time
	announce  string
	regimes   []string
	appToken  string
	botToken  string
	apiURL    string
	hc        *http.Client
	work      *pool
	urgent    *pool
	seen      *dedupe
	clicks    *dedupe
	published *publishState

	botMu   sync.Mutex
	botUser string
	botID   string

	stopMu sync.Mutex
	stop   context.CancelFunc
	done   chan struct{}
}

// New builds a Bot from cfg.
func New(cfg Config) (*Bot, error) {
	if cfg.Service == nil {
		return nil, errors.New("slackbot: a Service is required")
	}
	if cfg.BotToken == "" {
		return nil, errors.New("slackbot: SLACK_BOT_TOKEN is required")
	}
	if cfg.AppToken == "" && cfg.SigningSecret == "" {
		return nil, errors.New("slackbot: SLACK_SIGNING_SECRET is required in HTTP mode")
	}
	b := &Bot{
		svc: cfg.Service, dir: cfg.Directory, log: cfg.Logger, now: cfg.Now,
		announce: cfg.AnnounceChannel, regimes: cfg.Regimes, appToken: cfg.AppToken, botToken: cfg.BotToken, apiURL: cfg.APIURL, hc: cfg.HTTPClient,
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	b.log = b.log.With("component", "slack")
	if b.now == nil {
		b.now = time.Now
	}
	if b.hc == nil {
		b.hc = &http.Client{Timeout: 15 * time.Second}
	}
	if b.dir == nil {
		b.dir = noUsers{}
	}
	workers, queue := cfg.Workers, cfg.Queue
	if workers <= 0 {
		workers = 16
	}
	if queue <= 0 {
		queue = 512
	}
	b.api = newAPI(cfg.BotToken, cfg.APIURL, b.hc, b.log)
	b.verifier = Verifier{Secret: cfg.SigningSecret, Now: b.now}
	b.work = newPool(workers, queue)
	// Modals must open within about 3 s of the trigger: they never wait
	// behind slow declares.
	b.urgent = newPool(4, 128)
	b.seen = newDedupe(15*time.Minute, 50000, b.now)
	b.clicks = newDedupe(10*time.Second, 10000, b.now)
	b.published = newPublishState()
	return b, nil
}

type noUsers struct{}

func (noUsers) BySlackID(string) (auth.User, bool) { return auth.User{}, false }
func (noUsers) WithRole(string) []auth.User        { return nil }

// API is the bot's Web API client (with retries).
func (b *Bot) API() *API { return b.api }

// Routes are the HTTP-mode endpoints, to mount on the server's mux. Each
// verifies Slack's signature on the raw body before anything else.
func (b *Bot) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /slack/commands":     b.verifier.signed(b.httpCommand),
		"POST /slack/interactions": b.verifier.signed(b.httpInteraction),
		"POST /slack/events":       b.verifier.signed(b.httpEvent),
	}
}

// Close stops Socket Mode and the workers, letting queued work finish for a
// few seconds.
func (b *Bot) Close() error {
	b.stopMu.Lock()
	stop, done := b.stop, b.done
	b.stopMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	b.urgent.close(2 * time.Second)
	b.work.close(5 * time.Second)
	return nil
}

// actor is the person behind a Slack user ID: from the users file when they
// are in it, else a person with no role (who may still declare).
func (b *Bot) actor(userID, name string) workflows.Actor {
	if u, ok := b.dir.BySlackID(userID); ok {
		a := u.Actor()
		a.ID = userID
		return a
	}
	return workflows.Actor{ID: userID, Name: name}
}

// bot returns the bot's own user and bot IDs (auth.test, once).
func (b *Bot) self(ctx context.Context) (userID, botID string) {
	b.botMu.Lock()
	defer b.botMu.Unlock()
	if b.botUser == "" {
		resp, err := b.api.AuthTest(ctx)
		if err != nil {
			b.log.Warn("slack auth.test failed", "error", err)
			return "", ""
		}
		b.botUser, b.botID = resp.UserID, resp.BotID
	}
	return b.botUser, b.botID
}

// incidentFor returns the incident whose channel channelID is ("" if none).
func (b *Bot) incidentFor(ctx context.Context, channelID string) (string, error) {
	if channelID == "" {
		return "", nil
	}
	if id := b.published.incidentOf(channelID); id != "" {
		return id, nil
	}
	id, err := b.svc.IncidentByChannel(ctx, channelID)
	if err != nil {
		var nf interface{ NotFound() bool }
		if errors.As(err, &nf) && nf.NotFound() {
			return "", nil
		}
		return "", err
	}
	return id, nil
}

// reply is where a private answer goes.
type reply struct {
	responseURL string
	channelID   string
	userID      string
}

// tell answers one person privately: through the response URL when there is
// one, else an ephemeral message in the channel, else a DM.
func (b *Bot) tell(ctx context.Context, to reply, text string) {
	b.tellBlocks(ctx, to, text, nil, false)
}

// tellBlocks is tell with blocks (text is their fallback). With replace, a
// response URL answer replaces the private message that was pressed in.
func (b *Bot) tellBlocks(ctx context.Context, to reply, text string, blocks []slack.Block, replace bool) {
	msg := map[string]any{"response_type": "ephemeral", "replace_original": replace, "text": text}
	if len(blocks) > 0 {
		msg["blocks"] = blocks
	}
	if to.responseURL != "" {
		if err := b.api.Respond(ctx, to.responseURL, msg); err == nil {
			return
		}
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if to.channelID != "" {
		if err := b.api.PostEphemeral(ctx, to.channelID, to.userID, opts...); err == nil {
			return
		}
	}
	if to.userID != "" {
		if err := b.api.DM(ctx, to.userID, opts...); err != nil {
			b.log.Warn("could not answer privately", "user", to.userID, "error", err)
		}
	}
}

// ephemeral is an immediate private answer in an acknowledgement body.
func ephemeral(text string) map[string]any {
	return map[string]any{"response_type": "ephemeral", "text": text}
}

const busyText = "irbot is busy right now; nothing was done. Try again in a few seconds."

// temporalDownText answers a command while the workflow engine is down. The
// command is not queued, so the promise holds even if irbot restarts.
const temporalDownText = ":warning: irbot cannot reach its workflow engine (Temporal) right now, so this command was *not run* and nothing changed. Repeat it when irbot is back (usually within a minute); irbot will not retry it for you."

func errorText(err error) string {
	return fmt.Sprintf(":warning: %s", userMessage(err))
}
