package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
)

// DrillUsage documents the drill client commands.
const DrillUsage = `Drill commands (API clients; a manager's token):
  irbot drill list                                   the shipped scenarios
  irbot drill start SCENARIO [--speed N] [--participants U1,U2]
  irbot drill status ID                              injects delivered and to come
  irbot drill pause|resume|inject|skip|end ID        facilitator controls (inject: the next one now)
  irbot drill report ID [--format json|md|html] [-o FILE]
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
		tw := tabwriter.NewWriter(c.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "SCENARIO\tLENGTH\tREGIMES\tTITLE")
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
		tw := tabwriter.NewWriter(c.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tKIND\tID\tDELIVERED\tTITLE")
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
			if err := os.WriteFile(*outFile, raw, 0o644); err != nil {
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
