package slackbot

import (
	"context"

	tpl "github.com/irbot/irbot/templates/slack"
)

// The /incident commands for notices, facts and status updates. The forms
// open in the acknowledgement's time (the urgent pool): their trigger
// expires in about 3 s.

var noticesCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "notices", Usage: "/incident notices [ID]", Help: "the incident's notices, privately, with Approve, Reject and Send buttons"},
	parse:        optionalID("notices"),
	incident:     channelOrIDGiven,
	run: func(ctx context.Context, b *Bot, r slashRun) {
		b.listNotices(ctx, r.actor, r.id, r.to, "", false)
	},
}

var factsCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "facts", Usage: "/incident facts", Help: "a form with every fact notices draw on, their values and who set them"},
	parse:        noArgs("facts", "`/incident facts` takes nothing after it: it opens the facts form"),
	ack: openForm(func(ctx context.Context, b *Bot, r slashRun) {
		b.openFacts(ctx, r.cmd.TriggerID, b.actor(r.cmd.UserID, r.cmd.UserName), r.cmd.ChannelID, r.to)
	}),
}

var notifyCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "notify", Usage: "/incident notify [REGIME/OBLIGATION]", Help: "draft a notice for a clock in a form, prefilled from the facts, with a preview"},
	parse:        func(in slashArgs) (Command, error) { return parseNotify(in.args) },
	ack: openForm(func(ctx context.Context, b *Bot, r slashRun) {
		b.openNotify(ctx, r.cmd.TriggerID, b.actor(r.cmd.UserID, r.cmd.UserName), "", r.cmd.ChannelID, r.c.Regime, r.c.Obligation, r.to)
	}),
}

var updateCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "update", Usage: "/incident update", Help: "post a status update in the channel and the announcement's thread"},
	parse:        noArgs("update", "`/incident update` takes nothing after it: it opens the status update form"),
	ack: openForm(func(ctx context.Context, b *Bot, r slashRun) {
		b.openUpdate(ctx, r.cmd.TriggerID, b.actor(r.cmd.UserID, r.cmd.UserName), r.cmd.ChannelID, r.to)
	}),
}

// openForm acknowledges a command whose whole work is a form: the reads and
// the form go on the urgent pool before the trigger ID expires.
func openForm(open func(ctx context.Context, b *Bot, r slashRun)) func(b *Bot, r slashRun) (any, bool) {
	return func(b *Bot, r slashRun) (any, bool) {
		return b.urgently(r, func(ctx context.Context) { open(ctx, b, r) }), true
	}
}
