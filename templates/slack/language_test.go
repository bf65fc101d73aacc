package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/workflows"
)

// languageOptions are the values a notify modal's language picker offers,
// and the one chosen.
func languageOptions(t *testing.T, v goslack.ModalViewRequest) ([]string, string) {
	t.Helper()
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*goslack.InputBlock)
		if !ok || in.BlockID != BlockNoticeLanguage {
			continue
		}
		sel := in.Element.(*goslack.SelectBlockElement)
		var vals []string
		for _, o := range sel.Options {
			vals = append(vals, o.Value)
		}
		return vals, sel.InitialOption.Value
	}
	t.Fatal("the notify modal has no language picker")
	return nil, ""
}

// TestNotifyModalOffersOnlyTheTemplatesLanguages: the picker lists the
// languages the clock's notice template exists in, with the default
// chosen, passes the Block Kit checker, and a submission reads back the
// language picked.
func TestNotifyModalOffersOnlyTheTemplatesLanguages(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	due := now.Add(70 * time.Hour)
	st := workflows.IncidentState{ID: "INC-2026-0001", Title: "Bucket", Facts: map[string]any{}}
	for _, tc := range []struct {
		clock   workflows.ClockState
		def     string
		offered []string
		chosen  string
	}{
		{workflows.ClockState{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", DueAt: &due}, "de", []string{"en", "de", "fr"}, "de"},
		{workflows.ClockState{Regime: "us-ca", Obligation: "individuals", Recipient: "individuals", DueAt: &due}, "en", []string{"en", "de", "fr"}, "en"},
		{workflows.ClockState{Regime: "eu-nis2", Obligation: "early-warning", Recipient: "authority", DueAt: &due}, "de", []string{"en"}, "en"},
		{workflows.ClockState{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority"}, "xx\x00", []string{"en", "de", "fr"}, "en"},
	} {
		v := NotifyModal(st, tc.clock, []string{"nature", "measures"}, nil, now, tc.def)
		offered, chosen := languageOptions(t, v)
		require.Equal(t, tc.offered, offered, "%s/%s", tc.clock.Regime, tc.clock.Obligation)
		require.Equal(t, tc.chosen, chosen, "%s/%s with default %q", tc.clock.Regime, tc.clock.Obligation, tc.def)
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		require.Empty(t, slackfake.CheckView(raw), "the notify modal must pass Slack's rules")
		require.True(t, strings.Contains(string(raw), "Deutsch (de)") == (len(tc.offered) > 1))
	}

	var state goslack.ViewState
	require.NoError(t, json.Unmarshal([]byte(`{"values":{"`+BlockNoticeLanguage+`":{"`+InputAction+`":{"type":"static_select","selected_option":{"value":"fr"}}}}}`), &state))
	require.Equal(t, "fr", NoticeLanguageChoice(&state))
	require.Empty(t, NoticeLanguageChoice(&goslack.ViewState{}), "a modal without the picker leaves the language to the default")
	require.Empty(t, NoticeLanguageChoice(nil))
}

// TestNoticePreviewHighlightsMissingInEveryLanguage: a preview names the
// draft's language and makes what is missing stand out, whatever language
// the notice is in.
func TestNoticePreviewHighlightsMissingInEveryLanguage(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for lang, mark := range map[string]string{
		"":   "[to be completed: Likely consequences]",
		"de": "[noch zu ergänzen: Wahrscheinliche Folgen]",
		"fr": "[à compléter : Conséquences probables]",
	} {
		n := workflows.NoticeState{NoticeSummary: workflows.NoticeSummary{ID: "N1", Regime: "eu-gdpr", Obligation: "supervisory-authority",
			Status: workflows.NoticeDraft, Missing: []string{"consequences"}, Language: lang}, IncidentID: "INC-2026-0001", Text: "a\n" + mark + "\nb"}
		blocks, _ := NoticePreview(n, now)
		raw, err := json.Marshal(blocks)
		require.NoError(t, err)
		require.Contains(t, string(raw), ":warning: *"+mark+"*", "language %q", lang)
		require.Equal(t, lang != "", strings.Contains(string(raw), " in "+map[string]string{"": "-", "de": "Deutsch (de)", "fr": "Français (fr)"}[lang]))
		require.Empty(t, slackfake.CheckBlocks(raw, slackfake.SurfaceMessage))
	}
}
