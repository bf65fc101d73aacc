package slackbot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/internal/schedule"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// DrillSchedules is the part of the incident service that schedules drills;
// the bot only parses and presents, the service holds every rule.
type DrillSchedules interface {
	CreateDrillSchedule(ctx context.Context, actor workflows.Actor, req incident.DrillScheduleRequest) (*schedule.DrillSchedule, error)
	DrillSchedules(ctx context.Context, actor workflows.Actor) ([]schedule.DrillSchedule, error)
	DeleteDrillSchedule(ctx context.Context, actor workflows.Actor, id string) error
}

const drillScheduleUsage = "use `/incident drill schedule SCENARIO \"CRON\" [TIME_ZONE]` (e.g. `/incident drill schedule ransomware-exfiltration \"0 9 1 */3 *\" Europe/Paris`: 09:00 on the first day of each quarter), `/incident drill schedule list` or `/incident drill schedule delete ID`"

// parseDrillSchedule reads the words after /incident drill schedule. The cron
// expression is quoted (straight or curly quotes: Slack's clients turn one
// into the other).
func parseDrillSchedule(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{}, parseErr("%s", drillScheduleUsage)
	}
	switch strings.ToLower(args[0]) {
	case "list":
		if len(args) > 1 {
			return Command{}, parseErr("`/incident drill schedule list` takes nothing after it")
		}
		return Command{Name: "drill_schedule_list"}, nil
	case "delete":
		if len(args) != 2 {
			return Command{}, parseErr("`/incident drill schedule delete ID` takes the schedule's ID, as `/incident drill schedule list` shows it")
		}
		return Command{Name: "drill_schedule_delete", Task: args[1]}, nil
	}
	if len(args) < 2 {
		return Command{}, parseErr("give the cron expression in quotes; %s", drillScheduleUsage)
	}
	rest := strings.Join(args[1:], " ")
	rest = strings.NewReplacer("“", `"`, "”", `"`).Replace(rest)
	if !strings.HasPrefix(rest, `"`) {
		return Command{}, parseErr("put the cron expression in quotes; %s", drillScheduleUsage)
	}
	end := strings.Index(rest[1:], `"`)
	if end < 0 {
		return Command{}, parseErr("the cron expression's closing quote is missing; %s", drillScheduleUsage)
	}
	c := Command{Name: "drill_schedule", Scenario: args[0], Text: strings.TrimSpace(rest[1 : end+1])}
	tail := strings.Fields(rest[end+2:])
	switch len(tail) {
	case 0:
	case 1:
		c.User = tail[0] // the time zone
	default:
		return Command{}, parseErr("after the cron expression give at most a time zone (IANA, e.g. Europe/Paris); %s", drillScheduleUsage)
	}
	return c, nil
}

// drillScheduleCommand does the work of /incident drill schedule.
func (b *Bot) drillScheduleCommand(ctx context.Context, actor workflows.Actor, c Command, to reply) {
	ds := b.svc
	switch c.Name {
	case "drill_schedule_list":
		list, err := ds.DrillSchedules(ctx, actor)
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill schedule list")))
			return
		}
		b.tell(ctx, to, drillScheduleListText(list))
	case "drill_schedule_delete":
		if err := ds.DeleteDrillSchedule(ctx, actor, c.Task); err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill schedule delete")))
			return
		}
		b.tell(ctx, to, fmt.Sprintf("[DRILL] Schedule `%s` deleted: no more runs or reminders. Drills it started play on.", tpl.Escape(c.Task)))
	case "drill_schedule":
		d, err := ds.CreateDrillSchedule(ctx, actor, incident.DrillScheduleRequest{Scenario: c.Scenario, Cron: c.Text, TimeZone: c.User})
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill schedule")))
			return
		}
		b.tell(ctx, to, "[DRILL] Scheduled: "+drillScheduleLine(*d)+". The managers are reminded a day ahead.")
	}
}

func drillScheduleLine(d schedule.DrillSchedule) string {
	next := "no next run"
	if d.NextRun != nil {
		next = "next " + d.NextRun.Format("Mon 2 Jan 2006 15:04 MST")
	}
	paused := ""
	if d.Paused {
		paused = " (paused)"
	}
	return fmt.Sprintf("`%s` %s at `%s` %s, %s%s", tpl.Escape(d.ID), tpl.Escape(d.Scenario), tpl.Escape(d.Cron), tpl.Escape(d.TimeZone), next, paused)
}

func drillScheduleListText(list []schedule.DrillSchedule) string {
	if len(list) == 0 {
		return "No drills are scheduled. " + strings.TrimPrefix(drillScheduleUsage, "use ")
	}
	lines := []string{"*Scheduled drills*, soonest first:"}
	for _, d := range list {
		lines = append(lines, "• "+drillScheduleLine(d))
	}
	return strings.Join(lines, "\n")
}

// RemindScheduledDrill tells every manager (a direct message) and the
// schedule's channel, or the announcement channel, that a drill is due in a
// day. It fails only when nobody could be told, so the activity retries.
func (b *Bot) RemindScheduledDrill(ctx context.Context, in workflows.DrillReminderInput) error {
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	text := fmt.Sprintf("[DRILL] Reminder: the scheduled tabletop drill `%s` starts %s (schedule `%s`). It opens a private [DRILL] channel; `/incident drill schedule list` shows every schedule.",
		tpl.Escape(in.Scenario), in.RunAt.In(loc).Format("Mon 2 Jan 2006 15:04 MST"), tpl.Escape(in.ScheduleID))
	return b.tellDrillManagers(ctx, in.ScheduleID, in.Channel, text)
}

// ScheduledDrillRefused tells the managers and the schedule's channel (or
// the announcement channel) that a scheduled run's drill was refused, why,
// and when the schedule runs next.
func (b *Bot) ScheduledDrillRefused(ctx context.Context, r workflows.ScheduledDrillRefusal) error {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	next := "It has no next run."
	if r.NextRun != nil {
		next = "Its next run is " + r.NextRun.In(loc).Format("Mon 2 Jan 2006 15:04 MST") + "; fix the cause or delete the schedule (`/incident drill schedule delete ID`)."
	}
	text := fmt.Sprintf("[DRILL] The scheduled tabletop drill `%s` (schedule `%s`, scheduled by <@%s>) did not start: %s. %s",
		tpl.Escape(r.Scenario), tpl.Escape(r.ScheduleID), tpl.Escape(r.By), tpl.Escape(r.Reason), next)
	return b.tellDrillManagers(ctx, r.ScheduleID, r.Channel, text)
}

// tellDrillManagers sends text to every holder of a drill role (a direct
// message) and to channel, or the announcement channel. It fails only when
// nobody could be told, so the activity retries.
func (b *Bot) tellDrillManagers(ctx context.Context, scheduleID, channel, text string) error {
	var told int
	var errs []error
	seen := map[string]bool{}
	for _, role := range policy.DrillRoles {
		for _, u := range b.dir.WithRole(role) {
			if u.SlackID == "" || seen[u.SlackID] {
				continue
			}
			seen[u.SlackID] = true
			if err := b.api.DM(ctx, u.SlackID, slack.MsgOptionText(text, false)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s", u.SlackID, ErrCode(err)))
				continue
			}
			told++
		}
	}
	if channel == "" {
		channel = b.announce
	}
	if channel != "" {
		if _, err := b.api.Post(ctx, channel, slack.MsgOptionText(text, false)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", channel, ErrCode(err)))
		} else {
			told++
		}
	}
	if told == 0 && len(errs) > 0 {
		return fmt.Errorf("drill message reached nobody: %w", errors.Join(errs...))
	}
	if len(errs) > 0 {
		b.log.Warn("drill message not delivered to everyone", "schedule", scheduleID, "error", errors.Join(errs...))
	}
	return nil
}
