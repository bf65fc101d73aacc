package incident

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/playbooks"
)

// TestNoticeLanguageIsCheckedAndDefaulted: the service answers a language
// the obligation's template lacks, or that is no tag, with a 400 naming it;
// without one a draft gets the regime's default (English for the EU);
// an obligation the rules do not know is left to the workflow.
func TestNoticeLanguageIsCheckedAndDefaulted(t *testing.T) {
	s := &Service{Rules: playbooks.MustRules()}
	for _, tc := range []struct{ regime, obligation, lang, want string }{
		{"eu-gdpr", "supervisory-authority", "", "en"},
		{"eu-gdpr", "supervisory-authority", " de ", "de"},
		{"eu-gdpr", "supervisory-authority", "fr-be", "fr-BE"},
		{"eu-nis2", "early-warning", "", "en"},
		{"eu-nis2", "early-warning", "en", "en"},
		{"eu-gdpr", "no-such-obligation", "", ""},
		{"eu-gdpr", "no-such-obligation", "DE", "de"},
	} {
		got, err := s.noticeLanguage(NoticeRequest{Regime: tc.regime, Obligation: tc.obligation, Language: tc.lang})
		require.NoError(t, err, "%+v", tc)
		require.Equal(t, tc.want, got, "%+v", tc)
	}
	for _, tc := range []struct{ regime, obligation, lang, why string }{
		{"eu-nis2", "early-warning", "de", `no eu-nis2/early-warning notice template in language "de"; it exists in en`},
		{"eu-gdpr", "supervisory-authority", "es", "it exists in en, de, fr"},
		{"eu-gdpr", "supervisory-authority", "de\x00", "not a BCP 47 language tag"},
		{"eu-gdpr", "no-such-obligation", "🇩🇪", "not a BCP 47 language tag"},
	} {
		_, err := s.noticeLanguage(NoticeRequest{Regime: tc.regime, Obligation: tc.obligation, Language: tc.lang})
		require.Equal(t, apperr.Invalid, apperr.CodeOf(err), "%+v: %v", tc, err)
		require.ErrorContains(t, err, tc.why)
	}
}

// NoticeLanguages is what a draft form offers: exactly the languages the
// draft would accept, and the one it defaults to; an obligation the rules
// do not know offers English only.
func TestNoticeLanguagesAreWhatADraftAccepts(t *testing.T) {
	s := &Service{Rules: playbooks.MustRules()}
	langs, def := s.NoticeLanguages("eu-gdpr", "supervisory-authority")
	require.Equal(t, []string{"en", "de", "fr"}, langs)
	require.Equal(t, "en", def, "the EU has no one language: English")
	langs, def = s.NoticeLanguages("eu-nis2", "early-warning")
	require.Equal(t, []string{"en"}, langs)
	require.Equal(t, "en", def)
	for _, o := range [][2]string{{"eu-gdpr", "no-such-obligation"}, {"", ""}, {"x\x00", "北京"}} {
		langs, def = s.NoticeLanguages(o[0], o[1])
		require.Equal(t, []string{"en"}, langs, "%q", o)
		require.Equal(t, "en", def)
	}
	for _, regime := range []string{"eu-gdpr", "eu-nis2", "us-ca", "uk-gdpr"} {
		r, ok := s.Rules.Regime(regime)
		if !ok {
			continue
		}
		for _, rule := range r.Obligations {
			langs, def := s.NoticeLanguages(regime, rule.ID)
			require.Contains(t, langs, def, "%s/%s: the default is one of the offered", regime, rule.ID)
			for _, l := range langs {
				got, err := s.noticeLanguage(NoticeRequest{Regime: regime, Obligation: rule.ID, Language: l})
				require.NoError(t, err, "%s/%s in %s: every offered language is accepted", regime, rule.ID, l)
				require.Equal(t, l, got)
			}
		}
	}
}
