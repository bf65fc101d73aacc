package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/console"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
)

// localAdminWanted: with no users and no admin token, the console offers a
// sign-in link for a local admin so a first run needs nothing else.
func localAdminWanted(cfg config.Config) bool {
	return cfg.AdminToken == "" && cfg.UsersFile == ""
}

// newConsole builds the web console on the same service and store as the
// API. EvidencePacks, BreachRegister and Drills stay nil until the branches
// that build them are wired here.
func newConsole(cfg config.Config, svc *incident.Service, st store.Store, dir *auth.Directory, log *slog.Logger) (*console.Console, error) {
	return console.New(console.Config{
		Service: svc, Store: st, Directory: dir, Logger: log,
		LocalAdmin: localAdminWanted(cfg), LocalAdminAnywhere: cfg.Console.LocalAdminAnywhere,
		PublicURL: cfg.Console.PublicURL, TrustedProxyHeader: cfg.Console.TrustedProxyHeader, TrustedProxies: cfg.Console.TrustedProxies,
		Regimes: svc.Rules.IDs(),
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
