package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// NoticeUsage documents the notice commands.
const NoticeUsage = `Notice commands:
  irbot notices ID                                        list an incident's notices
  irbot notice ID draft --regime R --obligation O [--to a@x,b@y] [--follows N1] [--language de]
  irbot notice ID NOTICE [show]                           the notice, its text and delivery attempts
  irbot notice ID NOTICE approve|reject|send|not-notify [--reason TEXT]
  irbot campaign ID FILE.csv [--notice N2] [--skip-invalid]   send an approved notice to a list (email,name,jurisdiction,language)
`

var noticeCommands = []string{"notices", "notice", "campaign"}

type noticeView struct {
	ID         string   `json:"id"`
	Regime     string   `json:"regime"`
	Obligation string   `json:"obligation"`
	Recipient  string   `json:"recipient"`
	To         []string `json:"to"`
	Status     string   `json:"status"`
	Missing    []string `json:"missing"`
	DraftedBy  string   `json:"drafted_by"`
	ApprovedBy string   `json:"approved_by"`
	MessageID  string   `json:"message_id"`
	DueAt      *string  `json:"due_at"`
	SentAt     *string  `json:"sent_at"`
	OnTime     *bool    `json:"on_time"`
	Subject    string   `json:"subject"`
	Text       string   `json:"text"`
	Reason     string   `json:"reason"`
	Follows    string   `json:"follows"`
	Attempts   []struct {
		N         int    `json:"n"`
		At        string `json:"at"`
		Outcome   string `json:"outcome"`
		Code      int    `json:"code"`
		Stage     string `json:"stage"`
		Uncertain bool   `json:"uncertain"`
	} `json:"attempts"`
}

func (c *client) notices(args []string) int {
	fs, asJSON := c.flags("notices")
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprint(c.stderr, NoticeUsage)
		return 2
	}
	var out struct {
		Notices []noticeView `json:"notices"`
	}
	raw, code := c.call(http.MethodGet, "/api/v1/incidents/"+url.PathEscape(pos[0])+"/notices", nil, &out)
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	if len(out.Notices) == 0 {
		fmt.Fprintf(c.stdout, "no notices; draft one: irbot notice %s draft --regime R --obligation O --to ADDRESS\n", pos[0])
		return 0
	}
	tw := c.table("NOTICE\tOBLIGATION\tSTATUS\tDRAFTED\tAPPROVED\tMISSING\tTO")
	for _, n := range out.Notices {
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, n.Regime, n.Obligation, n.Status, n.DraftedBy, n.ApprovedBy,
			strings.Join(n.Missing, ","), strings.Join(n.To, ","))
	}
	_ = tw.Flush()
	return 0
}

func (c *client) notice(args []string) int {
	fs, asJSON := c.flags("notice")
	regime := fs.String("regime", "", "regime id, e.g. eu-gdpr")
	obligation := fs.String("obligation", "", "obligation id, e.g. supervisory-authority")
	to := fs.String("to", "", "addresses, comma separated")
	follows := fs.String("follows", "", "the notice this one follows up (phased reporting)")
	language := fs.String("language", "", "the notice's language (BCP 47: en, de, fr); default: the regime's")
	reason := fs.String("reason", "", "why (rejecting, a late notice, a decision not to notify)")
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 2 {
		fmt.Fprint(c.stderr, NoticeUsage)
		return 2
	}
	inc := url.PathEscape(pos[0])
	var n noticeView
	var raw []byte
	var code int
	switch {
	case pos[1] == "draft":
		body := map[string]any{"regime": *regime, "obligation": *obligation, "to": splitList(*to)}
		if *follows != "" {
			body["follows"] = *follows
		}
		if *language != "" {
			body["language"] = *language
		}
		raw, code = c.call(http.MethodPost, "/api/v1/incidents/"+inc+"/notices", body, &n)
	case len(pos) == 2 || pos[2] == "show":
		raw, code = c.call(http.MethodGet, "/api/v1/incidents/"+inc+"/notices/"+url.PathEscape(pos[1]), nil, &n)
	default:
		typ := pos[2]
		if typ == "not-notify" {
			typ = "decide_not_to_notify"
		}
		raw, code = c.call(http.MethodPost, "/api/v1/incidents/"+inc+"/notices/"+url.PathEscape(pos[1])+"/actions",
			map[string]any{"type": typ, "reason": *reason}, &n)
	}
	if code != 0 || *asJSON {
		return c.printRaw(raw, code, *asJSON)
	}
	c.printNotice(n)
	return 0
}

func (c *client) printNotice(n noticeView) {
	fmt.Fprintf(c.stdout, "%s  %s/%s to %s: %s\n", n.ID, n.Regime, n.Obligation, n.Recipient, n.Status)
	fmt.Fprintf(c.stdout, "drafted by %s", n.DraftedBy)
	if n.ApprovedBy != "" {
		fmt.Fprintf(c.stdout, " · approved by %s", n.ApprovedBy)
	}
	if n.DueAt != nil {
		fmt.Fprintf(c.stdout, " · due %s", shortTime(*n.DueAt))
	}
	if n.SentAt != nil {
		fmt.Fprintf(c.stdout, " · sent %s", shortTime(*n.SentAt))
	}
	fmt.Fprintln(c.stdout)
	if len(n.To) > 0 {
		fmt.Fprintf(c.stdout, "to: %s\n", strings.Join(n.To, ", "))
	}
	if len(n.Missing) > 0 {
		fmt.Fprintf(c.stdout, "missing: %s (set them with: irbot act ID set_fact name=FIELD value=...)\n", strings.Join(n.Missing, ", "))
	}
	if n.MessageID != "" {
		fmt.Fprintf(c.stdout, "message-id: %s\n", n.MessageID)
	}
	if n.Reason != "" {
		fmt.Fprintf(c.stdout, "reason: %s\n", n.Reason)
	}
	for _, a := range n.Attempts {
		fmt.Fprintf(c.stdout, "attempt %d  %s  %s", a.N, shortTime(a.At), a.Outcome)
		if a.Code != 0 {
			fmt.Fprintf(c.stdout, " %d", a.Code)
		}
		if a.Stage != "" {
			fmt.Fprintf(c.stdout, " at %s", a.Stage)
		}
		if a.Uncertain {
			fmt.Fprint(c.stdout, " (uncertain)")
		}
		fmt.Fprintln(c.stdout)
	}
	if n.Subject != "" {
		fmt.Fprintf(c.stdout, "\nSubject: %s\n\n%s", n.Subject, n.Text)
	}
}

func (c *client) campaign(args []string) int {
	fs, asJSON := c.flags("campaign")
	notice := fs.String("notice", "", "the approved notice to individuals to send (default: the newest)")
	skip := fs.Bool("skip-invalid", false, "leave bad rows out instead of refusing the list")
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 {
		fmt.Fprint(c.stderr, NoticeUsage)
		return 2
	}
	f, err := os.Open(pos[1])
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: %v\n", err)
		return 2
	}
	defer func() { _ = f.Close() }()
	q := url.Values{}
	if *notice != "" {
		q.Set("notice", *notice)
	}
	if *skip {
		q.Set("skip_invalid", "true")
	}
	req, err := http.NewRequest(http.MethodPost, c.env.URL+"/api/v1/incidents/"+url.PathEscape(pos[0])+"/campaigns?"+q.Encode(), f)
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: %v\n", err)
		return 2
	}
	req.Header.Set("Authorization", "Bearer "+c.env.Token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := c.env.HTTP.Do(req)
	if err != nil {
		fmt.Fprintf(c.stderr, "irbot: cannot reach %s: %v\n", c.env.URL, err)
		return 1
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	var out struct {
		Error    string `json:"error"`
		Campaign string `json:"campaign"`
		Accepted int    `json:"accepted"`
		Invalid  []struct {
			Row    int    `json:"row"`
			Reason string `json:"reason"`
		} `json:"invalid"`
	}
	_ = json.Unmarshal(raw, &out)
	if *asJSON {
		_, _ = io.Copy(c.stdout, bytes.NewReader(raw))
	}
	for _, b := range out.Invalid {
		fmt.Fprintf(c.stderr, "row %d: %s\n", b.Row, b.Reason)
	}
	if resp.StatusCode >= 300 {
		fmt.Fprintf(c.stderr, "irbot: %s (HTTP %d)\n", out.Error, resp.StatusCode)
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(c.stdout, "campaign %s started: %d recipients (%d rows left out)\n", out.Campaign, out.Accepted, len(out.Invalid))
	}
	return 0
}
