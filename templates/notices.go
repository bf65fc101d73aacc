package templates

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"

	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/irbot/irbot/internal/deadline"
)

// Notice templates live in notices/: "<regime>.<obligation>.txt.tmpl" (and
// ".html.tmpl") where a regime needs content of its own, else the generic
// "<recipient>.txt.tmpl" (authority, individuals; anything else uses the
// authority one). A text template defines "subject" and "body"; an HTML
// template defines "body".
//
//go:embed notices
var noticeFiles embed.FS

// NoticeFollow is the notice a follow-up refers to (GDPR Art. 33(4) phased
// reporting).
type NoticeFollow struct {
	NoticeID  string `json:"notice_id"`
	MessageID string `json:"message_id"`
	SentAt    string `json:"sent_at"`
	Reference string `json:"reference,omitempty"`
}

// NoticeData is everything a notice template may use.
type NoticeData struct {
	IncidentID      string
	IncidentTitle   string
	Regime          string
	RegimeName      string
	Obligation      string
	ObligationName  string
	Recipient       string // authority, individuals, media, public, other
	RecipientDetail string
	Source          string
	DueAt           string
	LateReason      string
	// Required are the content fields the rule requires, in the rule's order.
	Required []string
	// Facts are the incident's facts by name (as set_fact stores them).
	Facts map[string]any
	// Follows is set on a follow-up notice.
	Follows *NoticeFollow
	// Name greets one person in a customer campaign.
	Name string
	// Language is the notice's BCP 47 tag ("de", "fr"); "" is English, as
	// every notice was before languages existed.
	Language string `json:"Language,omitempty"`
}

// RenderedNotice is a notice ready to send.
type RenderedNotice struct {
	Template string   `json:"template"`
	Subject  string   `json:"subject"`
	Text     string   `json:"text"`
	HTML     string   `json:"html"`
	Missing  []string `json:"missing"`
	// ContentHash is the hex SHA-256 of subject, text and HTML: what the
	// register proves was sent.
	ContentHash string `json:"content_hash"`
}

// fieldLabels name content fields the way a regulator reads them.
var fieldLabels = map[string]string{
	"nature":                "Nature of the breach",
	"data_categories":       "Categories of personal data concerned",
	"subjects_count":        "Approximate number of data subjects concerned",
	"records_count":         "Approximate number of records concerned",
	"dpo_contact":           "Data protection officer or other contact point",
	"consequences":          "Likely consequences",
	"measures":              "Measures taken or proposed",
	"aware_at":              "Became aware at",
	"discovered_at":         "Discovered at",
	"affected":              "Affected people by jurisdiction",
	"steps_for_individuals": "What affected people can do",
}

// FieldLabel is the label a notice shows for a content field.
func FieldLabel(name string) string {
	if l, ok := fieldLabels[name]; ok {
		return l
	}
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// FieldText formats a fact for a notice; ok is false when it is not known.
func FieldText(facts map[string]any, name string) (string, bool) {
	v, ok := facts[name]
	if !ok || v == nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		x = strings.TrimSpace(x)
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil && strings.HasSuffix(name, "_at") {
			return t.UTC().Format("2 January 2006 15:04 UTC"), true
		}
		return x, x != ""
	case []string:
		return strings.Join(x, ", "), len(x) > 0
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, ", "), len(parts) > 0
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range deadline.SortedKeys(x) {
			parts = append(parts, fmt.Sprintf("%s: %v", k, numberText(x[k])))
		}
		return strings.Join(parts, ", "), len(parts) > 0
	default:
		return numberText(x), true
	}
}

func numberText(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case json.Number:
		return n.String()
	}
	return fmt.Sprint(v)
}

// MissingFields lists the required fields the facts do not give yet.
func MissingFields(required []string, facts map[string]any) []string {
	missing := []string{}
	for _, f := range required {
		if _, ok := FieldText(facts, f); !ok {
			missing = append(missing, f)
		}
	}
	return missing
}

// fieldTextIn is FieldText with times written the way a notice in lang
// writes them.
func fieldTextIn(lang string, facts map[string]any, name string) (string, bool) {
	s, ok := FieldText(facts, name)
	if !ok || baseLanguage(lang) == DefaultLanguage || !strings.HasSuffix(name, "_at") {
		return s, ok
	}
	if raw, isString := facts[name].(string); isString {
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(raw)); err == nil {
			return dateIn(lang, t), true
		}
	}
	return s, ok
}

// shown are fields a template writes out by name; other required fields are
// listed under Extra so that no required content is ever left out.
var shown = map[string][]string{
	"eu-gdpr.supervisory-authority": {"aware_at", "nature", "data_categories", "subjects_count", "records_count", "dpo_contact", "consequences", "measures"},
	"eu-nis2.early-warning":         {"aware_at", "suspected_malicious_cause", "cross_border_impact"},
	"individuals":                   {"nature", "data_categories", "consequences", "measures", "steps_for_individuals", "dpo_contact"},
}

// RenderNotice renders a notice's subject, text and HTML from its template.
// It is a pure function of d, so a workflow may call it.
func RenderNotice(d NoticeData) (RenderedNotice, error) {
	name := noticeTemplateName(d.Regime, d.Obligation, d.Recipient)
	lang := d.Language
	if baseLanguage(lang) != DefaultLanguage {
		// Times the workflow wrote in English are written in lang.
		d.DueAt = localDate(lang, d.DueAt)
		if d.Follows != nil {
			f := *d.Follows
			f.SentAt = localDate(lang, f.SentAt)
			d.Follows = &f
		}
	}
	data := struct {
		NoticeData
		Extra []string
	}{NoticeData: d}
	for _, f := range d.Required {
		if !slices.Contains(shown[name], f) {
			data.Extra = append(data.Extra, f)
		}
	}
	if d.Facts == nil {
		data.Facts = map[string]any{}
	}
	field := func(dd any, f string) string {
		if s, ok := fieldTextIn(lang, data.Facts, f); ok {
			return s
		}
		return MissingText(lang, f)
	}
	has := func(dd any, f string) bool {
		_, ok := FieldText(data.Facts, f)
		return ok || slices.Contains(d.Required, f)
	}
	label := func(f string) string { return FieldLabelIn(lang, f) }
	funcs := map[string]any{"label": label, "field": field, "has": has}

	txtPath, htmlPath := noticeTemplatePath(name, lang, ".txt.tmpl"), noticeTemplatePath(name, lang, ".html.tmpl")
	if baseLanguage(lang) != DefaultLanguage {
		name = baseLanguage(lang) + "/" + name
	}
	txt, err := texttemplate.New(path.Base(txtPath)).Funcs(funcs).ParseFS(noticeFiles, txtPath)
	if err != nil {
		return RenderedNotice{}, fmt.Errorf("notice template %s: %w", name, err)
	}
	var subj, body, html bytes.Buffer
	if err := txt.ExecuteTemplate(&subj, "subject", data); err != nil {
		return RenderedNotice{}, fmt.Errorf("notice template %s subject: %w", name, err)
	}
	if err := txt.ExecuteTemplate(&body, "body", data); err != nil {
		return RenderedNotice{}, fmt.Errorf("notice template %s body: %w", name, err)
	}
	// The HTML alternative is optional: a template without one (the NIS2
	// early warning) is sent as text only.
	if _, err := fs.Stat(noticeFiles, htmlPath); err == nil {
		ht, err := htmltemplate.New(path.Base(htmlPath)).Funcs(htmltemplate.FuncMap(funcs)).ParseFS(noticeFiles, htmlPath)
		if err != nil {
			return RenderedNotice{}, fmt.Errorf("notice template %s (HTML): %w", name, err)
		}
		if err := ht.ExecuteTemplate(&html, "body", data); err != nil {
			return RenderedNotice{}, fmt.Errorf("notice template %s (HTML): %w", name, err)
		}
	}
	r := RenderedNotice{
		Template: name,
		Subject:  strings.Join(strings.Fields(subj.String()), " "),
		Text:     strings.TrimSpace(body.String()) + "\n",
		HTML:     html.String(),
		Missing:  MissingFields(d.Required, data.Facts),
	}
	r.ContentHash = ContentHash(r.Subject, r.Text, r.HTML)
	return r, nil
}

// ContentHash is the hex SHA-256 over a notice's subject, text and HTML,
// each length-prefixed so that no two different notices share a hash input.
func ContentHash(subject, text, html string) string {
	h := sha256.New()
	for _, p := range []string{subject, text, html} {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
