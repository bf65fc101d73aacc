package slackbot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/workflows"
)

// fakeScheduling is the drill service with schedules, as the bot sees it:
// the one drill rule from policy, the requests as the bot passed them on.
type fakeScheduling struct {
	*fakeDrills
	smu  sync.Mutex
	reqs []incident.DrillScheduleRequest
}

var _ DrillSchedules = (*fakeScheduling)(nil)

func (f *fakeScheduling) CreateDrillSchedule(ctx context.Context, actor workflows.Actor, req incident.DrillScheduleRequest) (*schedule.DrillSchedule, error) {
	if !policy.MayRunDrills(actor.Roles) {
		return nil, apperr.New(apperr.Forbidden, "drills are run by a manager; %s does not have the manager role", actor.ID)
	}
	f.smu.Lock()
	defer f.smu.Unlock()
	f.reqs = append(f.reqs, req)
	next := time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
	return &schedule.DrillSchedule{ID: "irbot-drill-schedule-x", Scenario: req.Scenario, Cron: req.Cron, TimeZone: req.TimeZone, NextRun: &next}, nil
}

func (f *fakeScheduling) DrillSchedules(ctx context.Context, actor workflows.Actor) ([]schedule.DrillSchedule, error) {
	next := time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
	return []schedule.DrillSchedule{{ID: "irbot-drill-schedule-x", Scenario: "ransomware-exfiltration", Cron: "0 9 1 */3 *", TimeZone: "Europe/Paris", NextRun: &next}}, nil
}

func (f *fakeScheduling) DeleteDrillSchedule(ctx context.Context, actor workflows.Actor, id string) error {
	return apperr.New(apperr.NotFound, "no drill schedule %q", id)
}

func TestParseDrillSchedule(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		text, scenario, cron, tz, err string
	}{
		{text: `drill schedule ransomware-exfiltration "0 9 1 */3 *" Europe/Paris`, scenario: "ransomware-exfiltration", cron: "0 9 1 */3 *", tz: "Europe/Paris"},
		{text: `drill schedule ransomware-exfiltration “0 9 1 */3 *”`, scenario: "ransomware-exfiltration", cron: "0 9 1 */3 *"},
		{text: `drill schedule ransomware-exfiltration "@monthly"`, scenario: "ransomware-exfiltration", cron: "@monthly"},
		{text: `drill schedule ransomware-exfiltration 0 9 1 */3 *`, err: "quotes"},
		{text: `drill schedule ransomware-exfiltration "0 9 1 */3 *`, err: "closing quote"},
		{text: `drill schedule ransomware-exfiltration "0 9 1 */3 *" Europe/Paris extra`, err: "at most a time zone"},
		{text: `drill schedule`, err: "drill schedule SCENARIO"},
		{text: `drill schedule list now`, err: "takes nothing"},
	} {
		c, err := ParseCommand(tc.text, now)
		if tc.err != "" {
			require.Error(t, err, tc.text)
			require.Contains(t, err.Error(), tc.err, tc.text)
			continue
		}
		require.NoError(t, err, tc.text)
		require.Equal(t, "drill_schedule", c.Name)
		require.Equal(t, tc.scenario, c.Scenario)
		require.Equal(t, tc.cron, c.Text)
		require.Equal(t, tc.tz, c.User)
	}
	c, err := ParseCommand("drill schedule list", now)
	require.NoError(t, err)
	require.Equal(t, "drill_schedule_list", c.Name)
	c, err = ParseCommand("drill schedule delete irbot-drill-schedule-x", now)
	require.NoError(t, err)
	require.Equal(t, "drill_schedule_delete", c.Name)
	require.Equal(t, "irbot-drill-schedule-x", c.Task)
}

// /incident drill schedule passes the scenario, cron and time zone to the
// service and shows its answer; list shows the next run; and the reminder a
// day ahead reaches every manager by direct message and the announcement
// channel, against the strict Slack fake.
func TestSlackDrillScheduleAndReminder(t *testing.T) {
	var fs *fakeScheduling
	h := newHarness(t, func(c *Config) {
		fs = &fakeScheduling{fakeDrills: &fakeDrills{fakeService: c.Service.(*fakeService)}}
		c.Service = fs
		d, err := auth.NewDirectory([]auth.User{
			{Name: "Rae Responder", SlackID: "U0000000003", Roles: []string{"responder"}},
			{Name: "Max Manager", SlackID: managerSlack, Roles: []string{"manager"}},
			{Name: "Mo Manager", SlackID: "U0000000008", Roles: []string{"manager", "dpo"}},
		}, "")
		require.NoError(t, err)
		c.Directory = d
	})
	fs.bot = h.bot

	require.Contains(t, h.answer("U0000000003", "CELSEWHERE", `drill schedule ransomware-exfiltration "0 9 1 */3 *"`, "s0"), "manager role")
	got := h.answer(managerSlack, "CELSEWHERE", `drill schedule ransomware-exfiltration "0 9 1 */3 *" Europe/Paris`, "s1")
	require.Contains(t, got, "Scheduled")
	require.Contains(t, got, "reminded a day ahead")
	require.Equal(t, []incident.DrillScheduleRequest{{Scenario: "ransomware-exfiltration", Cron: "0 9 1 */3 *", TimeZone: "Europe/Paris"}}, fs.reqs)
	list := h.answer("U0000000003", "CELSEWHERE", "drill schedule list", "s2")
	require.Contains(t, list, "irbot-drill-schedule-x")
	require.Contains(t, list, "next Fri 1 Jan 2027")
	require.Contains(t, h.answer(managerSlack, "CELSEWHERE", "drill schedule delete nope", "s3"), "no drill schedule")

	runAt := time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
	require.NoError(t, h.bot.RemindScheduledDrill(t.Context(), workflows.DrillReminderInput{
		ScheduleID: "irbot-drill-schedule-x", Scenario: "ransomware-exfiltration", RunAt: runAt, TimeZone: "Europe/Paris",
	}))
	var dms []string
	for _, c := range h.slack.Channels() {
		if strings.HasPrefix(c.Name, "dm-") {
			for _, m := range h.slack.Messages(c.ID) {
				require.Contains(t, m.Text, "Fri 1 Jan 2027 09:00 CET", "the time in the schedule's zone")
				dms = append(dms, c.Name)
			}
		}
	}
	require.ElementsMatch(t, []string{"dm-" + managerSlack, "dm-U0000000008"}, dms, "each manager, once")
	ann := h.slack.Messages("CANNOUNCE1")
	require.Len(t, ann, 1)
	require.Contains(t, ann[0].Text, "[DRILL] Reminder")
}

// A scheduled run refused (its manager lost the role) is told to every
// manager and the announcement channel, with the reason and the next run in
// the schedule's zone, against the strict Slack fake; hostile text in the
// reason is escaped, not turned into a mention.
func TestSlackScheduledDrillRefusedIsToldToTheManagers(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		d, err := auth.NewDirectory([]auth.User{
			{Name: "Rae Responder", SlackID: "U0000000003", Roles: []string{"responder"}},
			{Name: "Max Manager", SlackID: managerSlack, Roles: []string{"manager"}},
		}, "")
		require.NoError(t, err)
		c.Directory = d
	})
	next := time.Date(2027, 4, 1, 7, 0, 0, 0, time.UTC)
	require.NoError(t, h.bot.ScheduledDrillRefused(t.Context(), workflows.ScheduledDrillRefusal{
		ScheduleID: "irbot-drill-schedule-x", Scenario: "ransomware-exfiltration", By: "U0000000009",
		Reason: "drills are run by a manager; <!channel> \x00 does not have the manager role", TimeZone: "Europe/Paris", NextRun: &next,
	}))
	var dms int
	for _, c := range h.slack.Channels() {
		if strings.HasPrefix(c.Name, "dm-") {
			for _, m := range h.slack.Messages(c.ID) {
				require.Equal(t, "dm-"+managerSlack, c.Name, "only managers are told")
				require.Contains(t, m.Text, "did not start")
				require.Contains(t, m.Text, "Thu 1 Apr 2027 09:00 CEST", "the next run in the schedule's zone")
				require.NotContains(t, m.Text, "<!channel>", "the reason cannot ping the channel")
				dms++
			}
		}
	}
	require.Equal(t, 1, dms)
	ann := h.slack.Messages("CANNOUNCE1")
	require.Len(t, ann, 1)
	require.Contains(t, ann[0].Text, "did not start")
}
