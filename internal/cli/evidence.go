package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/evidence"
	"github.com/irbot/irbot/internal/store"
)

// EvidenceUsage documents the evidence and breach register commands.
const EvidenceUsage = `Evidence:
  irbot evidence ID [-o FILE.zip]        the incident's evidence pack (default ID-evidence.zip), checked after download
  irbot verify --evidence FILE.zip [--checkpoint FILE [--public-key HEX]]
                                         check a pack offline: no server, no token; with a
                                         checkpoint kept away from the server (the digest's),
                                         also that the chain is the one it saw
  irbot breach-register [--from DATE] [--to DATE] [--regime ID] [--hipaa-year YYYY] [--format table|json|csv]
`

var evidenceCommands = []string{"evidence", "breach-register"}

// maxPack bounds a downloaded pack.
const maxPack = 512 << 20

// IsOffline reports whether args is a command that needs no server
// (irbot verify --evidence FILE.zip).
func IsOffline(args []string) bool {
	return len(args) > 0 && args[0] == "verify" && slices.ContainsFunc(args[1:], func(a string) bool {
		return a == "--evidence" || a == "-evidence" || strings.HasPrefix(a, "--evidence=") || strings.HasPrefix(a, "-evidence=")
	})
}

// VerifyEvidence is irbot verify --evidence FILE.zip: 0 when the pack is
// intact, 1 naming each changed file, 2 on bad usage.
func VerifyEvidence(args []string, stdout, stderr io.Writer) int {
	c := &client{stdout: stdout, stderr: stderr}
	fs, asJSON := c.flags("verify")
	file := fs.String("evidence", "", "the evidence pack (zip) to check")
	cpFile, pubKey := checkpointFlags(fs)
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if *file == "" || len(rest) > 0 {
		fmt.Fprintln(stderr, "usage: irbot verify --evidence FILE.zip [--checkpoint FILE [--public-key HEX]]")
		return 2
	}
	held, ok := readHeldCheckpoint(*cpFile, *pubKey, stderr)
	if !ok {
		return 2
	}
	f, err := os.Open(*file)
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return 2
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPack+1))
	_ = f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "irbot: reading %s: %v\n", *file, err)
		return 2
	}
	res := evidence.Verify(data)
	if held != nil {
		res = evidence.VerifyAgainst(data, *held)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else if res.OK {
		fmt.Fprintf(stdout, "ok: %s: %d files match the manifest, %d events recompute to chain head %s, %d notices (%d messages) match their hashes\n",
			res.IncidentID, res.Files, res.Events, res.ChainHead, res.Notices, res.EMLs)
		if held != nil {
			fmt.Fprintln(stdout, heldSummary(*held, *pubKey))
		}
	} else {
		fmt.Fprintf(stdout, "NOT OK: %s\n", *file)
		for _, p := range res.Problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
	}
	if !res.OK {
		return 1
	}
	return 0
}

func (c *client) evidence(args []string) int {
	fs, _ := c.flags("evidence")
	out := fs.String("o", "", "where to write the pack (default ID-evidence.zip)")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) != 1 {
		fmt.Fprintln(c.stderr, "usage: irbot evidence ID [-o FILE.zip]")
		return 2
	}
	id := rest[0]
	if *out == "" {
		*out = id + "-evidence.zip"
	}
	req, err := http.NewRequest(http.MethodGet, c.env.URL+"/api/v1/incidents/"+url.PathEscape(id)+"/evidence", nil)
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: %v\n", err)
		return 2
	}
	req.Header.Set("Authorization", "Bearer "+c.env.Token)
	resp, err := c.env.HTTP.Do(req)
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: cannot reach %s: %v\n", c.env.URL, err)
		return 1
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPack+1))
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: reading the pack: %v\n", err)
		return 1
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			fmt.Fprintf(c.stderr, "irbot: %s (HTTP %d)\n", e.Error, resp.StatusCode)
		} else {
			fmt.Fprintf(c.stderr, "irbot: HTTP %d\n", resp.StatusCode)
		}
		return 1
	}
	if len(data) > maxPack {
		fmt.Fprintf(c.stderr, "irbot: the pack is larger than %d MiB\n", maxPack>>20)
		return 1
	}
	if err := os.WriteFile(*out, data, 0o600); err != nil {
		fmt.Fprintf(c.stderr, "irbot: %v\n", err)
		return 1
	}
	res := evidence.Verify(data)
	if !res.OK {
		fmt.Fprintf(c.stdout, "wrote %s (%d bytes) but it does NOT verify:\n", *out, len(data))
		for _, p := range res.Problems {
			fmt.Fprintf(c.stdout, "  %s\n", p)
		}
		return 1
	}
	fmt.Fprintf(c.stdout, "wrote %s (%d bytes): %d events, chain head %s; verified offline\n", *out, len(data), res.Events, res.ChainHead)
	return 0
}

func (c *client) breachRegister(args []string) int {
	fs, asJSON := c.flags("breach-register")
	format := fs.String("format", "table", "table, json or csv")
	filters := map[string]*string{
		"from":       fs.String("from", "", "incidents declared from this date, like 2026-03-01"),
		"to":         fs.String("to", "", "incidents declared up to and including this date"),
		"regime":     fs.String("regime", "", "incidents under this regime"),
		"hipaa_year": fs.String("hipaa-year", "", "the HIPAA annual log of breaches under 500 people discovered in this year"),
	}
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(c.stderr, "irbot breach-register takes no arguments, got %q\n", rest[0])
		return 2
	}
	if *asJSON {
		*format = "json"
	}
	q := url.Values{}
	for name, v := range filters {
		if *v != "" {
			q.Set(name, *v)
		}
	}
	switch *format {
	case "json", "csv":
		q.Set("format", *format)
		raw, code := c.call(http.MethodGet, "/api/v1/breach-register?"+q.Encode(), nil, nil)
		return c.printRaw(raw, code, true)
	case "table":
	default:
		fmt.Fprintf(c.stderr, "irbot: --format must be table, json or csv, got %q\n", *format)
		return 2
	}
	var out struct {
		Entries []struct {
			IncidentID    string          `json:"incident_id"`
			Title         string          `json:"title"`
			Status        string          `json:"status"`
			DeclaredAt    string          `json:"declared_at"`
			Nature        string          `json:"nature"`
			SubjectsCount json.RawMessage `json:"subjects_count"`
			Obligations   []struct {
				Regime, Obligation, Outcome string
			} `json:"obligations"`
		} `json:"entries"`
	}
	raw, code := c.call(http.MethodGet, "/api/v1/breach-register?"+q.Encode(), nil, &out)
	if code != 0 {
		return c.printRaw(raw, code, false)
	}
	if len(out.Entries) == 0 {
		fmt.Fprintln(c.stdout, "no breaches for these filters")
		return 0
	}
	tw := c.table("INCIDENT\tDECLARED\tSTATUS\tSUBJECTS\tNATURE\tOBLIGATIONS")
	for _, e := range out.Entries {
		var obs []string
		for _, o := range e.Obligations {
			obs = append(obs, o.Regime+"/"+o.Obligation+" "+o.Outcome)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.IncidentID, shortTime(e.DeclaredAt), e.Status, string(e.SubjectsCount), clip(e.Nature, 40), strings.Join(obs, ", "))
	}
	_ = tw.Flush()
	return 0
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// checkpointFlags adds --checkpoint and --public-key to a verify command.
func checkpointFlags(fs *flag.FlagSet) (file, publicKey *string) {
	return fs.String("checkpoint", "", "a checkpoint kept away from the server (the daily digest's text, or its JSON): the chain must be the one it saw"),
		fs.String("public-key", "", "hex Ed25519 key the checkpoint must be signed by (default: the key it names)")
}

// readHeldCheckpoint reads and checks --checkpoint FILE; nil without one.
// ok is false after printing why the file cannot be used.
func readHeldCheckpoint(file, publicKey string, stderr io.Writer) (*store.Checkpoint, bool) {
	if file == "" {
		if publicKey != "" {
			fmt.Fprintln(stderr, "irbot: --public-key needs --checkpoint FILE")
			return nil, false
		}
		return nil, true
	}
	data, err := os.ReadFile(file) // #nosec G304 -- the --checkpoint FILE the person names on the command line
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %v\n", err)
		return nil, false
	}
	c, err := checkpoint.ParseHeld(data)
	if err == nil {
		err = checkpoint.Trust(c, publicKey)
	}
	if err != nil {
		fmt.Fprintf(stderr, "irbot: %s: %v\n", file, err)
		return nil, false
	}
	return &c, true
}

// heldSummary says what a held checkpoint vouched for.
func heldSummary(c store.Checkpoint, publicKey string) string {
	s := fmt.Sprintf("ok: the chain is the one checkpoint %d saw (signed %s by key %s", c.ID, c.At.UTC().Format(time.RFC3339), c.PublicKey)
	if publicKey == "" {
		s += "; pass --public-key to require that key"
	}
	return s + ")"
}
