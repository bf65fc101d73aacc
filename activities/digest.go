package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/workflows"
)

// OpenIncidents lists the live state of every open incident.
type OpenIncidents interface {
	OpenIncidents(ctx context.Context) ([]workflows.IncidentState, error)
}

// DigestSender delivers a digest (Slack channel, email). Nil: logged only.
type DigestSender interface {
	SendDigest(ctx context.Context, channel, text string, lines []workflows.DigestLine) error
}

// Digest is the daily digest of open clocks; its fields are its dependencies.
type Digest struct {
	Incidents OpenIncidents
	// Sender posts it in Slack (nil: Slack is off).
	Sender DigestSender
	// Mailer and People email it to everyone holding the compliance role
	// in the users file (nil: no email).
	Mailer Sender
	People People
	Logger *slog.Logger
	Now    func() time.Time
	// Checkpoint signs a checkpoint of every chain head and returns it as
	// text; the digest carries it, so a copy is held outside the database
	// (nil: no checkpoint).
	Checkpoint func(ctx context.Context) (string, error)
}

// Register registers the digest activity under its history name.
func (d *Digest) Register(w worker.Registry) {
	w.RegisterActivityWithOptions(d.SendDigest, activity.RegisterOptions{Name: workflows.DigestActivityName})
}

// SendDigest gathers every open clock of every open live incident, most
// urgent first, and sends the digest. Drills stay out of it.
func (d *Digest) SendDigest(ctx context.Context, req workflows.DigestRequest) (workflows.DigestResult, error) {
	states, err := d.Incidents.OpenIncidents(ctx)
	if err != nil {
		return workflows.DigestResult{}, fmt.Errorf("list open incidents: %w", err)
	}
	now := req.At
	if now.IsZero() {
		now = time.Now().UTC()
	}
	lines, res := DigestLines(states, now)
	text := RenderDigest(lines, res, now)
	if d.Checkpoint != nil {
		cp, err := d.Checkpoint(ctx)
		if err != nil {
			return workflows.DigestResult{}, fmt.Errorf("checkpoint: %w", err)
		}
		text += "\n" + cp
	}
	d.logger().Info("digest", "incidents", res.Incidents, "open", res.Open, "overdue", res.Overdue)
	// Both ways, whatever happens to the other: a retry after a failure
	// may repeat the one that worked (the email with the same Message-ID).
	var errs []error
	if d.Sender != nil {
		if err := d.Sender.SendDigest(ctx, req.Channel, text, lines); err != nil {
			errs = append(errs, fmt.Errorf("slack: %w", err))
		}
	}
	if err := d.email(ctx, req, text, res); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("send digest: %w", err)
	}
	return res, nil
}

func (d *Digest) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.Default()
	}
	return d.Logger
}

// email sends the digest to the compliance role's addresses. A permanent
// refusal (a bad address) is logged, not retried.
func (d *Digest) email(ctx context.Context, req workflows.DigestRequest, text string, res workflows.DigestResult) error {
	if d.Mailer == nil || d.People == nil {
		return nil
	}
	to := d.People.EmailsWithRole(policy.Compliance)
	if len(to) == 0 {
		return nil
	}
	at := req.At.UTC()
	msg := mail.Message{
		MessageID: d.Mailer.MessageID("digest", at.Format(time.RFC3339Nano)),
		To:        to,
		Subject:   fmt.Sprintf("irbot digest %s: %d open clocks, %d overdue", at.Format("2006-01-02"), res.Open, res.Overdue),
		Text:      text,
		Headers:   map[string]string{"X-Irbot-Digest": at.Format(time.RFC3339)},
	}
	if _, err := d.Mailer.Send(ctx, msg); err != nil {
		if mail.IsPermanent(err) {
			d.logger().Warn("digest email refused", "error", err)
			return nil
		}
		return fmt.Errorf("email: %w", err)
	}
	return nil
}

// DigestLines picks the open clocks of live incidents, overdue and soonest
// due first, then those still waiting for a trigger.
func DigestLines(states []workflows.IncidentState, now time.Time) ([]workflows.DigestLine, workflows.DigestResult) {
	res := workflows.DigestResult{At: now}
	var lines []workflows.DigestLine
	for _, st := range states {
		if st.Mode == workflows.ModeDrill || st.Status != workflows.StatusOpen {
			continue
		}
		res.Incidents++
		for _, c := range st.Clocks {
			if !c.Open() || c.Status == workflows.ClockNoDeadline {
				continue
			}
			l := workflows.DigestLine{IncidentID: st.ID, Title: st.Title, Mode: st.Mode, Regime: c.Regime, Obligation: c.Obligation,
				Recipient: c.Recipient, Status: c.Status, DueAt: c.DueAt, WaitingFor: c.WaitingFor}
			if c.DueAt != nil && now.After(*c.DueAt) {
				l.Status = workflows.ClockOverdue
				res.Overdue++
			}
			res.Open++
			lines = append(lines, l)
		}
	}
	slices.SortStableFunc(lines, func(a, b workflows.DigestLine) int {
		switch {
		case a.DueAt == nil && b.DueAt == nil:
			return strings.Compare(a.IncidentID, b.IncidentID)
		case a.DueAt == nil:
			return 1
		case b.DueAt == nil:
			return -1
		}
		return a.DueAt.Compare(*b.DueAt)
	})
	return lines, res
}

// RenderDigest is the digest as plain text (Slack mrkdwn-safe).
func RenderDigest(lines []workflows.DigestLine, res workflows.DigestResult, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Regulatory clocks at %s: %d open across %d incidents, %d overdue\n", now.UTC().Format("2006-01-02 15:04 UTC"), res.Open, res.Incidents, res.Overdue)
	if len(lines) == 0 {
		b.WriteString("No open clocks.\n")
	}
	for _, l := range lines {
		when := "waiting for " + l.WaitingFor
		if l.DueAt != nil {
			// As on the Slack card: "due in 1 d 6 h (UTC)", "overdue by 2 h (was due UTC)".
			was := ""
			if !l.DueAt.After(now) {
				was = "was due "
			}
			when = fmt.Sprintf("%s (%s%s)", deadline.Left(*l.DueAt, now), was, l.DueAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		fmt.Fprintf(&b, "• %s %s/%s → %s: %s — %s\n", l.IncidentID, l.Regime, l.Obligation, l.Recipient, when, l.Title)
	}
	return b.String()
}
