// Package cli is irbot's command-line client of the JSON API: declare, list,
// show, act, timeline, verify and register. It holds no business rules; the
// server decides and explains.
package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/evidence"
	"github.com/irbot/irbot/internal/store"
)

// Usage documents the API client commands.
const Usage = `API client commands (IRBOT_URL, default http://127.0.0.1:8080; IRBOT_TOKEN):
  irbot declare [--severity S] [--summary TEXT] [--aware-at RFC3339] [--regime ID,...] [--mode live|drill] [--playbook ID] TITLE...
  irbot list
  irbot show ID
  irbot act ID TYPE [KEY=VALUE ...]     e.g. act INC-2026-0001 complete_task task=isolate-systems
                                         act INC-2026-0001 set_fact name=affected 'value={"US-CA":600}'
                                         act INC-2026-0001 approve gate=risk-assessment
  irbot timeline ID [--format json|csv|md]
  irbot verify ID [--checkpoint FILE [--public-key HEX]]   with a checkpoint kept elsewhere (the digest's): the chain is recomputed here and must be the one it saw
  irbot register [--format json|csv] [--from DATE] [--to DATE] [--incident ID] [--regime R] [--status S]
Every command takes --json to print the server's JSON answer as is.
`

var commands = []string{"declare", "list", "show", "act", "timeline", "verify", "register"}

// Handles reports whether name is an API client command.
func Handles(name string) bool {
	return slices.Contains(commands, name) || slices.Contains(noticeCommands, name) || slices.Contains(drillCommands, name) || slices.Contains(evidenceCommands, name) || slices.Contains(checkpointCommands, name)
}

// Env is what the client reads from the environment.
type Env struct {
	URL   string
	Token string
	HTTP  *http.Client
}

// EnvFrom reads IRBOT_URL and IRBOT_TOKEN.
func EnvFrom(getenv func(string) string) Env {
	u := getenv("IRBOT_URL")
	if u == "" {
		u = "http://127.0.0.1:8080"
	}
	return Env{URL: strings.TrimRight(u, "/"), Token: getenv("IRBOT_TOKEN")}
}

type client struct {
	env    Env
	stdout io.Writer
	stderr io.Writer
}

// Run runs one client command and returns the exit code: 0 ok, 1 the server
// refused or failed, 2 bad usage.
func Run(args []string, env Env, stdout, stderr io.Writer) int {
	if IsOffline(args) {
		return VerifyEvidence(args[1:], stdout, stderr)
	}
	c := &client{env: env, stdout: stdout, stderr: stderr}
	if c.env.HTTP == nil {
		c.env.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if c.env.Token == "" {
		fmt.Fprintln(stderr, "irbot: IRBOT_TOKEN is not set: the API needs a bearer token")
		return 2
	}
	if u, err := url.Parse(c.env.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "irbot: IRBOT_URL must be an http(s) URL, got %q\n", c.env.URL)
		return 2
	}
	switch args[0] {
	case "declare":
		return c.declare(args[1:])
	case "list":
		return c.list(args[1:])
	case "show":
		return c.show(args[1:])
	case "act":
		return c.act(args[1:])
	case "timeline":
		return c.timeline(args[1:])
	case "verify":
		return c.verify(args[1:])
	case "register":
		return c.register(args[1:])
	case "notices":
		return c.notices(args[1:])
	case "notice":
		return c.notice(args[1:])
	case "campaign":
		return c.campaign(args[1:])
	case "drill":
		return c.drill(args[1:])
	case "evidence":
		return c.evidence(args[1:])
	case "breach-register":
		return c.breachRegister(args[1:])
	case "checkpoint":
		return c.checkpoint(args[1:])
	case "tombstones":
		return c.tombstones(args[1:])
	}
	fmt.Fprint(stderr, Usage)
	return 2
}

// parse parses flags that may come before or after the positional
// arguments ("irbot timeline ID --format csv"), keeping the positionals in order.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (c *client) flags(name string) (*flag.FlagSet, *bool) {
	fs := flag.NewFlagSet("irbot "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	asJSON := fs.Bool("json", false, "print the server's JSON answer")
	return fs, asJSON
}

// call sends a request and decodes a JSON answer into out (if not nil). It
// returns the raw body for --json and an exit code.
func (c *client) call(method, path string, body any, out any) ([]byte, int) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			fmt.Fprintf(c.stderr, "irbot: %v\n", err)
			return nil, 2
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.env.URL+path, rd)
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: %v\n", err)
		return nil, 2
	}
	req.Header.Set("Authorization", "Bearer "+c.env.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.env.HTTP.Do(req)
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: cannot reach %s: %v\n", c.env.URL, err)
		return nil, 1
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: reading the answer: %v\n", err)
		return nil, 1
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			fmt.Fprintf(c.stderr, "irbot: %s (HTTP %d)\n", e.Error, resp.StatusCode)
		} else {
			fmt.Fprintf(c.stderr, "irbot: HTTP %d\n", resp.StatusCode)
		}
		return raw, 1
	}
	if out != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, out); err != nil {
			fmt.Fprintf(c.stderr, "irbot: unexpected answer: %v\n", err)
			return raw, 1
		}
	}
	return raw, 0
}

// incidentView is the part of an incident's state the CLI prints.
type incidentView struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Severity   string `json:"severity"`
	Mode       string `json:"mode"`
	Status     string `json:"status"`
	Phase      string `json:"phase"`
	NextAction string `json:"next_action"`
	DeclaredAt string `json:"declared_at"`
	Tasks      []struct {
		ID, Title, Phase, Role string
		Required, Done         bool
	} `json:"tasks"`
	Gates []struct {
		ID, Title, Phase string
		Roles            []string
		Approved         bool
		Approvals        []struct{ By string }
	} `json:"gates"`
	Clocks []struct {
		Regime     string  `json:"regime"`
		Obligation string  `json:"obligation"`
		Recipient  string  `json:"recipient"`
		DueAt      *string `json:"due_at"`
		Status     string  `json:"status"`
		WaitingFor string  `json:"waiting_for"`
		MetBy      string  `json:"met_by"`
		LateBy     string  `json:"late_by"`
		Proposed   *struct {
			By string `json:"by"`
		} `json:"proposed"`
	} `json:"clocks"`
	Roles []struct{ Role, User string } `json:"roles"`
}

func (c *client) declare(args []string) int {
	fs, asJSON := c.flags("declare")
	sev := fs.String("severity", "", "critical, high, medium or low (default high)")
	summary := fs.String("summary", "", "what happened")
	aware := fs.String("aware-at", "", "when the organisation became aware (RFC 3339; default now)")
	regimes := fs.String("regime", "", "regimes, comma separated (default: the playbook's)")
	mode := fs.String("mode", "", "live or drill")
	pb := fs.String("playbook", "", "playbook id (default data-breach)")
	title := fs.String("title", "", "title (or give it as the remaining arguments)")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	t := strings.TrimSpace(strings.Join(append([]string{*title}, rest...), " "))
	if t == "" {
		fmt.Fprintln(c.stderr, "irbot declare: a title is required, e.g. irbot declare Laptop with customer data stolen")
		return 2
	}
	body := map[string]any{"title": t}
	for k, v := range map[string]string{"severity": *sev, "summary": *summary, "aware_at": *aware, "mode": *mode, "playbook": *pb} {
		if v != "" {
			body[k] = v
		}
	}
	if *regimes != "" {
		body["regimes"] = splitList(*regimes)
	}
	var st incidentView
	raw, code := c.call(http.MethodPost, "/api/v1/incidents", body, &st)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	fmt.Fprintf(c.stdout, "declared %s: %s (%s, %s)\n", st.ID, st.Title, st.Severity, st.Mode)
	fmt.Fprintf(c.stdout, "next: irbot show %s\n", st.ID)
	return 0
}

func (c *client) list(args []string) int {
	fs, asJSON := c.flags("list")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(c.stderr, "irbot list takes no arguments, got %q\n", rest[0])
		return 2
	}
	var out struct {
		Incidents []incidentView `json:"incidents"`
	}
	raw, code := c.call(http.MethodGet, "/api/v1/incidents", nil, &out)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	if len(out.Incidents) == 0 {
		fmt.Fprintln(c.stdout, "no incidents")
		return 0
	}
	tw := c.table("ID\tSTATUS\tSEVERITY\tMODE\tPHASE\tDECLARED\tTITLE")
	for _, i := range out.Incidents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i.ID, i.Status, i.Severity, i.Mode, i.Phase, shortTime(i.DeclaredAt), i.Title)
	}
	_ = tw.Flush()
	return 0
}

func (c *client) show(args []string) int {
	fs, asJSON := c.flags("show")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) != 1 {
		fmt.Fprintln(c.stderr, "usage: irbot show ID")
		return 2
	}
	var st incidentView
	raw, code := c.call(http.MethodGet, "/api/v1/incidents/"+url.PathEscape(rest[0]), nil, &st)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	c.printIncident(st)
	return 0
}

func (c *client) printIncident(st incidentView) {
	fmt.Fprintf(c.stdout, "%s  %s\n", st.ID, st.Title)
	fmt.Fprintf(c.stdout, "status %s · severity %s · mode %s · phase %s\n", st.Status, st.Severity, st.Mode, st.Phase)
	if st.NextAction != "" {
		fmt.Fprintf(c.stdout, "next: %s\n", st.NextAction)
	}
	tw := c.table("\nTASK\tPHASE\tROLE\tDONE\tTITLE")
	for _, t := range st.Tasks {
		done := " "
		if t.Done {
			done = "x"
		}
		req := ""
		if !t.Required {
			req = " (optional)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t[%s]\t%s%s\n", t.ID, t.Phase, t.Role, done, t.Title, req)
	}
	if len(st.Gates) > 0 {
		fmt.Fprintln(tw, "\nGATE\tPHASE\tROLES\tAPPROVED\tTITLE")
		for _, g := range st.Gates {
			ok := fmt.Sprintf("%d", len(g.Approvals))
			if g.Approved {
				ok = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.ID, g.Phase, strings.Join(g.Roles, ","), ok, g.Title)
		}
	}
	if len(st.Clocks) > 0 {
		fmt.Fprintln(tw, "\nCLOCK\tRECIPIENT\tSTATUS\tDUE\tLEFT")
		for _, k := range st.Clocks {
			due, left := "-", k.WaitingFor
			if k.DueAt != nil {
				due = shortTime(*k.DueAt)
				left = timeLeft(*k.DueAt)
			}
			if left != "" && k.WaitingFor != "" {
				left = "waiting for " + k.WaitingFor
			}
			// A settled clock stops counting: it shows its fixed margin.
			switch margin := deadline.Settled(k.MetBy, k.LateBy); {
			case margin != "":
				left = margin
			case k.Status == "met" || k.Status == "late" || k.Status == "not_notified":
				left = "-"
			case k.Proposed != nil:
				left += " (not notifying proposed by " + k.Proposed.By + "; needs a second person)"
			}
			fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\t%s\n", k.Regime, k.Obligation, k.Recipient, k.Status, due, left)
		}
	}
	if len(st.Roles) > 0 {
		fmt.Fprintln(tw, "\nROLE\tHOLDER")
		for _, r := range st.Roles {
			fmt.Fprintf(tw, "%s\t%s\n", r.Role, r.User)
		}
	}
	_ = tw.Flush()
}

func (c *client) act(args []string) int {
	fs, asJSON := c.flags("act")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) < 2 {
		fmt.Fprintln(c.stderr, "usage: irbot act ID TYPE [KEY=VALUE ...]")
		return 2
	}
	body := map[string]any{"type": rest[1]}
	for _, kv := range rest[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(c.stderr, "irbot act: %q is not KEY=VALUE\n", kv)
			return 2
		}
		if k == "value" {
			// Fact values may be JSON (objects, numbers, lists) or plain text.
			var j any
			if json.Unmarshal([]byte(v), &j) == nil {
				body[k] = j
				continue
			}
		}
		body[k] = v
	}
	var st incidentView
	raw, code := c.call(http.MethodPost, "/api/v1/incidents/"+url.PathEscape(rest[0])+"/actions", body, &st)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	fmt.Fprintf(c.stdout, "ok: %s on %s\n", rest[1], st.ID)
	fmt.Fprintf(c.stdout, "status %s · phase %s\n", st.Status, st.Phase)
	if st.NextAction != "" {
		fmt.Fprintf(c.stdout, "next: %s\n", st.NextAction)
	}
	return 0
}

func (c *client) timeline(args []string) int {
	fs, asJSON := c.flags("timeline")
	format := fs.String("format", "", "json, csv or md (default: a table)")
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) != 1 {
		fmt.Fprintln(c.stderr, "usage: irbot timeline ID [--format json|csv|md]")
		return 2
	}
	path := "/api/v1/incidents/" + url.PathEscape(rest[0]) + "/timeline"
	if *format != "" {
		raw, code := c.call(http.MethodGet, path+"?format="+url.QueryEscape(*format), nil, nil)
		return c.printRaw(raw, code, true)
	}
	var out struct {
		Events []struct {
			Seq   int64           `json:"seq"`
			At    string          `json:"at"`
			Kind  string          `json:"kind"`
			Actor string          `json:"actor"`
			Data  json.RawMessage `json:"data"`
		} `json:"events"`
	}
	raw, code := c.call(http.MethodGet, path, nil, &out)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	tw := c.table("#\tAT (UTC)\tKIND\tACTOR\tDETAILS")
	for _, e := range out.Events {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, shortTime(e.At), e.Kind, e.Actor, summarize(e.Data))
	}
	_ = tw.Flush()
	return 0
}

func (c *client) verify(args []string) int {
	fs, asJSON := c.flags("verify")
	cpFile, pubKey := checkpointFlags(fs)
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) != 1 {
		fmt.Fprintln(c.stderr, "usage: irbot verify ID [--checkpoint FILE [--public-key HEX]]")
		return 2
	}
	held, ok := readHeldCheckpoint(*cpFile, *pubKey, c.stderr)
	if !ok {
		return 2
	}
	var out struct {
		OK          bool   `json:"ok"`
		Events      int    `json:"events"`
		FirstBadSeq int64  `json:"first_bad_seq"`
		Reason      string `json:"reason"`
	}
	raw, code := c.call(http.MethodGet, "/api/v1/incidents/"+url.PathEscape(rest[0])+"/timeline/verify", nil, &out)
	if code != 0 || *asJSON {
		if code == 0 && !out.OK {
			code = 1
		}
		return c.printRaw(raw, code, *asJSON)
	}
	if !out.OK {
		fmt.Fprintf(c.stdout, "NOT OK: first bad event %d of %d: %s\n", out.FirstBadSeq, out.Events, out.Reason)
		return 1
	}
	fmt.Fprintf(c.stdout, "ok: %d events, hash chain intact\n", out.Events)
	if held == nil {
		return 0
	}
	return c.verifyHeld(rest[0], *held, *pubKey)
}

// verifyHeld recomputes the incident's chain here, from the events the
// server sends, and checks it against a checkpoint kept elsewhere: a
// server whose whole database was rewritten answers its own verify with
// ok, but not with the chain the checkpoint saw.
func (c *client) verifyHeld(id string, held store.Checkpoint, publicKey string) int {
	var tl struct {
		Events []store.Event `json:"events"`
	}
	if _, code := c.call(http.MethodGet, "/api/v1/incidents/"+url.PathEscape(id)+"/timeline", nil, &tl); code != 0 {
		return code
	}
	if p := evidence.ChainProblem(tl.Events); p != "" {
		fmt.Fprintf(c.stdout, "NOT OK: recomputed here, the timeline the server sends is not a sound chain: %s\n", p)
		return 1
	}
	if err := checkpoint.CheckChain(held, id, tl.Events); err != nil {
		fmt.Fprintf(c.stdout, "NOT OK: %v\n", err)
		return 1
	}
	fmt.Fprintln(c.stdout, heldSummary(held, publicKey))
	return 0
}

func (c *client) register(args []string) int {
	fs, asJSON := c.flags("register")
	format := fs.String("format", "", "json or csv (default: a table)")
	filters := map[string]*string{
		"from":     fs.String("from", "", "entries sent (else recorded) from this date, like 2026-03-01"),
		"to":       fs.String("to", "", "entries up to and including this date"),
		"incident": fs.String("incident", "", "entries of this incident"),
		"regime":   fs.String("regime", "", "entries of this regime"),
		"status":   fs.String("status", "", "entries with this status, e.g. sent or not_notified"),
	}
	rest, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(c.stderr, "irbot register takes no arguments, got %q\n", rest[0])
		return 2
	}
	q := url.Values{}
	for name, v := range filters {
		if *v != "" {
			q.Set(name, *v) // the server checks them and names a bad one
		}
	}
	path := "/api/v1/register"
	if *format != "" {
		q.Set("format", *format)
		raw, code := c.call(http.MethodGet, path+"?"+q.Encode(), nil, nil)
		return c.printRaw(raw, code, true)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Entries []struct {
			IncidentID string  `json:"incident_id"`
			Kind       string  `json:"kind"`
			Regime     string  `json:"regime"`
			Obligation string  `json:"obligation"`
			Status     string  `json:"status"`
			DueAt      *string `json:"due_at"`
			SentAt     *string `json:"sent_at"`
			OnTime     *bool   `json:"on_time"`
			Reference  string  `json:"reference"`
		} `json:"entries"`
	}
	raw, code := c.call(http.MethodGet, path, nil, &out)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	if len(out.Entries) == 0 {
		fmt.Fprintln(c.stdout, "the register is empty")
		return 0
	}
	tw := c.table("INCIDENT\tKIND\tOBLIGATION\tSTATUS\tDUE\tSENT\tON TIME\tREFERENCE")
	for _, e := range out.Entries {
		onTime := "-"
		if e.OnTime != nil {
			onTime = map[bool]string{true: "yes", false: "LATE"}[*e.OnTime]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\t%s\n", e.IncidentID, e.Kind, e.Regime, e.Obligation, e.Status,
			optTime(e.DueAt), optTime(e.SentAt), onTime, e.Reference)
	}
	_ = tw.Flush()
	return 0
}

// table starts a table on stdout with its header row: columns two spaces
// apart, as every listing of the CLI prints them.
func (c *client) table(header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}

func (c *client) printRaw(raw []byte, code int, show bool) int {
	if show && len(raw) > 0 {
		_, _ = c.stdout.Write(raw)
		if raw[len(raw)-1] != '\n' {
			fmt.Fprintln(c.stdout)
		}
	}
	return code
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func optTime(s *string) string {
	if s == nil {
		return "-"
	}
	return shortTime(*s)
}

// timeLeft says how long until s, or how long ago.
func timeLeft(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	return deadline.Left(t, time.Now())
}

// summarize renders event data as short key=value pairs.
func summarize(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		v := m[k]
		if v == nil || v == "" {
			continue
		}
		s := fmt.Sprint(v)
		if b, err := json.Marshal(v); err == nil && (strings.HasPrefix(string(b), "{") || strings.HasPrefix(string(b), "[")) {
			s = string(b)
		}
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, " ")
}
