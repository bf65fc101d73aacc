package cli

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// DrillUsage documents the drill client commands.
const DrillUsage = `Drill commands (API clients; a manager's token):
  irbot drill list                                   the shipped scenarios
  irbot drill start SCENARIO [--speed N] [--participants U1,U2]
  irbot drill status ID                              injects delivered and to come
  irbot drill pause|resume|inject|skip|end ID        facilitator controls (inject: the next one now)
  irbot drill report ID [--format json|md|html] [-o FILE]
  irbot drill schedule list                          scheduled drills, soonest first
  irbot drill schedule create SCENARIO "CRON" [TIME_ZONE] [--speed N] [--channel C…]   e.g. "0 9 1 */3 *" Europe/Paris
  irbot drill schedule delete ID
  irbot drill run --scenario NAME|FILE [--speed N] [--out DIR] [--autoplay]   headless dry run, no server needed
`

var drillCommands = []string{"drill"}

func (c *client) drill(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, DrillUsage)
		return 2
	}
	sub, rest := args[0], args[1:]
	fs, asJSON := c.flags("drill " + sub)
	speed := fs.Float64("speed", 0, "time compression (default: the scenario's)")
	participants := fs.String("participants", "", "comma-separated Slack user IDs or emails")
	format := fs.String("format", "md", "report format: json, md or html")
	outFile := fs.String("o", "", "write the report to this file")
	event := fs.String("event", "", "inject or question id (inject, skip; default: the next)")
	channel := fs.String("channel", "", "schedule create: a Slack channel ID also reminded a day ahead")
	pos, err := parse(fs, rest)
	if err != nil {
		return 2
	}
	need := func(n int, usage string) bool {
		if len(pos) != n {
			fmt.Fprintf(c.stderr, "usage: irbot drill %s\n", usage)
			return false
		}
		return true
	}
	switch sub {
	case "schedule":
		return c.drillSchedule(pos, *speed, *channel, *asJSON)
	case "list":
		var out struct {
			Scenarios []struct {
				ID, Title, Duration string
				Regimes             []string
			} `json:"scenarios"`
		}
		raw, code := c.call("GET", "/api/v1/drills/scenarios", nil, &out)
		if code != 0 || *asJSON {
			return c.printRaw(raw, code, *asJSON)
		}
		tw := c.table("SCENARIO\tLENGTH\tREGIMES\tTITLE")
		for _, s := range out.Scenarios {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, s.Duration, strings.Join(s.Regimes, ","), s.Title)
		}
		_ = tw.Flush()
		return 0
	case "start":
		if !need(1, "start SCENARIO [--speed N] [--participants U1,U2]") {
			return 2
		}
		body := map[string]any{"scenario": pos[0], "speed": *speed, "participants": splitList(*participants)}
		var out struct{ ID, Incident, Status string }
		raw, code := c.call("POST", "/api/v1/drills", body, &out)
		if code != 0 || *asJSON {
			return c.printRaw(raw, code, *asJSON)
		}
		fmt.Fprintf(c.stdout, "drill %s started (%s)\nnext: irbot drill status %s\n", out.ID, out.Status, out.ID)
		return 0
	case "status":
		if !need(1, "status ID") {
			return 2
		}
		var out struct {
			ID, Scenario, Title, Status string
			Speed                       float64
			Injects                     []struct {
				ID, Kind, Title     string
				ScenarioAt          string  `json:"scenario_at"`
				DeliveredScenarioAt *string `json:"delivered_scenario_at"`
				Skipped             bool
			} `json:"injects"`
		}
		raw, code := c.call("GET", "/api/v1/drills/"+pos[0], nil, &out)
		if code != 0 || *asJSON {
			return c.printRaw(raw, code, *asJSON)
		}
		fmt.Fprintf(c.stdout, "[DRILL] %s  %s\nscenario %s · speed %gx · %s\n\n", out.ID, out.Title, out.Scenario, out.Speed, out.Status)
		tw := c.table("AT\tKIND\tID\tDELIVERED\tTITLE")
		for _, ev := range out.Injects {
			state := "to come"
			if ev.Skipped {
				state = "skipped"
			} else if ev.DeliveredScenarioAt != nil {
				state = "at " + *ev.DeliveredScenarioAt
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ev.ScenarioAt, ev.Kind, ev.ID, state, ev.Title)
		}
		_ = tw.Flush()
		return 0
	case "pause", "resume", "inject", "skip", "end":
		if !need(1, sub+" ID") {
			return 2
		}
		typ := sub
		if sub == "inject" {
			typ = "inject_now"
		}
		var out struct{ Status string }
		raw, code := c.call("POST", "/api/v1/drills/"+pos[0]+"/actions", map[string]any{"type": typ, "event": *event}, &out)
		if code != 0 || *asJSON {
			return c.printRaw(raw, code, *asJSON)
		}
		fmt.Fprintf(c.stdout, "ok: %s on drill %s (now %s)\n", sub, pos[0], out.Status)
		return 0
	case "report":
		if !need(1, "report ID [--format json|md|html] [-o FILE]") {
			return 2
		}
		raw, code := c.call("GET", "/api/v1/drills/"+pos[0]+"/report?format="+*format, nil, nil)
		if code != 0 {
			return c.printRaw(raw, code, false)
		}
		if *outFile != "" {
			if err := os.WriteFile(*outFile, raw, 0o600); err != nil {
				fmt.Fprintf(c.stderr, "irbot: %v\n", err)
				return 1
			}
			fmt.Fprintf(c.stdout, "wrote %s\n", *outFile)
			return 0
		}
		_, _ = c.stdout.Write(raw)
		return 0
	}
	fmt.Fprint(c.stderr, DrillUsage)
	return 2
}

const drillScheduleUsage = `usage: irbot drill schedule list
       irbot drill schedule create SCENARIO "CRON" [TIME_ZONE] [--speed N] [--channel C…]
       irbot drill schedule delete ID
`

// drillSchedule is irbot drill schedule list|create|delete: the API's
// /api/v1/drills/schedules, which holds every rule (cron, zone, duplicates,
// roles).
func (c *client) drillSchedule(pos []string, speed float64, channel string, asJSON bool) int {
	if len(pos) == 0 {
		fmt.Fprint(c.stderr, drillScheduleUsage)
		return 2
	}
	switch {
	case pos[0] == "list" && len(pos) == 1:
		var out struct {
			Schedules []struct {
				ID, Scenario, Cron, By string
				TimeZone               string     `json:"time_zone"`
				NextRun                *time.Time `json:"next_run"`
				Paused                 bool
			} `json:"schedules"`
		}
		raw, code := c.call("GET", "/api/v1/drills/schedules", nil, &out)
		if code != 0 || asJSON {
			return c.printRaw(raw, code, asJSON)
		}
		if len(out.Schedules) == 0 {
			fmt.Fprintln(c.stdout, "no drills are scheduled")
			return 0
		}
		tw := c.table("ID\tSCENARIO\tCRON\tTIME ZONE\tNEXT RUN\tBY")
		for _, s := range out.Schedules {
			next := "none"
			if s.NextRun != nil {
				next = s.NextRun.Format("2006-01-02 15:04 MST")
			}
			if s.Paused {
				next += " (paused)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Scenario, s.Cron, s.TimeZone, next, s.By)
		}
		_ = tw.Flush()
		return 0
	case pos[0] == "create" && (len(pos) == 3 || len(pos) == 4):
		body := map[string]any{"scenario": pos[1], "cron": pos[2], "speed": speed, "channel": channel}
		if len(pos) == 4 {
			body["time_zone"] = pos[3]
		}
		var out struct {
			ID      string
			NextRun *time.Time `json:"next_run"`
		}
		raw, code := c.call("POST", "/api/v1/drills/schedules", body, &out)
		if code != 0 || asJSON {
			return c.printRaw(raw, code, asJSON)
		}
		next := "no next run"
		if out.NextRun != nil {
			next = "next run " + out.NextRun.Format("2006-01-02 15:04 MST")
		}
		fmt.Fprintf(c.stdout, "scheduled %s (%s); the managers are reminded a day ahead\n", out.ID, next)
		return 0
	case pos[0] == "delete" && len(pos) == 2:
		raw, code := c.call("DELETE", "/api/v1/drills/schedules/"+url.PathEscape(pos[1]), nil, nil)
		if code != 0 || asJSON {
			return c.printRaw(raw, code, asJSON)
		}
		fmt.Fprintf(c.stdout, "deleted %s: no more runs or reminders\n", pos[1])
		return 0
	}
	fmt.Fprint(c.stderr, drillScheduleUsage)
	return 2
}
