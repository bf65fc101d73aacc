// Package campaign reads the recipient lists of customer notification
// campaigns: a CSV file with the columns email, name, jurisdiction and
// language (a header row names them; only email is required).
package campaign

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/irbot/irbot/internal/jurisdiction"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// MaxName is the longest recipient name a campaign list may give, in
// characters.
const MaxName = 200

// MaxRows bounds one upload.
const MaxRows = 200000

// BadRow is a row that cannot be used, with the reason a person can fix.
type BadRow struct {
	Row    int    `json:"row"` // line number in the file; the header is row 1
	Reason string `json:"reason"`
}

var (
	languageRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	columns    = []string{"email", "name", "jurisdiction", "language"}
)

// Parse reads a recipient list. It returns the good rows and every bad one;
// err is for a file that cannot be read as a list at all (no header, not
// CSV). Addresses are compared case-insensitively: a repeat is a bad row.
func Parse(r io.Reader) ([]store.CampaignRecipient, []BadRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the file is empty: the first row must name the columns, e.g. email,name,jurisdiction,language")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the file is not CSV: %v", err)
	}
	idx := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(columns, h) {
			return nil, nil, fmt.Errorf("unknown column %q in the header; columns are %s", h, strings.Join(columns, ", "))
		}
		if _, dup := idx[h]; dup {
			return nil, nil, fmt.Errorf("column %q appears twice in the header", h)
		}
		idx[h] = i
	}
	if _, ok := idx["email"]; !ok {
		return nil, nil, errors.New("the header has no email column; the first row must name the columns, e.g. email,name,jurisdiction,language")
	}
	var good []store.CampaignRecipient
	var bad []BadRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, BadRow{Row: pe.StartLine, Reason: "not valid CSV: " + pe.Err.Error()})
				continue
			}
			return nil, nil, fmt.Errorf("reading the file: %v", err)
		}
		// Only after a record was read: FieldPos panics after a parse error
		// (found by FuzzParse: a bare quote in a row's first field).
		line, _ := cr.FieldPos(0)
		if len(good)+len(bad) >= MaxRows {
			return nil, nil, fmt.Errorf("the list has more than %d rows: split it into several campaigns", MaxRows)
		}
		get := func(col string) string {
			if i, ok := idx[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		row, reason := check(get("email"), get("name"), get("jurisdiction"), get("language"))
		if reason == "" {
			key := strings.ToLower(row.Email)
			if first, dup := seen[key]; dup {
				reason = fmt.Sprintf("the same address as row %d", first)
			} else {
				seen[key] = line
			}
		}
		if reason != "" {
			bad = append(bad, BadRow{Row: line, Reason: reason})
			continue
		}
		row.Row = line
		good = append(good, row)
	}
	return good, bad, nil
}

func check(email, name, juris, language string) (store.CampaignRecipient, string) {
	r := store.CampaignRecipient{Name: name, Jurisdiction: strings.ToUpper(juris), Language: language}
	if email == "" {
		return r, "no email address"
	}
	a, err := netmail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n") {
		// The address itself is not repeated: it may be a person's data.
		return r, "the email address is not valid (use the bare address, e.g. ann@example.com)"
	}
	r.Email = strings.ToLower(email)
	// The same rule as every other line of text irbot takes (counted in
	// characters, so a name in another script is not cut short by its
	// bytes; no NUL, control or direction-override characters): the name
	// goes into a letter's greeting.
	if err := workflows.CheckLine("the name", name, MaxName); err != nil {
		return r, err.Error()
	}
	if juris != "" {
		code, err := jurisdiction.Parse(juris)
		if err != nil {
			return r, "jurisdiction " + err.Error()
		}
		r.Jurisdiction = code
	}
	if language != "" && !languageRE.MatchString(language) {
		return r, fmt.Sprintf("language %q is not a language tag such as en, de or pt-BR", language)
	}
	return r, ""
}
