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
