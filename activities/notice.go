package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

// Sender delivers one email (internal/mail.Mailer).
type Sender interface {
	Send(ctx context.Context, msg mail.Message) (mail.Receipt, error)
	MessageID(keyParts ...string) string
}

var _ Sender = (*mail.Mailer)(nil)

// DrillHeader marks every message a drill sends.
const DrillHeader = "X-Irbot-Drill"

// drillBanner opens every drill message's text.
const drillBanner = "*** THIS IS A DRILL (an irbot exercise). No real incident, no real notice. ***\n\n"

func (a *Activities) registerNotices(w worker.Registry) {
	w.RegisterActivityWithOptions(a.SendNotice, activity.RegisterOptions{Name: workflows.SendNoticeActivityName})
	w.RegisterActivityWithOptions(a.NoticeEvent, activity.RegisterOptions{Name: workflows.NoticeEventActivityName})
	w.RegisterActivityWithOptions(a.CampaignBatch, activity.RegisterOptions{Name: workflows.CampaignBatchActivityName})
	w.RegisterActivityWithOptions(a.CampaignCounts, activity.RegisterOptions{Name: workflows.CampaignCountsActivityName})
}

func (a *Activities) messageID(parts ...string) string {
	if a.Mailer != nil {
		return a.Mailer.MessageID(parts...)
	}
	return mail.MessageID("", parts...)
}

// recipientsKey is a notice's recipients in a canonical order for its
// Message-ID key.
func recipientsKey(to []string) string {
	keys := make([]string, 0, len(to))
	for _, t := range to {
		keys = append(keys, strings.ToLower(strings.TrimSpace(t)))
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// NoticeMessageID is the Message-ID of one revision of a notice: derived from
// its business key (incident, obligation, notice, recipients, revision), so
// every attempt, and a retry after any crash, carries the same id; and from
// the installation ID, so two installations never send one id for
// different messages. The workflow passes the first attempt's id to the
// later ones, so ids of notices already in flight do not change.
func (a *Activities) NoticeMessageID(ctx context.Context, in workflows.SendNoticeInput) (string, error) {
	parts := []string{in.IncidentID, in.Regime + "/" + in.Obligation, in.NoticeID, recipientsKey(in.To), fmt.Sprintf("rev-%d", in.Revision)}
	if a.Notices != nil {
		inst, err := a.Notices.InstallationID(ctx)
		if err != nil {
			return "", err
		}
		parts = append(parts, "installation-"+inst)
	}
	return a.messageID(parts...), nil
}

// drillMessage marks a drill message and sends it to the sink instead of its
// recipients; ok is false when there is no sink (nothing is sent at all).
func (a *Activities) drillMessage(msg mail.Message) (mail.Message, bool) {
	if !strings.HasPrefix(msg.Subject, "[DRILL]") {
		msg.Subject = "[DRILL] " + msg.Subject
	}
	h := map[string]string{}
	for k, v := range msg.Headers {
		h[k] = v
	}
	h[DrillHeader] = "true"
	msg.Headers = h
	if msg.Text != "" {
		msg.Text = drillBanner + msg.Text
	}
	if msg.HTML != "" {
		msg.HTML = "<p><strong>THIS IS A DRILL (an irbot exercise). No real incident, no real notice.</strong></p>\n" + msg.HTML
	}
	if a.DrillSink == "" {
		msg.To = nil
		return msg, false
	}
	msg.To = []string{a.DrillSink}
	return msg, true
}

// SendNotice makes one SMTP attempt for a notice. SMTP failures are returned
// as outcomes (temporary or permanent, with reply code and stage), never with
// the body; only a broken input is an activity error.
func (a *Activities) SendNotice(ctx context.Context, in workflows.SendNoticeInput) (workflows.SendNoticeResult, error) {
	defer keepAlive(ctx, nil)()
	id := in.MessageID
	if id == "" {
		var err error
		if id, err = a.NoticeMessageID(ctx, in); err != nil {
			return workflows.SendNoticeResult{}, fmt.Errorf("notice %s message id: %w", in.NoticeID, err)
		}
	}
	res := workflows.SendNoticeResult{MessageID: id, To: in.To}
	msg := mail.Message{MessageID: id, To: in.To, Subject: in.Subject, Text: in.Text, HTML: in.HTML, Headers: in.Headers}
	if a.Notices != nil {
		contentHash := templates.ContentHash(in.Subject, in.Text, in.HTML)
		msg.Rendered = func(raw []byte) error {
			res.RawSHA256 = store.RawSHA256(raw)
			return a.Notices.PutNoticeMessage(ctx, in.IncidentID, in.NoticeID, contentHash,
				store.NoticeAttempt{N: in.Attempt, Revision: in.Revision, MessageID: id}, raw)
		}
		defer func() {
			if res.RawSHA256 == "" || res.Attempt.Outcome == "" {
				return
			}
			at := res.Attempt.At
			if err := a.Notices.RecordNoticeAttempt(ctx, in.IncidentID, in.NoticeID, store.NoticeAttempt{N: in.Attempt, At: &at,
				Outcome: res.Attempt.Outcome, Code: res.Attempt.Code, Stage: res.Attempt.Stage, Uncertain: res.Attempt.Uncertain,
				Error: res.Attempt.Error, Server: res.Attempt.Server}); err != nil {
				// The timeline's notice.attempt event still records the outcome.
				a.logger().Warn("notice attempt outcome not kept beside its message", "incident", in.IncidentID, "notice", in.NoticeID, "attempt", in.Attempt, "err", err)
			}
		}()
	}
	if in.Mode == workflows.ModeDrill {
		var ok bool
		msg, ok = a.drillMessage(msg)
		res.To = msg.To
		if !ok {
			a.logger().Info("drill notice recorded, not sent (IRBOT_DRILL_MAIL_SINK unset)", "incident", in.IncidentID, "notice", in.NoticeID)
			res.Attempt = workflows.DeliveryAttempt{N: in.Attempt, At: time.Now().UTC(), Outcome: workflows.DeliveryRecorded}
			return res, nil
		}
	}
	if a.Mailer == nil {
		res.Attempt = workflows.DeliveryAttempt{N: in.Attempt, At: time.Now().UTC(), Outcome: workflows.DeliveryPermanent,
			Error: "email is off: set SMTP_ADDR and SMTP_FROM, or send the notice another way and record it"}
		return res, nil
	}
	receipt, err := a.Mailer.Send(ctx, msg)
	res.Attempt = attemptOf(in.Attempt, receipt, err)
	a.logger().Info("notice attempt", "incident", in.IncidentID, "notice", in.NoticeID, "attempt", in.Attempt,
		"outcome", res.Attempt.Outcome, "code", res.Attempt.Code, "stage", res.Attempt.Stage)
	return res, nil
}

func attemptOf(n int, receipt mail.Receipt, err error) workflows.DeliveryAttempt {
	if err == nil {
		at := receipt.At
		if at.IsZero() {
			at = time.Now()
		}
		return workflows.DeliveryAttempt{N: n, At: at.UTC(), Outcome: workflows.DeliveryDelivered, Code: receipt.Code, Stage: mail.StageData, Server: receipt.Server}
	}
	att := workflows.DeliveryAttempt{N: n, At: time.Now().UTC(), Outcome: workflows.DeliveryTemporary, Error: err.Error()}
	var me *mail.Error
	if errors.As(err, &me) {
		att.Code, att.Stage, att.Uncertain = me.Code, me.Stage, me.Uncertain
		if !me.Temporary {
			att.Outcome = workflows.DeliveryPermanent
		}
	}
	return att
}

// NoticeEvent appends a notice's timeline entry. The key (chosen by the
// workflow) makes a retry a no-op.
func (a *Activities) NoticeEvent(ctx context.Context, e workflows.EventRecord) error {
	_, _, err := a.Store.Append(ctx, store.Event{IncidentID: e.IncidentID, Key: e.Key, At: e.At, Kind: e.Kind, Actor: e.Actor, Data: e.Data})
	if errors.Is(err, store.ErrKeyConflict) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "KeyConflict", err)
	}
	if err != nil {
		return fmt.Errorf("append %s to %s: %w", e.Key, e.IncidentID, err)
	}
	return nil
}

// CampaignCounts counts a campaign's people; resetFailed sends the failed
// ones again.
func (a *Activities) CampaignCounts(ctx context.Context, campaign string, resetFailed bool) (workflows.CampaignProgress, error) {
	if a.Campaigns == nil {
		return workflows.CampaignProgress{}, temporal.NewNonRetryableApplicationError("no campaign store", "Config", nil)
	}
	c, err := a.Campaigns.CampaignCounts(ctx, campaign, resetFailed)
	if err != nil {
		return workflows.CampaignProgress{}, err
	}
	return workflows.CampaignProgress{Campaign: campaign, Total: c.Total, Sent: c.Sent, Failed: c.Failed, Pending: c.Pending}, nil
}

// CampaignBatch sends one batch of a campaign: the next pending people in
// row order, each marked "sending" (with its Message-ID) before the SMTP
// session and "sent" or "failed" after, so a batch retried after any crash
// skips whoever is done. A worker shutting down ends the batch early between
// two people; a session in progress is finished, not cut, so its outcome is
// recorded.
func (a *Activities) CampaignBatch(ctx context.Context, in workflows.CampaignBatchInput) (workflows.CampaignProgress, error) {
	if a.Campaigns == nil {
		return workflows.CampaignProgress{}, temporal.NewNonRetryableApplicationError("no campaign store", "Config", nil)
	}
	people, err := a.Campaigns.NextCampaignRecipients(ctx, in.Campaign, in.BatchSize)
	if err != nil {
		return workflows.CampaignProgress{}, err
	}
	var done atomic.Int64
	defer keepAlive(ctx, func() any { return int(done.Load()) })()
	stop := activity.GetWorkerStopChannel(ctx)
	maxAttempts := in.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = workflows.DefaultCampaignMaxAttempts
	}
people:
	for i, p := range people {
		select {
		case <-stop:
			break people
		case <-ctx.Done():
			return workflows.CampaignProgress{}, ctx.Err()
		default:
		}
		done.Store(int64(i))
		activity.RecordHeartbeat(ctx, i)
		if err := a.sendOne(context.WithoutCancel(ctx), in, p, maxAttempts); err != nil {
			return workflows.CampaignProgress{}, err
		}
	}
	return a.CampaignCounts(ctx, in.Campaign, false)
}

func (a *Activities) sendOne(ctx context.Context, in workflows.CampaignBatchInput, p store.CampaignRecipient, maxAttempts int) error {
	id := p.MessageID
	if id == "" {
		// From the person's key in the store, not the address: with
		// encryption it is a keyed digest, so the id (kept in clear, and
		// sent) cannot be recomputed from a guessed address.
		who := p.Key
		if who == "" {
			who = strings.ToLower(p.Email)
		}
		id = a.messageID(in.IncidentID, in.Regime+"/"+in.Obligation, in.NoticeID, "campaign", in.Campaign, who, fmt.Sprintf("rev-%d", in.Revision))
	}
	d := in.Notice
	d.Name = p.Name
	r, err := templates.RenderNotice(d)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "Template", err)
	}
	msg := mail.Message{MessageID: id, To: []string{p.Email}, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Headers: map[string]string{"X-Irbot-Notice": in.IncidentID + "/" + in.NoticeID, "X-Irbot-Campaign": in.Campaign}}
	if d.Language != "" {
		msg.Headers["Content-Language"] = d.Language
	}
	if err := a.Campaigns.MarkCampaignSending(ctx, in.Campaign, p.Email, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil // another batch got there first
		}
		return err
	}
	var receipt mail.Receipt
	var sendErr error
	if in.Mode == workflows.ModeDrill {
		var ok bool
		msg, ok = a.drillMessage(msg)
		if !ok {
			now := time.Now().UTC()
			return a.Campaigns.MarkCampaignResult(ctx, in.Campaign, p.Email, store.RecipientSent, 0, "drill: recorded, not sent", &now)
		}
	}
	if a.Mailer == nil {
		sendErr = &mail.Error{Stage: mail.StageDial, Err: errors.New("email is off: set SMTP_ADDR")}
	} else {
		receipt, sendErr = a.Mailer.Send(ctx, msg)
	}
	att := attemptOf(p.Attempts+1, receipt, sendErr)
	switch {
	case att.Outcome == workflows.DeliveryDelivered:
		at := att.At
		return a.Campaigns.MarkCampaignResult(ctx, in.Campaign, p.Email, store.RecipientSent, att.Code, "", &at)
	case att.Outcome == workflows.DeliveryPermanent || p.Attempts+1 >= maxAttempts:
		return a.Campaigns.MarkCampaignResult(ctx, in.Campaign, p.Email, store.RecipientFailed, att.Code, att.Error, nil)
	default:
		return a.Campaigns.MarkCampaignResult(ctx, in.Campaign, p.Email, store.RecipientPending, att.Code, att.Error, nil)
	}
}

// HeartbeatEvery is how often a sending activity tells Temporal it is alive,
// also while an SMTP server stalls; the workflows' HeartbeatTimeout is a few
// of these, so a worker that dies mid-send is noticed within seconds.
const HeartbeatEvery = 2 * time.Second

// recordHeartbeat is activity.RecordHeartbeat; tests count the calls, which
// the SDK's test environment throttles away.
var recordHeartbeat = activity.RecordHeartbeat

// keepAlive heartbeats every HeartbeatEvery until the returned stop is
// called; details, when given, supplies the heartbeat's progress.
func keepAlive(ctx context.Context, details func() any) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if details != nil {
					recordHeartbeat(ctx, details())
				} else {
					recordHeartbeat(ctx)
				}
			}
		}
	}()
	return func() { close(done) }
}
