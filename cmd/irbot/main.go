// Command irbot is the one binary: the server (serve, wired by Main in
// serve.go), the offline deadline calculator (clocks), the playbook
// validator, headless drills (drill run), console sign-in links, key
// management, the benchmark, and thin clients of the JSON API
// (internal/cli: declare, list, show, act, timeline, verify, register,
// notices, campaigns, drills, evidence, the breach register).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // clocks count in legal time zones; containers may lack tzdata

	"github.com/irbot/irbot/internal/cli"
	"github.com/irbot/irbot/internal/clockcmd"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `irbot: incident response orchestration for data breaches

Usage:
  irbot serve                          run everything: Temporal (embedded unless TEMPORAL_ADDRESS), worker, API
  irbot version                        print the version
  irbot bench [--quick] [--out FILE]   measure the whole stack in-process against its budgets (irbot bench --help)
  irbot clocks [flags]                 offline deadline calculator (irbot clocks --help)
  irbot playbook validate FILE...      check playbook and drill scenario files; one line per problem
  irbot login-link USER                a single-use console sign-in link (15 minutes)
  irbot keys rotate|erase ...          encryption keys: rotate, erase a closed incident's personal data (irbot keys)
  irbot drill run --scenario NAME|FILE [--speed N] [--out DIR] [--autoplay]
                                       a whole drill headless on an in-process server; report at the end
  irbot declare|list|show|act|timeline|verify|register|notices|notice|campaign|checkpoint|tombstones ...
                                       API clients (IRBOT_URL, IRBOT_TOKEN; irbot help api)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "irbot %s\n", version)
		return 0
	case "help", "--help", "-h":
		if len(args) > 1 && args[1] == "api" {
			fmt.Fprint(stdout, cli.Usage+"\n"+cli.NoticeUsage+"\n"+cli.DrillUsage+"\n"+cli.EvidenceUsage+"\n"+cli.CheckpointUsage)
			return 0
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "clocks":
		return clockcmd.Run(args[1:], stdout, stderr)
	case "playbook":
		return playbookCmd(args[1:], stdout, stderr)
	case "login-link":
		return loginLinkCmd(args[1:], stdout, stderr)
	case "keys":
		return keysCmd(args[1:], stdout, stderr)
	case "drill":
		if len(args) > 1 && args[1] == "run" {
			return drillRun(args[2:], stdout, stderr)
		}
	}
	if cli.Handles(args[0]) {
		return cli.Run(args, cli.EnvFrom(os.Getenv), stdout, stderr)
	}
	fmt.Fprintf(stderr, "irbot: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func serve(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "irbot serve takes no arguments; it is configured by environment variables:\n")
		for _, v := range config.Vars {
			fmt.Fprintf(stderr, "  %-26s %s (default %s)\n", v.Name, v.Meaning, v.Default)
		}
		return 2
	}
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 2
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Config: cfg, Logger: logger, Out: stdout}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		_ = m.Close()
		return 1
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "irbot: shutting down")
	if err := m.Close(); err != nil {
		fmt.Fprintf(stderr, "irbot: shutdown: %v\n", err)
		return 1
	}
	return 0
}

func playbookCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "validate" {
		fmt.Fprintln(stderr, "usage: irbot playbook validate FILE...")
		return 2
	}
	files := args[1:]
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: irbot playbook validate FILE...")
		return 2
	}
	rules, err := playbooks.LoadRules()
	if err != nil {
		fmt.Fprintf(stderr, "irbot: rule files: %v\n", err)
		return 1
	}
	// Scenario packages (drills) are checked here too, with the same fact
	// rules set_fact applies.
	problems := playbooks.ValidateFiles(files, rules.Has, workflows.CheckFact)
	errs := 0
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
		if !p.Warning {
			errs++
		}
	}
	if errs > 0 {
		fmt.Fprintf(stderr, "%d problem(s) in %s\n", errs, strings.Join(files, ", "))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %s\n", strings.Join(files, ", "))
	return 0
}
