package slackbot

import (
	"context"
	"strings"

	tpl "github.com/irbot/irbot/templates/slack"
)

// The /incident commands that settle a regulatory clock; clocks.go does the
// work (clockCommand).

// Usage of the clock commands, shown when one is malformed.
const (
	notifiedUsage  = "use `/incident notified REGIME/OBLIGATION [REFERENCE] [reason: WHY LATE]`, e.g. `/incident notified eu-gdpr/supervisory-authority SA-2026-123`; `/incident clocks` lists the clocks"
	notNotifyUsage = "use `/incident not-notify REGIME/OBLIGATION REASON`, e.g. `/incident not-notify us-ca/individuals Data encrypted at rest; keys not exposed`; `/incident clocks` lists the clocks"
)

var notifiedCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "notified", Usage: "/incident notified REGIME/OBLIGATION [REFERENCE] [reason: WHY LATE]", Help: "record that a notification was sent now (e.g. `/incident notified eu-gdpr/supervisory-authority SA-2026-123`); a late one needs the reason"},
	parse: func(in slashArgs) (Command, error) {
		if len(in.args) == 0 {
			return Command{}, parseErr("%s", notifiedUsage)
		}
		regime, obligation, err := parseClock(in.args[0], notifiedUsage)
		if err != nil {
			return Command{}, err
		}
		after := strings.TrimSpace(in.rest[len(in.args[0]):])
		ref, reason, hasReason := after, "", false
		if loc := reasonRE.FindStringIndex(after); loc != nil {
			ref, reason, hasReason = strings.TrimSpace(after[:loc[0]]), strings.TrimSpace(after[loc[1]:]), true
		}
		if hasReason && reason == "" {
			return Command{}, parseErr("`reason:` needs the reason for the delay after it; %s", notifiedUsage)
		}
		return Command{Name: "notified", Regime: regime, Obligation: obligation, Reference: ref, Text: reason}, nil
	},
	incident: channelIncident,
	run:      settleClock,
}

var notNotifyCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "not-notify", Usage: "/incident not-notify REGIME/OBLIGATION REASON", Help: "record a documented decision not to notify"},
	aliases:      []string{"not_notify", "notnotify"},
	parse: func(in slashArgs) (Command, error) {
		if len(in.args) == 0 {
			return Command{}, parseErr("%s", notNotifyUsage)
		}
		regime, obligation, err := parseClock(in.args[0], notNotifyUsage)
		if err != nil {
			return Command{}, err
		}
		reason := strings.TrimSpace(in.rest[len(in.args[0]):])
		if loc := reasonRE.FindStringIndex(reason); loc != nil && loc[0] == 0 {
			reason = strings.TrimSpace(reason[loc[1]:])
		}
		// How long the rationale must be is the workflow's rule
		// (workflows.CheckNotNotifyRationale); its refusal is shown as is.
		return Command{Name: "not_notify", Regime: regime, Obligation: obligation, Text: reason}, nil
	},
	incident: channelIncident,
	run:      settleClock,
}

func settleClock(ctx context.Context, b *Bot, r slashRun) {
	b.clockCommand(ctx, r.actor, r.id, r.c, r.requestID, r.to)
}
