package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/keyring"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

const keysUsage = `usage:
  irbot keys rotate                          add a new encryption key, make it current, re-wrap every incident's data key
  irbot keys erase INCIDENT --reason TEXT    destroy a closed incident's data key: its personal data becomes unreadable,
                                             its chain still verifies, and the erasure is recorded on its timeline
They read IRBOT_DATA_DIR, IRBOT_DATABASE_URL and IRBOT_ENCRYPTION_KEYS(_FILE) like irbot serve.
`

// keysCmd runs the key commands against the store and key ring directly
// (like login-link): they work with or without a running server.
func keysCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return 2
	}
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 2
	}
	switch args[0] {
	case "rotate":
		if len(args) != 1 {
			fmt.Fprint(stderr, keysUsage)
			return 2
		}
		return keysRotate(cfg, stdout, stderr)
	case "erase":
		fs := flag.NewFlagSet("irbot keys erase", flag.ContinueOnError)
		fs.SetOutput(stderr)
		reason := fs.String("reason", "", "why the data is erased (e.g. the retention period ended)")
		actor := fs.String("actor", "operator", "who erases, as recorded on the timeline")
		if len(args) < 2 || args[1] == "" || args[1][0] == '-' {
			fmt.Fprint(stderr, keysUsage)
			return 2
		}
		if err := fs.Parse(args[2:]); err != nil || fs.NArg() > 0 {
			fmt.Fprint(stderr, keysUsage)
			return 2
		}
		if *reason == "" {
			fmt.Fprintln(stderr, "irbot: keys erase needs --reason TEXT")
			return 2
		}
		// The reason and actor stay readable after the key is gone (they
		// say why the data went): the rule every text irbot records obeys.
		for _, err := range []error{workflows.CheckText("--reason", *reason, workflows.MaxReason), workflows.CheckLine("--actor", *actor, workflows.MaxName)} {
			if err != nil {
				fmt.Fprintf(stderr, "irbot: keys erase: %v\n", err)
				return 2
			}
		}
		return keysErase(cfg, args[1], *actor, *reason, stdout, stderr)
	}
	fmt.Fprintf(stderr, "irbot: unknown keys command %q\n%s", args[0], keysUsage)
	return 2
}

func openKeyed(cfg config.Config) (*keyring.Ring, store.Store, error) {
	ring, err := keyring.Load(keyring.Source{Inline: cfg.EncryptionKeys, File: cfg.EncryptionFile, DataDir: cfg.DataDir, Shared: cfg.TemporalAddress != "" && cfg.DatabaseURL != ""})
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(context.Background(), cfg.DatabaseURL, cfg.DataDir, store.WithKeyRing(ring))
	if err != nil {
		return nil, nil, err
	}
	return ring, st, nil
}

func keysRotate(cfg config.Config, stdout, stderr io.Writer) int {
	ring, st, err := openKeyed(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 1
	}
	defer st.Close()
	old := ring.Current()
	id, err := ring.Rotate()
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "added key %s to %s and made it current (was %s); older keys stay to read what they sealed\n", id, ring.Path(), old)
	n, total, err := st.RewrapDataKeys(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "irbot: re-wrapped %d of %d incident data keys, then: %v\n", n, total, err)
		return 1
	}
	fmt.Fprintf(stdout, "re-wrapped %d incident data key(s) with %s (%d checked)\n", n, id, total)
	fmt.Fprintln(stdout, "restart irbot serve so new payloads are sealed with the new key")
	return 0
}

func keysErase(cfg config.Config, incidentID, actor, reason string, stdout, stderr io.Writer) int {
	_, st, err := openKeyed(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 1
	}
	defer st.Close()
	ev, err := st.EraseIncidentData(context.Background(), incidentID, actor, reason)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
			return 2
		}
		return 1
	}
	fmt.Fprintf(stdout, "erased the personal data of %s: its data key is destroyed; recorded as event %d (%s); its chain still verifies\n", incidentID, ev.Seq, ev.Kind)
	return 0
}
