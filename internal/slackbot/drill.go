package slackbot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/incident"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// DrillService is the part of the incident service that runs drills. Who
// may run a drill is the service's (policy's) rule:
// the bot only passes the person on.
type DrillService interface {
	ListScenarios(ctx context.Context, actor workflows.Actor) ([]incident.ScenarioSummary, error)
	StartDrill(ctx context.Context, actor workflows.Actor, req incident.DrillRequest) (*incident.DrillStarted, error)
	DrillAct(ctx context.Context, actor workflows.Actor, id, action, event string) (*workflows.DrillState, error)
	Drill(ctx context.Context, actor workflows.Actor, id string) (*workflows.DrillState, error)
	DrillAnswer(ctx context.Context, actor workflows.Actor, id, question, answer string) (*workflows.DrillState, error)
	DrillGiveFeedback(ctx context.Context, actor workflows.Actor, id string, fb workflows.DrillFeedbackInput) (*workflows.DrillState, error)
	DrillImprove(ctx context.Context, actor workflows.Actor, id string, items []workflows.Improvement, final bool) (*workflows.DrillState, error)
}

const drillUsage = "use `/incident drill list`, `/incident drill start SCENARIO [SPEED] [@participants…]` (no scenario opens a form), `/incident drill schedule SCENARIO \"CRON\" [TIME_ZONE]|list|delete ID`, or in a drill's channel `/incident drill pause|resume|inject [EVENT]|skip [EVENT]|end`"

// drillControls maps the /incident drill words to the facilitator controls.
var drillControls = map[string]string{
	"pause": workflows.DrillPause, "resume": workflows.DrillResume, "inject": workflows.DrillInjectNow,
	"skip": workflows.DrillSkip, "end": workflows.DrillEnd,
}

// parseDrill reads the words after /incident drill.
func parseDrill(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{}, parseErr("%s", drillUsage)
	}
	word := strings.ToLower(args[0])
	switch word {
	case "list":
		if len(args) > 1 {
			return Command{}, parseErr("`/incident drill list` takes nothing after it")
		}
		return Command{Name: "drill_list"}, nil
	case "schedule":
		return parseDrillSchedule(args[1:])
	case "start":
		c := Command{Name: "drill_start"}
		if len(args) == 1 {
			return c, nil // the form asks
		}
		c.Scenario = args[1]
		for _, a := range args[2:] {
			if m := mentionRE.FindStringSubmatch(a); m != nil {
				c.Participants = append(c.Participants, m[1])
				continue
			}
			if m := userIDRE.FindStringSubmatch(a); m != nil && strings.HasPrefix(a, "@") {
				c.Participants = append(c.Participants, m[1])
				continue
			}
			s, err := strconv.ParseFloat(a, 64)
			if err != nil || c.Speed != 0 {
				return Command{}, parseErr("%q is neither a speed nor a @participant; use `/incident drill start SCENARIO [SPEED] [@participants…]`, e.g. `/incident drill start ransomware-exfiltration 60 @rae`", a)
			}
			c.Speed = s
		}
		return c, nil
	}
	action, ok := drillControls[word]
	if !ok {
		return Command{}, parseErr("unknown drill command %q: %s", args[0], drillUsage)
	}
	c := Command{Name: "drill_control", Text: action}
	switch {
	case len(args) == 2 && (action == workflows.DrillInjectNow || action == workflows.DrillSkip):
		c.Task = args[1] // the inject or question, by id
	case len(args) > 1:
		return Command{}, parseErr("`/incident drill %s` takes %s", word, map[bool]string{true: "at most an inject or question ID", false: "nothing after it"}[action == workflows.DrillInjectNow || action == workflows.DrillSkip])
	}
	return c, nil
}

// onDrillStartForm opens the drill form when /incident drill start has no
// scenario. It runs on the urgent pool: the trigger expires in about 3 s.
func (b *Bot) onDrillStartForm(ctx context.Context, cmd slack.SlashCommand, to reply) {
	list, err := b.svc.ListScenarios(ctx, b.actor(cmd.UserID, cmd.UserName))
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "drill list")))
		return
	}
	var choices []tpl.DrillChoice
	for _, s := range list {
		choices = append(choices, tpl.DrillChoice{ID: s.ID, Title: s.Title})
	}
	b.openView(ctx, cmd.TriggerID, tpl.DrillStartModal(choices, cmd.ChannelID), to)
}

// drillCommand does the work of /incident drill on a worker; it reports
// whether c was a drill command.
func (b *Bot) drillCommand(ctx context.Context, cmd slack.SlashCommand, c Command, to reply) bool {
	if !strings.HasPrefix(c.Name, "drill_") {
		return false
	}
	actor := b.actor(cmd.UserID, cmd.UserName)
	switch c.Name {
	case "drill_schedule", "drill_schedule_list", "drill_schedule_delete":
		b.drillScheduleCommand(ctx, actor, c, to)
	case "drill_list":
		list, err := b.svc.ListScenarios(ctx, actor)
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill list")))
			return true
		}
		b.tell(ctx, to, drillListText(list))
	case "drill_start":
		b.startDrill(ctx, actor, incident.DrillRequest{
			Scenario: c.Scenario, Speed: c.Speed, Participants: c.Participants, RequestKey: "slack:cmd:" + cmd.TriggerID,
		}, to)
	case "drill_control":
		id, err := b.incidentFor(ctx, cmd.ChannelID)
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "channel lookup")))
			return true
		}
		if id == "" {
			b.tell(ctx, to, "This is not a drill's channel. Run `/incident drill "+c.Text+"` in the drill's channel.")
			return true
		}
		st, err := b.svc.DrillAct(ctx, actor, id, c.Text, c.Task)
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill "+c.Text)))
			return true
		}
		text := drillControlText(c.Text, actor.ID, st)
		if _, err := b.api.Post(ctx, cmd.ChannelID, slack.MsgOptionText(text, false)); err != nil {
			b.tell(ctx, to, text)
		}
	}
	return true
}

// startDrill starts a drill as actor and, once its private [DRILL] channel
// exists, invites the facilitator and the participants.
func (b *Bot) startDrill(ctx context.Context, actor workflows.Actor, req incident.DrillRequest, to reply) {
	started, err := b.svc.StartDrill(ctx, actor, req)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "drill start")))
		return
	}
	b.tell(ctx, to, fmt.Sprintf("[DRILL] %s started. Its private channel opens in a moment; %d participant(s) will be invited.", started.ID, len(req.Participants)))
	channel := b.drillChannel(ctx, started.ID)
	if channel == "" {
		b.tell(ctx, to, fmt.Sprintf("[DRILL] %s has no Slack channel yet; invite the participants when it appears.", started.ID))
		return
	}
	var failed []string
	for _, u := range append([]string{actor.ID}, req.Participants...) {
		if err := b.api.Invite(ctx, channel, u); err != nil {
			failed = append(failed, tpl.Mention(u)+" ("+ErrCode(err)+")")
		}
	}
	if len(failed) > 0 {
		b.tell(ctx, to, "Could not invite "+strings.Join(failed, ", ")+" to the drill's channel.")
	}
}

// drillChannelWait bounds how long the bot waits for a new drill's channel.
var drillChannelWait = time.Minute

// drillChannel waits for the drill's incident to have its channel.
func (b *Bot) drillChannel(ctx context.Context, id string) string {
	ctx, cancel := context.WithTimeout(ctx, drillChannelWait)
	defer cancel()
	for {
		st, err := b.svc.Get(ctx, SystemActor, id)
		if err == nil && st.Slack != nil && st.Slack.ChannelID != "" {
			return st.Slack.ChannelID
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// onDrillStartSubmission answers the drill form: a bad speed keeps it open
// with the reason; otherwise the drill starts on a worker.
func (b *Bot) onDrillStartSubmission(cb slack.InteractionCallback, key, requestID string) any {
	v := cb.View
	f, ok := tpl.ParseDrillStart(v.State)
	if !ok {
		return viewErrors(tpl.BlockSpeed, fmt.Sprintf("Speed %q is not a number; 60 plays a 72 h clock in 72 minutes.", f.SpeedText))
	}
	if f.Scenario == "" {
		return viewErrors(tpl.BlockScenario, "Pick a scenario.")
	}
	if !b.seen.first(key) {
		return nil
	}
	actor := b.actor(cb.User.ID, userName(cb.User))
	to := reply{channelID: v.PrivateMetadata, userID: cb.User.ID}
	if !b.work.submit(func(ctx context.Context) {
		b.startDrill(ctx, actor, incident.DrillRequest{Scenario: f.Scenario, Speed: f.Speed, Participants: f.Participants, RequestKey: requestID}, to)
	}) {
		b.seen.forget(key)
		return viewErrors(tpl.BlockScenario, busyText)
	}
	return nil
}

func drillListText(list []incident.ScenarioSummary) string {
	if len(list) == 0 {
		return "No drill scenarios are installed."
	}
	var sb strings.Builder
	sb.WriteString("*Drill scenarios* (start one with `/incident drill start SCENARIO [SPEED] [@participants…]`):")
	for _, s := range list {
		fmt.Fprintf(&sb, "\n• `%s` %s · %s · %s of scenario time", s.ID, tpl.Escape(s.Title), strings.Join(s.Regimes, ", "), s.Duration)
		if s.Speed > 1 {
			fmt.Fprintf(&sb, " · speed %gx", s.Speed)
		}
	}
	return sb.String()
}

func drillControlText(action, by string, st *workflows.DrillState) string {
	at := ""
	if st != nil {
		at = " at " + st.ScenarioTime(time.Now()).String()
	}
	switch action {
	case workflows.DrillPause:
		return "[DRILL] ⏸ Play paused" + at + " by " + tpl.Mention(by) + ": scenario time, clocks and injects stand still."
	case workflows.DrillResume:
		return "[DRILL] ▶ Play resumed" + at + " by " + tpl.Mention(by) + "."
	case workflows.DrillInjectNow:
		return "[DRILL] ⏩ " + tpl.Mention(by) + " delivers the next inject now."
	case workflows.DrillSkip:
		return "[DRILL] ⏭ " + tpl.Mention(by) + " skipped an inject."
	case workflows.DrillEnd:
		return "[DRILL] ⏹ Play ended" + at + " by " + tpl.Mention(by) + ". Every clock stops; the data stays for the report."
	}
	return "[DRILL] " + action
}

// ArchiveDrillChannel archives the channel of drill incident id once the
// facilitator has ended play; the drill's data stays in the store for the
// report. A live incident's channel is never archived this way. A permanent
// Slack refusal comes back non-retryable, like the publisher's.
func (b *Bot) ArchiveDrillChannel(ctx context.Context, id string) error {
	st, err := b.svc.Get(ctx, SystemActor, id)
	if err != nil {
		return err
	}
	if st.Mode != workflows.ModeDrill || st.Slack == nil || st.Slack.ChannelID == "" {
		return nil
	}
	if err := b.api.Archive(ctx, st.Slack.ChannelID); err != nil {
		if IsPermanent(err) {
			b.log.Warn("drill channel not archived", "incident", id, "code", ErrCode(err))
		}
		return ActivityError(err)
	}
	return nil
}
