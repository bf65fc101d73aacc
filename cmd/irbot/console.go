package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/console"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// localAdminWanted: with no users and no admin token, the console offers a
// sign-in link for a local admin so a first run needs nothing else.
func localAdminWanted(cfg config.Config) bool {
	return cfg.AdminToken == "" && cfg.UsersFile == ""
}

// newConsole builds the web console on the same service and store as the
// API, with the evidence packs and the breach register of the same service.
func newConsole(cfg config.Config, svc *incident.Service, st store.Store, dir *auth.Directory, log *slog.Logger) (*console.Console, error) {
	return console.New(console.Config{
		Service: svc, Store: st, Directory: dir, Logger: log,
		LocalAdmin: localAdminWanted(cfg), LocalAdminAnywhere: cfg.Console.LocalAdminAnywhere,
		PublicURL: cfg.Console.PublicURL, TrustedProxyHeader: cfg.Console.TrustedProxyHeader, TrustedProxies: cfg.Console.TrustedProxies,
		Regimes:        svc.Rules.IDs(),
		Drills:         consoleDrills{svc: svc, log: log},
		Schedules:      svc,
		Evidence:       evidencePacker(svc),
		BreachRegister: svc,
		Record:         svc,
	})
}

// consoleBase is where printed links point.
func consoleBase(cfg config.Config, addr string) string {
	if cfg.Console.PublicURL != "" {
		return cfg.Console.PublicURL
	}
	return "http://" + addr
}

// printLocalAdminLink prints the first-run sign-in link (serve, no users).
func printLocalAdminLink(ctx context.Context, out io.Writer, cfg config.Config, st store.Store, addr string) error {
	path, _, err := console.LinkIssuer{Store: st}.NewLink(ctx, console.LocalAdminID, "irbot serve")
	if err != nil {
		return fmt.Errorf("console sign-in link: %w", err)
	}
	fmt.Fprintf(out, "  console      %s\n", console.LinkURL(consoleBase(cfg, addr), path))
	fmt.Fprintf(out, "               (sign-in link for a local admin: single use, 15 minutes)\n")
	return nil
}

// loginLinkCmd is `irbot login-link USER`: a single-use sign-in link for a
// person in the users file, written to the same store the server reads.
func loginLinkCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(stderr, "usage: irbot login-link USER   (USER: the email, Slack ID or name in IRBOT_USERS_FILE)")
		return 2
	}
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 2
	}
	user := args[0]
	switch {
	case cfg.UsersFile != "":
		users, err := auth.LoadUsersFile(cfg.UsersFile)
		if err != nil {
			fmt.Fprintf(stderr, "irbot: %v\n", err)
			return 1
		}
		dir, err := auth.NewDirectory(users, "")
		if err != nil {
			fmt.Fprintf(stderr, "irbot: %v\n", err)
			return 1
		}
		u, ok := dir.ByID(user)
		if !ok {
			fmt.Fprintf(stderr, "irbot: %s is not in the users file %s\n", user, cfg.UsersFile)
			return 1
		}
		user = u.ID()
	case localAdminWanted(cfg) && user == console.LocalAdminID:
	default:
		fmt.Fprintf(stderr, "irbot: no users file (IRBOT_USERS_FILE): only %s has a link without one\n", console.LocalAdminID)
		return 1
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 1
	}
	defer st.Close()
	path, exp, err := console.LinkIssuer{Store: st}.NewLink(ctx, user, "irbot login-link")
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, console.LinkURL(consoleBase(cfg, cfg.HTTPAddr), path))
	fmt.Fprintf(stderr, "single use, valid until %s\n", exp.UTC().Format("2006-01-02 15:04 UTC"))
	return 0
}

// consoleDrills gives the console the drill service: the scenarios, a start
// (with the scripted team of `irbot drill run --autoplay` when asked, so a
// newcomer sees a whole exercise and its report within a minute) and the
// after-action report.
type consoleDrills struct {
	svc *incident.Service
	log *slog.Logger
}

// consoleAutoplaySpeed plays the longest shipped scenario in well under a
// minute of real time.
const consoleAutoplaySpeed = 3000

func (d consoleDrills) Scenarios(ctx context.Context, actor workflows.Actor) ([]console.DrillScenario, error) {
	list, err := d.svc.ListScenarios(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := make([]console.DrillScenario, 0, len(list))
	for _, s := range list {
		objectives := make([]string, 0, len(s.Objectives))
		for _, o := range s.Objectives {
			objectives = append(objectives, o.Title)
		}
		out = append(out, console.DrillScenario{ID: s.ID, Title: s.Title, Summary: s.Summary, Regimes: s.Regimes, Duration: s.Duration, Objectives: objectives, Autoplay: true})
	}
	return out, nil
}

func (d consoleDrills) StartDrill(ctx context.Context, actor workflows.Actor, scenario string, autoplay bool) (string, error) {
	req := incident.DrillRequest{Scenario: scenario}
	var sc *playbooks.Scenario
	if autoplay {
		var ok bool
		if sc, ok = playbooks.EmbeddedScenario(scenario); !ok {
			return "", apperr.New(apperr.Invalid, "no scenario %q", scenario)
		}
		req = incident.DrillRequest{Package: sc, Speed: consoleAutoplaySpeed}
	}
	started, err := d.svc.StartDrill(ctx, actor, req)
	if err != nil {
		return "", err
	}
	if autoplay {
		// The scripted team plays on after the request has been answered.
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Minute)
			defer cancel()
			st, err := waitDrill(ctx, d.svc, started.ID, func(*workflows.DrillState) bool { return true })
			if err == nil {
				err = autoplayDrill(ctx, d.svc, st, sc)
			}
			if err != nil {
				d.log.Warn("console autoplay stopped", "drill", started.ID, "error", err)
			}
		}()
	}
	return started.Incident, nil
}

func (d consoleDrills) WriteReportHTML(ctx context.Context, actor workflows.Actor, w io.Writer, incidentID string) error {
	body, _, err := d.svc.DrillReport(ctx, actor, incidentID, "html")
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}

func (d consoleDrills) Drill(ctx context.Context, actor workflows.Actor, incidentID string) (*workflows.DrillState, error) {
	return d.svc.Drill(ctx, actor, incidentID)
}

func (d consoleDrills) Control(ctx context.Context, actor workflows.Actor, incidentID, action string) error {
	_, err := d.svc.DrillAct(ctx, actor, incidentID, action, "")
	return err
}

func (d consoleDrills) Improve(ctx context.Context, actor workflows.Actor, incidentID string, items []workflows.Improvement, final bool) error {
	_, err := d.svc.DrillImprove(ctx, actor, incidentID, items, final)
	return err
}

func (d consoleDrills) MayRunDrills(actor workflows.Actor) error { return d.svc.MayRunDrills(actor) }
