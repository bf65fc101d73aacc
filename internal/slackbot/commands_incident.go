package slackbot

import (
	"context"
	"fmt"
	"strings"

	"github.com/irbot/irbot/internal/incident"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// The /incident commands that declare, list and read incidents, and help.

var declareCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "declare", Usage: "/incident declare [title]", Help: "declare an incident (a form opens when you give no title)"},
	aliases:      []string{"new"},
	parse: func(in slashArgs) (Command, error) {
		return Command{Name: "declare", Title: in.rest}, nil
	},
	ack: func(b *Bot, r slashRun) (any, bool) {
		if r.c.Title == "" {
			// The trigger ID expires in about 3 s: open the form now.
			view := tpl.DeclareModal(b.now(), b.regimes, r.cmd.ChannelID)
			return b.urgently(r, func(ctx context.Context) { b.openView(ctx, r.cmd.TriggerID, view, r.to) }), true
		}
		if busy := b.queueCommand(r); busy != nil {
			return busy, true
		}
		return ephemeral(fmt.Sprintf("Declaring “%s”…", tpl.Escape(r.c.Title))), true
	},
	run: func(ctx context.Context, b *Bot, r slashRun) {
		st, err := b.svc.Declare(ctx, r.actor, incident.DeclareRequest{Title: r.c.Title, RequestKey: r.requestID})
		if err != nil {
			b.tell(ctx, r.to, errorText(b.logged(err, "declare")))
			return
		}
		b.tell(ctx, r.to, declaredText(st))
	},
}

var listCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "list", Usage: "/incident list", Help: "the open incidents, privately, live first, each with its nearest deadline"},
	aliases:      []string{"ls"},
	parse:        noArgs("list", "`/incident list` takes nothing after it"),
	run:          func(ctx context.Context, b *Bot, r slashRun) { b.listOpen(ctx, r.actor, r.to) },
	offline:      true, // it reads the store
}

var statusCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "status", Usage: "/incident status [ID]", Help: "the incident's state, privately"},
	parse:        optionalID("status"),
	incident:     channelOrIDGiven,
	run: func(ctx context.Context, b *Bot, r slashRun) {
		if st, ch, ok := b.readIncident(ctx, r); ok {
			b.tell(ctx, r.to, tpl.StatusText(*st, ch, b.now()))
		}
	},
}

var clocksCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "clocks", Usage: "/incident clocks [ID]", Help: "regulatory clocks with time left"},
	parse:        optionalID("clocks"),
	incident:     channelOrIDGiven,
	run: func(ctx context.Context, b *Bot, r slashRun) {
		if st, _, ok := b.readIncident(ctx, r); ok {
			blocks, text := tpl.ClocksPage(*st, b.now(), 0)
			b.tellBlocks(ctx, r.to, text, blocks, false)
		}
	},
}

var repostCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "repost", Usage: "/incident repost", Help: "post the card again, after irbot paused publishing here because Slack refused (channel archived, irbot removed)"},
	parse:        func(slashArgs) (Command, error) { return Command{Name: "repost"}, nil },
	incident:     channelIncident,
	run: func(ctx context.Context, b *Bot, r slashRun) {
		if err := b.resumeIncident(ctx, r.actor, r.id, "/incident repost"); err != nil {
			b.tell(ctx, r.to, errorText(b.logged(err, r.c.Name)))
			return
		}
		b.tell(ctx, r.to, "irbot will post the incident's card here again, with its current state.")
	},
}

var helpCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "help", Usage: "/incident help", Help: "this text"},
	aliases:      []string{"-h", "--help"},
	parse:        func(slashArgs) (Command, error) { return Command{Name: "help"}, nil },
	ack: func(b *Bot, r slashRun) (any, bool) {
		return ephemeral(tpl.HelpText(helpCommands())), true
	},
	offline: true,
}

// readIncident reads the command's incident as the person who asked, and
// its channel; a refusal is told to them.
func (b *Bot) readIncident(ctx context.Context, r slashRun) (st *workflows.IncidentState, channelID string, ok bool) {
	st, err := b.svc.Get(ctx, r.actor, r.id)
	if err != nil {
		b.tell(ctx, r.to, errorText(b.logged(err, r.c.Name)))
		return nil, "", false
	}
	if st.Slack != nil {
		channelID = st.Slack.ChannelID
	}
	return st, channelID, true
}

// noArgs parses a command that takes nothing after it.
func noArgs(name, refusal string) func(slashArgs) (Command, error) {
	return func(in slashArgs) (Command, error) {
		if len(in.args) > 0 {
			return Command{}, parseErr("%s", refusal)
		}
		return Command{Name: name}, nil
	}
}

// optionalID parses a command that takes at most an incident ID.
func optionalID(name string) func(slashArgs) (Command, error) {
	return func(in slashArgs) (Command, error) {
		c := Command{Name: name}
		if len(in.args) > 1 {
			return c, parseErr("`/incident %s` takes at most an incident ID, e.g. `/incident %s INC-2026-0001`", name, name)
		}
		if len(in.args) == 1 {
			if !idRE.MatchString(in.args[0]) {
				return c, parseErr("%q is not an incident ID (like INC-2026-0001)", in.args[0])
			}
			c.Incident = strings.ToUpper(in.args[0])
		}
		return c, nil
	}
}
