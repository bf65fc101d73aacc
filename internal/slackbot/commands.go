package slackbot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/apperr"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// slashCommand is one /incident subcommand: the words that call it, how
// help shows it, how its arguments are read, and what it does. Adding a
// command is adding one entry to slashCommands; /incident help and the
// README's command list are made from the table (commands_table_test.go).
type slashCommand struct {
	tpl.SlashCommand          // Name (the first word), Usage and Help, as /incident help shows them
	aliases          []string // other words that call it, not shown in help
	// parse reads the words after the subcommand; a refusal is a *ParseError.
	parse func(in slashArgs) (Command, error)
	// ack, when set, answers in Slack's acknowledgement (help) or opens a
	// form on the urgent pool before the trigger expires; done=false lets
	// the command go on to run.
	ack func(b *Bot, r slashRun) (answer any, done bool)
	// run does the command's work on a worker.
	run func(ctx context.Context, b *Bot, r slashRun)
	// incident says whether run needs an incident, and where it comes from.
	incident incidentFrom
	// offline commands are answered while the workflow engine is down.
	offline bool
}

// incidentFrom says where a command finds its incident.
type incidentFrom int

const (
	noIncident       incidentFrom = iota // the command is not about one incident
	channelIncident                      // the incident whose channel it runs in
	channelOrIDGiven                     // an ID given (Command.Incident), else the channel's
)

// slashRun is one slash command on its way: what Slack sent, what it was
// parsed to, and who asked. actor, requestID and id are set on the worker.
type slashRun struct {
	sc        *slashCommand
	cmd       slack.SlashCommand
	c         Command
	to        reply
	key       string // the dedupe key of the delivery
	actor     workflows.Actor
	requestID string
	id        string // the incident, for commands that need one
}

// slashCommands is every /incident subcommand, in the order help lists
// them. Each group's entries live beside the code they call
// (commands_*.go); init orders them here.
var slashCommands []*slashCommand

func init() {
	slashCommands = []*slashCommand{
		declareCommand, listCommand, statusCommand, clocksCommand,
		taskCommand, severityCommand, roleCommand, noteCommand, awareCommand,
		notifiedCommand, notNotifyCommand, noticesCommand, factsCommand, notifyCommand, updateCommand,
		repostCommand, closeCommand, drillCommand, helpCommand,
	}
}

// slashCommandNamed is the command a word (its name or an alias) calls, or nil.
func slashCommandNamed(word string) *slashCommand {
	for _, sc := range slashCommands {
		if sc.Name == word || slices.Contains(sc.aliases, word) {
			return sc
		}
	}
	return nil
}

// helpCommands is the table as /incident help shows it.
func helpCommands() []tpl.SlashCommand {
	out := make([]tpl.SlashCommand, 0, len(slashCommands))
	for _, sc := range slashCommands {
		out = append(out, sc.SlashCommand)
	}
	return out
}

// onCommand acknowledges a slash command: it answers what needs no I/O
// (help, a malformed command) in the acknowledgement itself and queues the
// rest. It never blocks.
func (b *Bot) onCommand(cmd slack.SlashCommand) any {
	key := "cmd:" + cmd.TriggerID
	if cmd.TriggerID != "" && !b.seen.first(key) {
		return nil // a replay: the first delivery answers
	}
	sc, c, err := parseSlash(cmd.Text, b.now())
	if pe, ok := err.(*ParseError); ok && pe.Short {
		return ephemeral(pe.Msg)
	}
	if err != nil {
		return map[string]any{"response_type": "ephemeral", "text": err.Error() + "\n\n" + tpl.HelpText(helpCommands()), "blocks": tpl.HelpBlocks(helpCommands(), err.Error())}
	}
	r := slashRun{sc: sc, cmd: cmd, c: c, key: key, to: reply{responseURL: cmd.ResponseURL, channelID: cmd.ChannelID, userID: cmd.UserID}}
	if !sc.offline && b.svc.TemporalDown() {
		// Every other command needs the workflow engine: say so now rather
		// than after a timeout, and run nothing.
		b.seen.forget(key)
		return ephemeral(temporalDownText)
	}
	if sc.ack != nil {
		if answer, done := sc.ack(b, r); done {
			return answer
		}
	}
	return b.queueCommand(r)
}

// queueCommand runs r on a worker. When the workers are busy it says so and
// forgets the delivery, so that Slack's retry runs it.
func (b *Bot) queueCommand(r slashRun) any {
	if !b.work.submit(func(ctx context.Context) { b.runCommand(ctx, r) }) {
		b.seen.forget(r.key)
		return ephemeral(busyText)
	}
	return nil
}

// urgently runs f on the urgent pool: a form must open within about 3 s of
// the trigger, never behind slow work.
func (b *Bot) urgently(r slashRun, f func(ctx context.Context)) any {
	if !b.urgent.submit(f) {
		b.seen.forget(r.key)
		return ephemeral(busyText)
	}
	return nil
}

func (b *Bot) openView(ctx context.Context, triggerID string, view slack.ModalViewRequest, to reply) {
	if err := b.api.OpenView(ctx, triggerID, view); err != nil {
		b.log.Warn("slack views.open failed", "code", ErrCode(err))
		b.tell(ctx, to, "The form could not open (Slack said "+ErrCode(err)+"). Try again, or declare directly with `/incident declare TITLE`.")
	}
}

// runCommand does a command's work on a worker, once it has found the
// incident the command is about.
func (b *Bot) runCommand(ctx context.Context, r slashRun) {
	r.actor = b.actor(r.cmd.UserID, r.cmd.UserName)
	r.requestID = "slack:cmd:" + r.cmd.TriggerID
	if r.sc.incident != noIncident {
		id := r.c.Incident
		if id == "" {
			var err error
			if id, err = b.incidentFor(ctx, r.cmd.ChannelID); err != nil {
				b.tell(ctx, r.to, errorText(b.logged(err, "channel lookup")))
				return
			}
		}
		if id == "" {
			name := strings.ReplaceAll(r.c.Name, "_", " ")
			if r.c.Name == "not_notify" {
				name = "not-notify"
			}
			b.tell(ctx, r.to, fmt.Sprintf("This is not an incident channel. Run `/incident %s` in the incident's channel%s.",
				name, map[bool]string{true: ", or give its ID", false: ""}[r.sc.incident == channelOrIDGiven]))
			return
		}
		r.id = id
	}
	r.sc.run(ctx, b, r)
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
