package slackbot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/incident"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// onCommand acknowledges a slash command: it answers what needs no I/O
// (help, a malformed command) in the acknowledgement itself and queues the
// rest. It never blocks.
func (b *Bot) onCommand(cmd slack.SlashCommand) any {
	key := "cmd:" + cmd.TriggerID
	if cmd.TriggerID != "" && !b.seen.first(key) {
		return nil // a replay: the first delivery answers
	}
	c, err := ParseCommand(cmd.Text, b.now())
	if pe, ok := err.(*ParseError); ok && pe.Short {
		return ephemeral(pe.Msg)
	}
	if err != nil {
		return map[string]any{"response_type": "ephemeral", "text": err.Error() + "\n\n" + tpl.HelpText(), "blocks": tpl.HelpBlocks(err.Error())}
	}
	to := reply{responseURL: cmd.ResponseURL, channelID: cmd.ChannelID, userID: cmd.UserID}
	if c.Name != "help" && c.Name != "list" && b.svc.TemporalDown() {
		// Every other command needs the workflow engine: say so now rather
		// than after a timeout, and run nothing.
		b.seen.forget(key)
		return ephemeral(temporalDownText)
	}
	switch c.Name {
	case "help":
		return ephemeral(tpl.HelpText())
	case "facts", "notify", "update":
		// Modals: the reads and the form go on the urgent pool before the
		// trigger ID expires.
		actor := b.actor(cmd.UserID, cmd.UserName)
		if !b.urgent.submit(func(ctx context.Context) {
			switch c.Name {
			case "facts":
				b.openFacts(ctx, cmd.TriggerID, actor, cmd.ChannelID, to)
				return
			case "update":
				b.openUpdate(ctx, cmd.TriggerID, actor, cmd.ChannelID, to)
				return
			}
			b.openNotify(ctx, cmd.TriggerID, actor, "", cmd.ChannelID, c.Regime, c.Obligation, to)
		}) {
			b.seen.forget(key)
			return ephemeral(busyText)
		}
		return nil
	case "drill_start":
		if c.Scenario == "" {
			if !b.urgent.submit(func(ctx context.Context) { b.onDrillStartForm(ctx, cmd, to) }) {
				b.seen.forget(key)
				return ephemeral(busyText)
			}
			return nil
		}
	case "declare":
		if c.Title == "" {
			// The trigger ID expires in about 3 s: open the form now, on
			// the urgent pool, never behind slow work.
			view := tpl.DeclareModal(b.now(), b.regimes, cmd.ChannelID)
			if !b.urgent.submit(func(ctx context.Context) { b.openView(ctx, cmd.TriggerID, view, to) }) {
				b.seen.forget(key)
				return ephemeral(busyText)
			}
			return nil
		}
	}
	if !b.work.submit(func(ctx context.Context) { b.runCommand(ctx, cmd, c, to) }) {
		b.seen.forget(key)
		return ephemeral(busyText)
	}
	if c.Name == "declare" {
		return ephemeral(fmt.Sprintf("Declaring “%s”…", tpl.Escape(c.Title)))
	}
	return nil
}

func (b *Bot) openView(ctx context.Context, triggerID string, view slack.ModalViewRequest, to reply) {
	if err := b.api.OpenView(ctx, triggerID, view); err != nil {
		b.log.Warn("slack views.open failed", "code", ErrCode(err))
		b.tell(ctx, to, "The form could not open (Slack said "+ErrCode(err)+"). Try again, or declare directly with `/incident declare TITLE`.")
	}
}

// runCommand does a command's work on a worker.
func (b *Bot) runCommand(ctx context.Context, cmd slack.SlashCommand, c Command, to reply) {
	actor := b.actor(cmd.UserID, cmd.UserName)
	requestID := "slack:cmd:" + cmd.TriggerID
	if c.Name == "declare" {
		st, err := b.svc.Declare(ctx, actor, incident.DeclareRequest{Title: c.Title, RequestKey: requestID})
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "declare")))
			return
		}
		b.tell(ctx, to, declaredText(st))
		return
	}
	if c.Name == "list" {
		b.listOpen(ctx, actor, to)
		return
	}
	if b.drillCommand(ctx, cmd, c, to) {
		return
	}
	id := c.Incident
	if id == "" {
		var err error
		if id, err = b.incidentFor(ctx, cmd.ChannelID); err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "channel lookup")))
			return
		}
	}
	if id == "" {
		name := strings.ReplaceAll(c.Name, "_", " ")
		if c.Name == "not_notify" {
			name = "not-notify"
		}
		b.tell(ctx, to, fmt.Sprintf("This is not an incident channel. Run `/incident %s` in the incident's channel%s.",
			name, map[bool]string{true: ", or give its ID", false: ""}[c.Name == "status" || c.Name == "clocks" || c.Name == "notices"]))
		return
	}
	switch c.Name {
	case "notices":
		b.listNotices(ctx, actor, id, to, "", false)
		return
	case "notified", "not_notify":
		b.clockCommand(ctx, actor, id, c, requestID, to)
		return
	case "repost":
		if err := b.resumeIncident(ctx, actor, id, "/incident repost"); err != nil {
			b.tell(ctx, to, errorText(b.logged(err, c.Name)))
			return
		}
		b.tell(ctx, to, "irbot will post the incident's card here again, with its current state.")
		return
	case "status", "clocks":
		st, err := b.svc.Get(ctx, actor, id)
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, c.Name)))
			return
		}
		ch := ""
		if st.Slack != nil {
			ch = st.Slack.ChannelID
		}
		if c.Name == "status" {
			b.tell(ctx, to, tpl.StatusText(*st, ch, b.now()))
		} else {
			blocks, text := tpl.ClocksPage(*st, b.now(), 0)
			b.tellBlocks(ctx, to, text, blocks, false)
		}
		return
	}
	a, confirm := commandAction(c, cmd.UserID)
	a.RequestID, a.Source = requestID, "slack"
	if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
		b.refused(ctx, to, id, actor, a, err)
		return
	}
	b.tell(ctx, to, confirm)
}

// commandAction maps a parsed command to the service action and the private
// confirmation the person gets.
func commandAction(c Command, userID string) (workflows.Action, string) {
	switch c.Name {
	case "task_done":
		return workflows.Action{Type: workflows.ActionCompleteTask, Task: c.Task}, "Task `" + c.Task + "` is done."
	case "severity":
		return workflows.Action{Type: workflows.ActionSetSeverity, Severity: c.Severity}, "Severity is now " + c.Severity + "."
	case "role":
		user := c.User
		if user == "me" {
			user = userID
		}
		return workflows.Action{Type: workflows.ActionAssignRole, Role: c.Role, User: user}, tpl.Mention(user) + " is now " + c.Role + "."
	case "note":
		return workflows.Action{Type: workflows.ActionNote, Text: c.Text}, "Note added to the timeline."
	case "aware":
		v := c.AwareAt.UTC().Format("2006-01-02T15:04:05Z07:00")
		return workflows.Action{Type: workflows.ActionSetFact, Name: "aware_at", Value: jsonString(v)},
			"Awareness recorded at " + tpl.UTC(c.AwareAt) + "; the clocks count from it."
	case "close":
		return workflows.Action{Type: workflows.ActionClose, Reason: c.Text}, "Incident closed."
	}
	return workflows.Action{Type: c.Name}, "Done."
}

func declaredText(st *workflows.IncidentState) string {
	where := "Its private channel is being created; you will be invited."
	if st.PublicChannel {
		where = "Its channel is being created; you will be invited."
	}
	if st.Slack != nil && st.Slack.ChannelID != "" {
		where = "Channel: <#" + st.Slack.ChannelID + ">."
	}
	mode := ""
	if st.Mode == workflows.ModeDrill {
		mode = " (drill)"
	}
	return fmt.Sprintf(":rotating_light: Declared *%s*%s: %s. %s", st.ID, mode, tpl.Escape(st.Title), where)
}

// refused tells the person privately why an action was refused and, when it
// was the rules that refused it (not an outage), records it on the timeline.
func (b *Bot) refused(ctx context.Context, to reply, incidentID string, actor workflows.Actor, a workflows.Action, err error) {
	err = b.logged(err, a.Type)
	b.tell(ctx, to, errorText(err))
	if !ruleRefusal(err) {
		return
	}
	b.recordDenial(ctx, incidentID, actor, a, apperr.MessageOf(err))
}

// ruleRefusal reports whether err is the rules refusing (a role, a
// validator), as opposed to an outage: only those go on the timeline.
func ruleRefusal(err error) bool {
	switch apperr.CodeOf(err) {
	case apperr.Forbidden, apperr.Invalid, apperr.Unauthorized:
		return true
	}
	return false
}

// recordDenial puts a refused action on the timeline through the service
// (one action.denied event).
func (b *Bot) recordDenial(ctx context.Context, incidentID string, actor workflows.Actor, a workflows.Action, reason string) {
	if rerr := b.svc.RecordDenial(ctx, incidentID, actor, a, reason); rerr != nil {
		b.log.Warn("could not record a refused action", "incident", incidentID, "error", rerr)
	}
}

// userMessage is what a person sees for err: a domain error's own message,
// or a short reference to the full error in the log.
func userMessage(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	if apperr.CodeOf(err) == apperr.Unavailable {
		return apperr.MessageOf(err)
	}
	var ref refError
	if errors.As(err, &ref) {
		return "something went wrong on irbot's side (reference " + ref.ref + "); nothing may have changed, check the incident before retrying"
	}
	return "something went wrong on irbot's side; check the incident before retrying"
}

type refError struct {
	ref string
	err error
}

func (e refError) Error() string { return e.err.Error() }
func (e refError) Unwrap() error { return e.err }

// logged logs an internal error in full with a reference the person is
// shown; domain errors pass through unlogged.
func (b *Bot) logged(err error, what string) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	ref := hex.EncodeToString(buf)
	b.log.Error("slack request failed", "what", what, "ref", ref, "error", err)
	return refError{ref: ref, err: err}
}
