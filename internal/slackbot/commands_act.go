package slackbot

import (
	"context"
	"slices"
	"strings"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// The /incident commands that are one incident action each: the entry's
// action says which, and what the person is told when it is done.

var taskCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "task", Usage: "/incident task done ID", Help: "complete a task"},
	parse: func(in slashArgs) (Command, error) {
		if len(in.args) != 2 || strings.ToLower(in.args[0]) != "done" {
			return Command{}, parseErr("use `/incident task done ID`, e.g. `/incident task done isolate`")
		}
		return Command{Name: "task_done", Task: in.args[1]}, nil
	},
	incident: channelIncident,
	run: actCommand(func(c Command, _ string) (workflows.Action, string) {
		return workflows.Action{Type: workflows.ActionCompleteTask, Task: c.Task}, "Task `" + c.Task + "` is done."
	}),
}

var severityCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "severity", Usage: "/incident severity critical|high|medium|low", Help: "change severity"},
	aliases:      []string{"sev"},
	parse: func(in slashArgs) (Command, error) {
		if len(in.args) != 1 || !slices.Contains(workflows.Severities, strings.ToLower(in.args[0])) {
			return Command{}, parseErr("use `/incident severity S` with S one of %s", strings.Join(workflows.Severities, ", "))
		}
		return Command{Name: "severity", Severity: strings.ToLower(in.args[0])}, nil
	},
	incident: channelIncident,
	run: actCommand(func(c Command, _ string) (workflows.Action, string) {
		return workflows.Action{Type: workflows.ActionSetSeverity, Severity: c.Severity}, "Severity is now " + c.Severity + "."
	}),
}

var roleNames = []string{"responder", "commander", "dpo", "legal", "manager", "compliance", "admin"}

var roleCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "role", Usage: "/incident role ROLE @user", Help: "give someone a role (`me` for yourself)"},
	parse: func(in slashArgs) (Command, error) {
		if len(in.args) != 2 {
			return Command{}, parseErr("use `/incident role ROLE @user` (or `me`), ROLE one of %s", strings.Join(roleNames, ", "))
		}
		role := strings.ToLower(in.args[0])
		if !slices.Contains(roleNames, role) {
			return Command{}, parseErr("unknown role %q; roles are %s", in.args[0], strings.Join(roleNames, ", "))
		}
		user := in.args[1]
		switch {
		case strings.EqualFold(user, "me"):
			user = "me"
		case mentionRE.MatchString(user):
			user = mentionRE.FindStringSubmatch(user)[1]
		case userIDRE.MatchString(user):
			user = userIDRE.FindStringSubmatch(user)[1]
		default:
			return Command{}, parseErr("%q is not a Slack user: mention them (@name) or write `me`", user)
		}
		return Command{Name: "role", Role: role, User: user}, nil
	},
	incident: channelIncident,
	run: actCommand(func(c Command, userID string) (workflows.Action, string) {
		user := c.User
		if user == "me" {
			user = userID
		}
		return workflows.Action{Type: workflows.ActionAssignRole, Role: c.Role, User: user}, tpl.Mention(user) + " is now " + c.Role + "."
	}),
}

var noteCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "note", Usage: "/incident note TEXT", Help: "add a note to the timeline"},
	parse: func(in slashArgs) (Command, error) {
		if in.rest == "" {
			return Command{}, parseErr("use `/incident note TEXT`")
		}
		return Command{Name: "note", Text: in.rest}, nil
	},
	incident: channelIncident,
	run: actCommand(func(c Command, _ string) (workflows.Action, string) {
		return workflows.Action{Type: workflows.ActionNote, Text: c.Text}, "Note added to the timeline."
	}),
}

var awareCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "aware", Usage: "/incident aware TIME", Help: "when we became aware (`now`, `2h ago`, `2026-03-01 09:30` UTC, or RFC 3339); it starts the clocks"},
	parse: func(in slashArgs) (Command, error) {
		if in.rest == "" {
			return Command{}, parseErr("use `/incident aware TIME`: `now`, `2h ago`, `2026-03-01 09:30` (UTC) or RFC 3339")
		}
		t, err := ParseTime(in.rest, in.now)
		if err != nil {
			return Command{}, err
		}
		return Command{Name: "aware", AwareAt: t}, nil
	},
	incident: channelIncident,
	run: actCommand(func(c Command, _ string) (workflows.Action, string) {
		v := c.AwareAt.UTC().Format("2006-01-02T15:04:05Z07:00")
		return workflows.Action{Type: workflows.ActionSetFact, Name: "aware_at", Value: jsonString(v)},
			"Awareness recorded at " + tpl.UTC(c.AwareAt) + "; the clocks count from it."
	}),
}

var closeCommand = &slashCommand{
	SlashCommand: tpl.SlashCommand{Name: "close", Usage: "/incident close [reason]", Help: "close the incident"},
	parse: func(in slashArgs) (Command, error) {
		return Command{Name: "close", Text: in.rest}, nil
	},
	incident: channelIncident,
	run: actCommand(func(c Command, _ string) (workflows.Action, string) {
		return workflows.Action{Type: workflows.ActionClose, Reason: c.Text}, "Incident closed."
	}),
}

// actCommand runs a command that is one incident action as the person who
// asked: action maps the parsed command (and the asker's Slack ID) to the
// action and the private confirmation. A refusal is explained privately and
// recorded.
func actCommand(action func(c Command, userID string) (workflows.Action, string)) func(ctx context.Context, b *Bot, r slashRun) {
	return func(ctx context.Context, b *Bot, r slashRun) {
		a, confirm := action(r.c, r.cmd.UserID)
		a.RequestID, a.Source = r.requestID, "slack"
		if _, err := b.svc.Act(ctx, r.actor, r.id, a); err != nil {
			b.refused(ctx, r.to, r.id, r.actor, a, err)
			return
		}
		b.tell(ctx, r.to, confirm)
	}
}
