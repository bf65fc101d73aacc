package templates

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Notice languages. English templates live in notices/; a translation of a
// template lives in notices/<language>/ under the same name. A notice is
// only offered in the languages its own template exists in: a regime's own
// template never falls back to the generic one of another language.

// DefaultLanguage is the language of a notice nobody chose one for.
const DefaultLanguage = "en"

// noticeLanguages are the languages with notice templates, English first.
var noticeLanguages = []string{"en", "de", "fr"}

// fieldLabelsIn name content fields in each translated language, the way
// the regulator of that language reads them (GDPR terms as the official
// German and French texts of Regulation (EU) 2016/679 put them).
var fieldLabelsIn = map[string]map[string]string{
	"de": {
		"nature":                         "Art der Verletzung des Schutzes personenbezogener Daten",
		"data_categories":                "Kategorien der betroffenen personenbezogenen Daten",
		"subjects_count":                 "Ungefähre Zahl der betroffenen Personen",
		"records_count":                  "Ungefähre Zahl der betroffenen personenbezogenen Datensätze",
		"dpo_contact":                    "Datenschutzbeauftragte(r) oder sonstige Anlaufstelle",
		"consequences":                   "Wahrscheinliche Folgen",
		"measures":                       "Ergriffene oder vorgeschlagene Maßnahmen",
		"aware_at":                       "Kenntnis erlangt am",
		"discovered_at":                  "Entdeckt am",
		"affected":                       "Betroffene Personen nach Rechtsordnung",
		"steps_for_individuals":          "Was Betroffene tun können",
		"notice_template":                "Muster der Benachrichtigung",
		"severity":                       "Schweregrad",
		"root_cause":                     "Grundursache",
		"impact":                         "Auswirkungen",
		"cross_border_impact":            "Grenzüberschreitende Auswirkungen",
		"cause":                          "Ursache",
		"breach_date":                    "Zeitpunkt der Verletzung",
		"prevention_measures":            "Maßnahmen zur Vermeidung künftiger Vorfälle",
		"individuals_response":           "Maßnahmen zugunsten der betroffenen Personen",
		"contact_procedures":             "Kontaktmöglichkeiten für Betroffene",
		"what_happened":                  "Was geschehen ist",
		"timing":                         "Zeitlicher Ablauf",
		"timeline":                       "Chronologie",
		"suspected_malicious_cause":      "Verdacht auf rechtswidrige oder böswillige Handlungen",
		"secondary_damage":               "Folgeschäden",
		"scope":                          "Umfang",
		"sanctions_diligence":            "Sorgfaltsprüfung zu Sanktionen",
		"resolution":                     "Behebung",
		"recurring_incident":             "Wiederkehrender Vorfall",
		"publication":                    "Veröffentlichung",
		"payment_reasons":                "Gründe für die Zahlung",
		"notice_timing":                  "Zeitpunkt der Benachrichtigung",
		"notice_steps":                   "Schritte der Benachrichtigung",
		"notice_means":                   "Mittel der Benachrichtigung",
		"notice_distribution":            "Verteilung der Benachrichtigung",
		"notice_content":                 "Inhalt der Benachrichtigung",
		"material_impact":                "Wesentliche Auswirkungen",
		"indicators_of_compromise":       "Indikatoren einer Kompromittierung",
		"findings_on_responsible_person": "Erkenntnisse zur verantwortlichen Person",
		"entity_contact":                 "Ansprechpartner der Einrichtung",
		"diligence_alternatives":         "Geprüfte Alternativen (Sorgfaltspflicht)",
		"delay_reasons":                  "Gründe für die Verzögerung",
		"costs_and_losses":               "Kosten und Verluste",
		"alternatives_considered":        "Erwogene Alternativen",
		"affected_identities":            "Betroffene Identitäten",
	},
	"fr": {
		"nature":                         "Nature de la violation de données à caractère personnel",
		"data_categories":                "Catégories de données à caractère personnel concernées",
		"subjects_count":                 "Nombre approximatif de personnes concernées",
		"records_count":                  "Nombre approximatif d'enregistrements de données à caractère personnel concernés",
		"dpo_contact":                    "Délégué à la protection des données ou autre point de contact",
		"consequences":                   "Conséquences probables",
		"measures":                       "Mesures prises ou envisagées",
		"aware_at":                       "Date de prise de connaissance",
		"discovered_at":                  "Date de découverte",
		"affected":                       "Personnes concernées par juridiction",
		"steps_for_individuals":          "Ce que les personnes concernées peuvent faire",
		"notice_template":                "Modèle de notification",
		"severity":                       "Gravité",
		"root_cause":                     "Cause première",
		"impact":                         "Incidence",
		"cross_border_impact":            "Incidence transfrontière",
		"cause":                          "Cause",
		"breach_date":                    "Date de la violation",
		"prevention_measures":            "Mesures destinées à éviter qu'un tel incident se reproduise",
		"individuals_response":           "Mesures prises en faveur des personnes concernées",
		"contact_procedures":             "Modalités de contact pour les personnes concernées",
		"what_happened":                  "Ce qui s'est passé",
		"timing":                         "Calendrier",
		"timeline":                       "Chronologie",
		"suspected_malicious_cause":      "Suspicion d'actes illicites ou malveillants",
		"secondary_damage":               "Dommages indirects",
		"scope":                          "Étendue",
		"sanctions_diligence":            "Vérifications relatives aux sanctions",
		"resolution":                     "Résolution",
		"recurring_incident":             "Incident récurrent",
		"publication":                    "Publication",
		"payment_reasons":                "Motifs du paiement",
		"notice_timing":                  "Date de la notification",
		"notice_steps":                   "Étapes de la notification",
		"notice_means":                   "Moyens de notification",
		"notice_distribution":            "Diffusion de la notification",
		"notice_content":                 "Contenu de la notification",
		"material_impact":                "Incidence significative",
		"indicators_of_compromise":       "Indicateurs de compromission",
		"findings_on_responsible_person": "Constatations concernant la personne responsable",
		"entity_contact":                 "Point de contact de l'entité",
		"diligence_alternatives":         "Solutions de rechange examinées (diligence)",
		"delay_reasons":                  "Motifs du retard",
		"costs_and_losses":               "Coûts et pertes",
		"alternatives_considered":        "Solutions de rechange envisagées",
		"affected_identities":            "Identités concernées",
	},
}

// toBeCompleted marks a required field not known yet, per language.
var toBeCompleted = map[string]string{
	"en": "[to be completed: %s]",
	"de": "[noch zu ergänzen: %s]",
	"fr": "[à compléter : %s]",
}

var monthNames = map[string][]string{
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
}

// noticeDateLayout is how an English notice writes a time (and how the
// workflow hands over due and sent times).
const noticeDateLayout = "2 January 2006 15:04 UTC"

// FieldLabelIn is the label a notice in lang shows for a content field;
// English (FieldLabel) where lang has no translation of it.
func FieldLabelIn(lang, name string) string {
	if l, ok := fieldLabelsIn[baseLanguage(lang)][name]; ok {
		return l
	}
	return FieldLabel(name)
}

// MissingText is what a notice in lang says in place of a field not known
// yet.
func MissingText(lang, name string) string {
	f, ok := toBeCompleted[baseLanguage(lang)]
	if !ok {
		f = toBeCompleted[DefaultLanguage]
	}
	return fmt.Sprintf(f, FieldLabelIn(lang, name))
}

// dateIn writes t the way a notice in lang does.
func dateIn(lang string, t time.Time) string {
	t = t.UTC()
	switch b := baseLanguage(lang); b {
	case "de":
		return fmt.Sprintf("%d. %s %d, %s UTC", t.Day(), monthNames[b][t.Month()-1], t.Year(), t.Format("15:04"))
	case "fr":
		return fmt.Sprintf("%d %s %d à %s UTC", t.Day(), monthNames[b][t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return t.Format(noticeDateLayout)
}

// localDate rewrites a time written in the English layout for lang; any
// other text is left as it is.
func localDate(lang, s string) string {
	if t, err := time.Parse(noticeDateLayout, s); err == nil {
		return dateIn(lang, t)
	}
	return s
}

// baseLanguage is the primary language subtag of a tag ("de" of "de-AT");
// "" is English.
func baseLanguage(tag string) string {
	if tag == "" {
		return DefaultLanguage
	}
	b, _, _ := strings.Cut(strings.ToLower(tag), "-")
	return b
}

// ParseLanguage checks a BCP 47 language tag and returns it in canonical
// form ("de", "fr-CA"). It only judges the tag, not whether a notice
// exists in that language (NoticeLanguage does).
func ParseLanguage(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 35 || strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return "", fmt.Errorf("language %q is not a BCP 47 language tag such as en, de or fr", s)
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", fmt.Errorf("language %q is not a known BCP 47 language tag such as en, de or fr", s)
	}
	return t.String(), nil
}

// noticeTemplateName is the template a notice uses: the regime's own,
// else the generic one for its recipient.
func noticeTemplateName(regime, obligation, recipient string) string {
	name := regime + "." + obligation
	if _, err := fs.Stat(noticeFiles, "notices/"+name+".txt.tmpl"); err == nil {
		return name
	}
	if recipient == "individuals" {
		return "individuals"
	}
	return "authority"
}

// noticeTemplatePath is where a template is in a language.
func noticeTemplatePath(name, lang, ext string) string {
	if b := baseLanguage(lang); b != DefaultLanguage {
		return "notices/" + b + "/" + name + ext
	}
	return "notices/" + name + ext
}

// NoticeLanguages are the languages a notice for this obligation can be
// drafted in (its text template exists), English first.
func NoticeLanguages(regime, obligation, recipient string) []string {
	name := noticeTemplateName(regime, obligation, recipient)
	out := []string{}
	for _, l := range noticeLanguages {
		if _, err := fs.Stat(noticeFiles, noticeTemplatePath(name, l, ".txt.tmpl")); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// NoticeLanguage checks that a notice for this obligation can be written in
// tag and returns the tag in canonical form; "" stays "" (the default).
// The error names the tag and the languages there are.
func NoticeLanguage(regime, obligation, recipient, tag string) (string, error) {
	if strings.TrimSpace(tag) == "" {
		return "", nil
	}
	t, err := ParseLanguage(tag)
	if err != nil {
		return "", err
	}
	have := NoticeLanguages(regime, obligation, recipient)
	if !slices.Contains(have, baseLanguage(t)) {
		return "", fmt.Errorf("no %s/%s notice template in language %q; it exists in %s", regime, obligation, t, strings.Join(have, ", "))
	}
	return t, nil
}

// jurisdictionLanguages are the jurisdictions (ISO 3166) whose one official
// language has notice templates. Countries with several (BE, CH, CA, LU) are
// left out: there the person drafting chooses.
var jurisdictionLanguages = map[string]string{
	"DE": "de", "AT": "de", "LI": "de",
	"FR": "fr", "MC": "fr",
}

// DefaultNoticeLanguage is the language a notice is drafted in when nobody
// chose one: the official language of the regime's jurisdiction when it
// has one language and the notice's template exists in it, else English.
func DefaultNoticeLanguage(regime, obligation, recipient, jurisdiction string) string {
	if l, ok := jurisdictionLanguages[strings.ToUpper(strings.TrimSpace(jurisdiction))]; ok &&
		slices.Contains(NoticeLanguages(regime, obligation, recipient), l) {
		return l
	}
	return DefaultLanguage
}

// languageNames name each notice language in itself, for pickers.
var languageNames = map[string]string{"en": "English", "de": "Deutsch", "fr": "Français"}

// LanguageName names a language tag for a person ("Deutsch (de)").
func LanguageName(tag string) string {
	if tag == "" {
		tag = DefaultLanguage
	}
	if n, ok := languageNames[baseLanguage(tag)]; ok {
		return n + " (" + tag + ")"
	}
	return tag
}

// MissingMark matches the "to be completed" mark of a notice in any of
// its languages, so a preview can make it stand out.
var MissingMark = func() *regexp.Regexp {
	alts := make([]string, 0, len(toBeCompleted))
	for _, l := range noticeLanguages {
		prefix, _, _ := strings.Cut(toBeCompleted[l], "%s")
		alts = append(alts, regexp.QuoteMeta(prefix))
	}
	return regexp.MustCompile(`(?:` + strings.Join(alts, "|") + `)[^\]\n]*\]`)
}()
