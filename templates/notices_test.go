package templates

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// englishCases are notices rendered before languages existed: their
// content hashes must not move.
func englishCases() []NoticeData {
	facts := map[string]any{
		"aware_at": "2026-03-01T09:30:00Z", "nature": "Misconfigured storage bucket <b>exposed</b>",
		"data_categories": []any{"names", "email addresses"}, "subjects_count": float64(1200),
		"affected": map[string]any{"DE": float64(40), "US-CA": float64(600)},
	}
	return []NoticeData{
		{IncidentID: "INC-2026-0001", IncidentTitle: "Customer DB exposed", Regime: "eu-gdpr", RegimeName: "EU GDPR",
			Obligation: "supervisory-authority", ObligationName: "Notify the supervisory authority", Recipient: "authority",
			RecipientDetail: "the competent supervisory authority", Source: "GDPR Art. 33(1)", DueAt: "4 March 2026 09:30 UTC",
			Required: []string{"nature", "data_categories", "subjects_count", "records_count", "dpo_contact", "consequences", "measures", "affected"}, Facts: facts},
		{IncidentID: "INC-2026-0001", IncidentTitle: "Customer DB exposed", Regime: "eu-gdpr", RegimeName: "EU GDPR",
			Obligation: "supervisory-authority", ObligationName: "Notify the supervisory authority", Recipient: "authority",
			Source: "GDPR Art. 33(1)", DueAt: "4 March 2026 09:30 UTC", LateReason: "Forensics took longer",
			Follows:  &NoticeFollow{NoticeID: "N1", MessageID: "<n1@irbot.example>", SentAt: "3 March 2026 10:00 UTC", Reference: "DPA-7"},
			Required: []string{"nature", "measures"}, Facts: facts},
		{IncidentID: "INC-2026-0002", IncidentTitle: "Laptop stolen", Regime: "us-ca", RegimeName: "California",
			Obligation: "attorney-general", ObligationName: "Notify the Attorney General", Recipient: "authority",
			RecipientDetail: "California Attorney General", Source: "Cal. Civ. Code 1798.82(f)", DueAt: "1 April 2026 00:00 UTC",
			Required: []string{"nature", "breach_date", "aware_at", "affected", "measures"}, Facts: facts},
		{IncidentID: "INC-2026-0002", IncidentTitle: "Laptop stolen", Regime: "us-ca", RegimeName: "California",
			Obligation: "individuals", ObligationName: "Notify affected residents", Recipient: "individuals", Name: "Alex Example",
			Required: []string{"nature", "data_categories", "consequences", "measures", "steps_for_individuals", "dpo_contact", "timing"}, Facts: facts},
		{IncidentID: "INC-2026-0003", Regime: "eu-nis2", RegimeName: "NIS2", Obligation: "early-warning", ObligationName: "Early warning",
			Recipient: "authority", Required: []string{"suspected_malicious_cause", "cross_border_impact"}, Facts: facts},
	}
}

// TestRenderNoticeEnglishUnchanged: a notice drafted before languages
// existed (no language) renders byte for byte as it did, and "en" is the
// same notice; so does any English tag.
func TestRenderNoticeEnglishUnchanged(t *testing.T) {
	before := []string{ // content hashes rendered by the code before languages
		"c9d0f02aa0a75d63b8b91dab79255bc5048c22ee97ac320e8105348f29c9f84f",
		"07cb8657f5b98182e4974e4edbdc8fddf38d08a5235ae508f3ac6c3d2ad53c35",
		"be00a6eecc54550e5eda99c4faf58a0849fa0750ee9b2ed3adee04a6ec9f7f12",
		"d339a5f6191c69919f35745d5067197aacafab608631380baec56cf43f34a0e8",
	}
	for i, d := range englishCases()[:len(before)] {
		r, err := RenderNotice(d)
		require.NoError(t, err)
		require.Equal(t, before[i], r.ContentHash, "case %d: an old English notice must not change a byte", i)
		for _, tag := range []string{"en", "en-GB"} {
			d.Language = tag
			r2, err := RenderNotice(d)
			require.NoError(t, err)
			require.Equal(t, r.ContentHash, r2.ContentHash, "case %d in %s", i, tag)
			require.Equal(t, r.Template, r2.Template)
		}
	}
}

// englishLeftovers are English words of the English templates and labels
// that must not appear in a German or French notice.
var englishLeftovers = []string{
	"to be completed", "Nature of", "Categories of", "Approximate number", "Likely consequences", "Measures taken",
	"Became aware", "Deadline counted", "Legal basis", "Our reference", "What happened", "What this could",
	"What we are doing", "What you can do", "Who to contact", "We are", "Reference:", "This is a follow-up",
	"supervisory authority", "Personal data breach", "Data protection officer", "Reasons for the delay", "Follow-up",
	"January", "March", " UTC.\n\nThe", "Hello", "Dear", "Affected people", "Breach date", "Timing",
	"Suspected malicious", "Cross border", "Important:", "Update:",
}

// TestRenderNoticeInGermanAndFrench: the GDPR Art. 33 notice and the generic
// authority and individuals notices render in German and French with every
// label, date and "to be completed" mark in that language, missing fields
// flagged in that language, hostile fact values kept (and escaped in HTML).
func TestRenderNoticeInGermanAndFrench(t *testing.T) {
	want := map[string]struct{ missing, date, sent, template string }{
		"de": {"[noch zu ergänzen: Wahrscheinliche Folgen]", "4. März 2026, 09:30 UTC", "3. März 2026, 10:00 UTC", "de/"},
		"fr": {"[à compléter : Conséquences probables]", "4 mars 2026 à 09:30 UTC", "3 mars 2026 à 10:00 UTC", "fr/"},
	}
	for _, lang := range []string{"de", "fr"} {
		w := want[lang]
		for i, d := range englishCases()[:4] {
			d.Language = lang
			d.Required = append(d.Required, "consequences")
			d.Facts["nature"] = "Bucket offen \x00 — 公開バケット <script>alert(1)</script> " + strings.Repeat("x", 5000)
			d.IncidentTitle = "Kundendaten"
			d.ObligationName, d.RegimeName, d.RecipientDetail = "—", "—", "—" // rule data is not translated
			r, err := RenderNotice(d)
			require.NoError(t, err, "%s case %d", lang, i)
			require.True(t, strings.HasPrefix(r.Template, w.template), r.Template)
			all := r.Subject + "\n" + r.Text + "\n" + r.HTML
			for _, en := range englishLeftovers {
				if at := strings.Index(all, en); at >= 0 {
					t.Fatalf("%s notice %s: English %q left in it: …%s…", lang, r.Template, en, all[max(0, at-80):min(len(all), at+80)])
				}
			}
			require.Contains(t, r.Text, w.missing, "%s case %d: a missing field is flagged in %s", lang, i, lang)
			require.Contains(t, r.Missing, "consequences")
			require.Contains(t, r.Text, "公開バケット", "other scripts survive")
			require.NotContains(t, r.HTML, "<script>", "fact values are escaped in HTML")
			if i == 0 || i == 1 {
				require.Contains(t, r.Text, w.date, "the due time is written in %s", lang)
			}
			if i == 1 {
				require.Contains(t, r.Text, w.sent, "the follow-up's date is written in %s", lang)
				require.Contains(t, r.Text, "<n1@irbot.example>")
			}
			if i == 0 {
				require.Contains(t, r.HTML, `lang="`+lang+`"`)
				require.Contains(t, r.Text, map[string]string{"de": "1. März 2026, 09:30 UTC", "fr": "1 mars 2026 à 09:30 UTC"}[lang], "aware_at in %s", lang)
			}
		}
	}
	de, err := RenderNotice(func() NoticeData { d := englishCases()[0]; d.Language = "de-AT"; return d }())
	require.NoError(t, err)
	require.Contains(t, de.Subject, "Art. 33 DSGVO", "a regional tag uses its language's templates")
	require.Contains(t, de.Text, "Art der Verletzung des Schutzes personenbezogener Daten")
}

// TestNoticeLanguages: a notice is offered only in the languages its own
// template exists in, a tag is checked and canonicalised, and the default
// follows the regime's jurisdiction where it has one language.
func TestNoticeLanguages(t *testing.T) {
	require.Equal(t, []string{"en", "de", "fr"}, NoticeLanguages("eu-gdpr", "supervisory-authority", "authority"))
	require.Equal(t, []string{"en", "de", "fr"}, NoticeLanguages("us-ca", "individuals", "individuals"))
	require.Equal(t, []string{"en", "de", "fr"}, NoticeLanguages("uk-gdpr", "ico", "authority"), "the generic authority notice")
	require.Equal(t, []string{"en"}, NoticeLanguages("eu-nis2", "early-warning", "authority"), "NIS2's own template is English only")

	for in, out := range map[string]string{"": "", "de": "de", "DE": "de", "de-at": "de-AT", " fr ": "fr", "fr-CA": "fr-CA", "en-GB": "en-GB"} {
		got, err := NoticeLanguage("eu-gdpr", "supervisory-authority", "authority", in)
		require.NoError(t, err, in)
		require.Equal(t, out, got, in)
	}
	for in, why := range map[string]string{
		"es":                     `no eu-gdpr/supervisory-authority notice template in language "es"; it exists in en, de, fr`,
		"xx":                     "not a known BCP 47 language tag",
		"de\x00":                 "not a BCP 47 language tag",
		"de_DE":                  "not a BCP 47 language tag",
		"Deutsch":                "not a known BCP 47 language tag",
		"日本語":                    "not a BCP 47 language tag",
		strings.Repeat("de", 40): "not a BCP 47 language tag",
	} {
		_, err := NoticeLanguage("eu-gdpr", "supervisory-authority", "authority", in)
		require.ErrorContains(t, err, why, "%q", in)
	}
	_, err := NoticeLanguage("eu-nis2", "early-warning", "authority", "de")
	require.ErrorContains(t, err, "it exists in en")

	require.Equal(t, "de", DefaultNoticeLanguage("xx-bdsg", "authority", "authority", "DE"))
	require.Equal(t, "fr", DefaultNoticeLanguage("xx-cnil", "individuals", "individuals", "FR"))
	require.Equal(t, "en", DefaultNoticeLanguage("eu-gdpr", "supervisory-authority", "authority", "EU"), "the EU has many languages")
	require.Equal(t, "en", DefaultNoticeLanguage("xx-ch", "authority", "authority", "CH"), "so has Switzerland")
	require.Equal(t, "en", DefaultNoticeLanguage("eu-nis2", "early-warning", "authority", "DE"), "no German template: English")
	require.Equal(t, "en", DefaultNoticeLanguage("us-ca", "individuals", "individuals", "US-CA"))
}
