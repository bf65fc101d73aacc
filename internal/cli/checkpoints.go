package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/store"
)

// CheckpointUsage documents the checkpoint and tombstone commands.
const CheckpointUsage = `Checkpoints and tombstones:
  irbot checkpoint [latest|N] [--format json|text] [--out FILE]
                                         with no N: have the server sign a checkpoint of every
                                         chain head now; else fetch checkpoint N (or the latest).
                                         Keep FILE away from the server, then later:
                                         irbot verify ID --checkpoint FILE --public-key HEX
  irbot tombstones [--from DATE] [--to DATE]   incidents retention purged (by purge time), with their final chain head
`

var checkpointCommands = []string{"checkpoint", "tombstones"}

func (c *client) checkpoint(args []string) int {
	fs, _ := c.flags("checkpoint")
	format := fs.String("format", "json", "json, or text (the daily digest's form)")
	out := fs.String("out", "", "write the checkpoint to this file (default: print it)")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 1 || (*format != "json" && *format != "text") {
		fmt.Fprintln(c.stderr, "usage: irbot checkpoint [latest|N] [--format json|text] [--out FILE]")
		return 2
	}
	method, path := http.MethodPost, "/api/v1/checkpoints"
	if len(rest) == 1 {
		if n, err := strconv.ParseInt(rest[0], 10, 64); rest[0] != "latest" && (err != nil || n < 1) {
			fmt.Fprintf(c.stderr, "irbot checkpoint: %q is not a checkpoint number (1, 2, ...) or latest\n", clip(rest[0], 40))
			return 2
		}
		method, path = http.MethodGet, path+"/"+url.PathEscape(rest[0])
	}
	raw, code := c.call(method, path+"?format="+*format, nil, nil)
	if code != 0 {
		return code
	}
	// Check what came before keeping it: a copy that does not verify is
	// worth nothing later.
	held, err := checkpoint.ParseHeld(raw)
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: the server's checkpoint does not check: %v\n", err)
		return 1
	}
	if *out == "" {
		return c.printRaw(raw, 0, true)
	}
	if err := os.WriteFile(*out, raw, 0o600); err != nil {
		fmt.Fprintf(c.stderr, "irbot: %v\n", err)
		return 1
	}
	fmt.Fprintf(c.stdout, "wrote %s: %s\n", *out, describeCheckpoint(held))
	return 0
}

// describeCheckpoint is one line saying what a checkpoint vouches for.
func describeCheckpoint(c store.Checkpoint) string {
	heads := 0
	if b, err := c.ReadBody(); err == nil {
		heads = len(b.Heads)
	}
	return fmt.Sprintf("checkpoint %d, signed %s by Ed25519 key %s, %d chain heads", c.ID, c.At.UTC().Format(time.RFC3339), c.PublicKey, heads)
}

func (c *client) tombstones(args []string) int {
	fs, asJSON := c.flags("tombstones")
	from := fs.String("from", "", "purged from this date, like 2026-03-01")
	to := fs.String("to", "", "purged up to and including this date")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(c.stderr, "irbot tombstones takes no arguments, got %q\n", clip(rest[0], 40))
		return 2
	}
	q := url.Values{}
	for name, v := range map[string]string{"from": *from, "to": *to} {
		if v != "" {
			q.Set(name, v) // the server checks them and names a bad one
		}
	}
	path := "/api/v1/tombstones"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var list struct {
		Tombstones []store.Tombstone `json:"tombstones"`
	}
	raw, code := c.call(http.MethodGet, path, nil, &list)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	if len(list.Tombstones) == 0 {
		fmt.Fprintln(c.stdout, "no purged incidents")
		return 0
	}
	tw := c.table("INCIDENT\tDECLARED\tCLOSED\tPURGED\tEVENTS\tFINAL HASH\tTITLE\tREASON")
	for _, t := range list.Tombstones {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", t.IncidentID, t.DeclaredAt.UTC().Format("2006-01-02 15:04"), t.ClosedAt.UTC().Format("2006-01-02 15:04"),
			t.PurgedAt.UTC().Format("2006-01-02 15:04"), t.Events, t.FinalHash, clip(t.Title, 40), clip(t.Reason, 40))
	}
	_ = tw.Flush()
	return 0
}
