package slackbot

import (
	"context"

	tpl "github.com/irbot/irbot/templates/slack"
)

// /incident drill: its words are read by parseDrill (drill.go) and
// parseDrillSchedule (drillschedule.go), and run by drillCommand.

var drillCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "drill", Usage: "/incident drill list|start [SCENARIO [SPEED] [@people…]]|pause|resume|inject [EVENT]|skip [EVENT]|end|schedule SCENARIO \"CRON\" [TIME_ZONE]|schedule list|schedule delete ID", Help: "tabletop drills: list the scenarios, start one (a form when no scenario is given), steer it from its channel, schedule one on a cron expression (managers are reminded a day ahead)"},
	parse:        func(in slashArgs) (Command, error) { return parseDrill(in.args) },
	ack: func(b *Bot, r slashRun) (any, bool) {
		if r.c.Name == "drill_start" && r.c.Scenario == "" {
			return b.urgently(r, func(ctx context.Context) { b.onDrillStartForm(ctx, r.cmd, r.to) }), true
		}
		return nil, false
	},
	run: func(ctx context.Context, b *Bot, r slashRun) {
		b.drillCommand(ctx, r.cmd, r.c, r.to)
	},
}
