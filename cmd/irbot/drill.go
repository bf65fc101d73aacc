package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// drillRun is `irbot drill run`: a whole drill, headless, on an in-process
// embedded server in a scratch data directory, with the report written at
// the end. With --autoplay a scripted team performs every expected action
// shortly before its target time, so a scenario package is checked end to end
// (it should score 100 %) before people play it.
func drillRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("irbot drill run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("scenario", "", "a shipped scenario id, or a scenario file")
	speed := fs.Float64("speed", 0, "time compression (default: the scenario's, at least 1; up to 100000)")
	out := fs.String("out", "", "directory for report.json, report.md and report.html (default: print the Markdown)")
	autoplay := fs.Bool("autoplay", false, "a scripted team performs each expected action at its target time")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: irbot drill run --scenario NAME|FILE [--speed N] [--out DIR] [--autoplay]")
		return 2
	}
	sc, code := loadScenario(*name, stderr)
	if sc == nil {
		return code
	}
	dir, err := os.MkdirTemp("", "irbot-drill-run-")
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	env := map[string]string{"IRBOT_DATA_DIR": dir, "IRBOT_HTTP_ADDR": "127.0.0.1:0", "IRBOT_TEMPORAL_PORT": "0", "IRBOT_LOG_LEVEL": "error", "IRBOT_DIGEST_CRON": "off"}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &Main{Config: cfg, Out: io.Discard, Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		_ = m.Close()
		return 1
	}
	defer m.Close()
	r, err := playDrill(ctx, m.service, sc, *speed, *autoplay)
	if err != nil {
		fmt.Fprintf(stderr, "irbot drill run: %v\n", err)
		return 1
	}
	if err := writeReports(ctx, m.service, r.Drill, *out, stdout); err != nil {
		fmt.Fprintf(stderr, "irbot drill run: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "drill %s (%s): %d of %d expected actions on time (%d %%)\n", r.Drill, sc.ID, r.Score.Met, r.Score.Total, r.Score.Percent)
	if *autoplay && r.Score.Met < r.Score.Total {
		fmt.Fprintln(stderr, "irbot drill run: the scripted team could not meet every target; check the scenario's expected actions and their times")
		return 1
	}
	return 0
}

// loadScenario finds a shipped scenario by id, or loads and validates a file.
func loadScenario(name string, stderr io.Writer) (*playbooks.Scenario, int) {
	if sc, ok := playbooks.EmbeddedScenario(name); ok {
		return sc, 0
	}
	if !strings.ContainsAny(name, "/.") {
		var ids []string
		for _, s := range playbooks.EmbeddedScenarios() {
			ids = append(ids, s.ID)
		}
		fmt.Fprintf(stderr, "irbot: no scenario %q; shipped ones are %s, or give a file path\n", name, strings.Join(ids, ", "))
		return nil, 2
	}
	rules, err := playbooks.LoadRules()
	if err != nil {
		fmt.Fprintf(stderr, "irbot: rule files: %v\n", err)
		return nil, 1
	}
	sc, problems := playbooks.LoadScenarioFile(name, rules.Has, workflows.CheckFact)
	for _, p := range problems {
		fmt.Fprintln(stderr, p.String())
	}
	if sc == nil {
		return nil, 1
	}
	return sc, 0
}

// The scripted team: one person per role, so two-person approvals have two
// people and nobody approves their own declaration.
var (
	drillFacilitator = workflows.Actor{ID: "drill-facilitator", Name: "Facilitator", Roles: []string{"manager"}}
)

func teamMember(role string) workflows.Actor {
	return workflows.Actor{ID: "team-" + role, Name: "Scripted " + role, Roles: []string{role}}
}

// playDrill starts a drill, lets the scripted team play when autoplay is on,
// waits for play to end and returns the report.
func playDrill(ctx context.Context, svc *incident.Service, sc *playbooks.Scenario, speed float64, autoplay bool) (*incident.DrillReport, error) {
	started, err := svc.StartDrill(ctx, drillFacilitator, incident.DrillRequest{Package: sc, Speed: speed})
	if err != nil {
		return nil, err
	}
	id := started.ID
	st, err := waitDrill(ctx, svc, id, func(*workflows.DrillState) bool { return true })
	if err != nil {
		return nil, err
	}
	if autoplay {
		if err := autoplayDrill(ctx, svc, st, sc); err != nil {
			return nil, err
		}
	}
	if _, err := waitDrill(ctx, svc, id, func(d *workflows.DrillState) bool { return d.Status == workflows.DrillEnded }); err != nil {
		return nil, err
	}
	body, _, err := svc.DrillReport(ctx, drillFacilitator, id, "json")
	if err != nil {
		return nil, err
	}
	var r incident.DrillReport
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func waitDrill(ctx context.Context, svc *incident.Service, id string, done func(*workflows.DrillState) bool) (*workflows.DrillState, error) {
	for {
		st, err := svc.Drill(ctx, drillFacilitator, id)
		if err == nil && done(st) {
			return st, nil
		}
		if err != nil && apperr.CodeOf(err) != apperr.NotFound && apperr.CodeOf(err) != apperr.Unavailable {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// autoplayDrill performs each expected action, in target order, shortly
// before its target scenario time. Like a facilitator stopping the clock
// while a team acts, it pauses play for each action (and the playbook steps
// the action needs first), so the load of the machine running a dry run at
// high speed does not move scenario time under the scripted team.
func autoplayDrill(ctx context.Context, svc *incident.Service, d *workflows.DrillState, sc *playbooks.Scenario) error {
	expected := slices.Clone(sc.Expected)
	slices.SortStableFunc(expected, func(a, b playbooks.ExpectedAction) int { return int(a.By - b.By) })
	// Act this much scenario time ahead of the target: two real seconds.
	// The pause that stops the clock is itself an Update that may wait in
	// line on a loaded machine; with half a second the scenario clock
	// passed a T+60h target by two scenario minutes (24 ms real at speed
	// 5000) once at load 20.
	lead := time.Duration(float64(2*time.Second) * d.Speed)
	for _, x := range expected {
		at := playbooks.Span(max(x.By.D()-min(lead, x.By.D()/2), 0))
		st, err := svc.Drill(ctx, drillFacilitator, d.IncidentID)
		if err != nil {
			return err
		}
		if wait := time.Until(st.RealTime(at)); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		if _, err := svc.DrillAct(ctx, drillFacilitator, d.IncidentID, workflows.DrillPause, ""); err != nil {
			return fmt.Errorf("pause for expected action %s: %w", x.ID, err)
		}
		if err := prepareExpected(ctx, svc, d.IncidentID, x); err != nil {
			return fmt.Errorf("before expected action %s: %w", x.ID, err)
		}
		if err := performExpected(ctx, svc, d.IncidentID, x, time.Now()); err != nil {
			return fmt.Errorf("expected action %s: %w", x.ID, err)
		}
		if _, err := svc.DrillAct(ctx, drillFacilitator, d.IncidentID, workflows.DrillResume, ""); err != nil {
			return fmt.Errorf("resume after expected action %s: %w", x.ID, err)
		}
	}
	return nil
}

func prepareExpected(ctx context.Context, svc *incident.Service, id string, x playbooks.ExpectedAction) error {
	inc, err := svc.Get(ctx, drillFacilitator, id)
	if err != nil {
		return err
	}
	pb, _ := playbooks.EmbeddedPlaybook(inc.Playbook)
	phaseOf := ""
	switch x.Kind {
	case playbooks.ExpectTask:
		if t, ok := pb.Task(x.Target); ok {
			phaseOf = t.Phase
		}
	case playbooks.ExpectGate:
		if g, ok := pb.Gate(x.Target); ok {
			phaseOf = g.Phase
		}
	}
	if phaseOf == "" {
		return nil
	}
	return completeBefore(ctx, svc, inc, pb, phaseOf, x)
}

func performExpected(ctx context.Context, svc *incident.Service, id string, x playbooks.ExpectedAction, stamp time.Time) error {
	inc, err := svc.Get(ctx, drillFacilitator, id)
	if err != nil {
		return err
	}
	pb, _ := playbooks.EmbeddedPlaybook(inc.Playbook)
	switch x.Kind {
	case playbooks.ExpectTask:
		t, _ := pb.Task(x.Target)
		return act(ctx, svc, id, teamMember(t.Role), workflows.Action{Type: workflows.ActionCompleteTask, Task: x.Target, At: &stamp})
	case playbooks.ExpectGate:
		return approve(ctx, svc, inc, pb, x.Target, &stamp)
	case playbooks.ExpectNotify:
		regime, obligation, _ := strings.Cut(x.Target, "/")
		return act(ctx, svc, id, teamMember("dpo"), workflows.Action{Type: workflows.ActionRecordNotification, Regime: regime, Obligation: obligation, Reference: "DRILL-REF-" + x.ID, SentAt: &stamp, At: &stamp})
	case playbooks.ExpectFact:
		v, _ := json.Marshal("Recorded by the scripted drill team")
		return act(ctx, svc, id, teamMember("commander"), workflows.Action{Type: workflows.ActionSetFact, Name: x.Target, Value: v})
	}
	return nil
}

// completeBefore does the required tasks and gates of every phase before
// phase, and, for a gate, the required tasks of its own phase.
func completeBefore(ctx context.Context, svc *incident.Service, inc *workflows.IncidentState, pb *playbooks.Playbook, phase string, x playbooks.ExpectedAction) error {
	limit := pb.PhaseIndex(phase)
	for _, ph := range pb.Phases[:limit+1] {
		own := ph.ID == phase
		for _, t := range inc.Tasks {
			if t.Phase != ph.ID || !t.Required || t.Done || (own && (x.Kind != playbooks.ExpectGate || t.ID == x.Target)) {
				continue
			}
			if err := act(ctx, svc, inc.ID, teamMember(t.Role), workflows.Action{Type: workflows.ActionCompleteTask, Task: t.ID}); err != nil {
				return err
			}
		}
		if own {
			continue
		}
		for _, g := range inc.Gates {
			if g.Phase == ph.ID && !g.Approved {
				if err := approve(ctx, svc, inc, pb, g.ID, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func approve(ctx context.Context, svc *incident.Service, inc *workflows.IncidentState, pb *playbooks.Playbook, gate string, stamp *time.Time) error {
	g, _ := pb.Gate(gate)
	n := 1
	if g.TwoPerson {
		n = 2
	}
	for i := 0; i < n && i < len(g.Roles); i++ {
		if err := act(ctx, svc, inc.ID, teamMember(g.Roles[i]), workflows.Action{Type: workflows.ActionApprove, Gate: gate, At: stamp}); err != nil {
			return err
		}
	}
	return nil
}

func act(ctx context.Context, svc *incident.Service, id string, who workflows.Actor, a workflows.Action) error {
	a.Source = "drill-autoplay"
	_, err := svc.Act(ctx, who, id, a)
	return err
}

// writeReports writes the report in every format to dir, or prints the
// Markdown when dir is "".
func writeReports(ctx context.Context, svc *incident.Service, id, dir string, stdout io.Writer) error {
	if dir == "" {
		b, _, err := svc.DrillReport(ctx, drillFacilitator, id, "md")
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	// Reports hold what the drill's participants did: owner only, like
	// the data directory.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var errs []error
	for _, f := range []string{"json", "md", "html"} {
		b, _, err := svc.DrillReport(ctx, drillFacilitator, id, f)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "report."+f), b, 0o600)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
