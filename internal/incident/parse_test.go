package incident

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/workflows"
)

func TestParseActionNamesWhatIsWrong(t *testing.T) {
	cases := map[string]string{
		`[1,2`:                                "not a JSON object",
		`{}`:                                  `needs a "type"`,
		`{"type":"dance"}`:                    `unknown action type "dance"`,
		`{"type":"note","txt":"x"}`:           `unknown field "txt"`,
		`{"type":"note","text":5}`:            `field "text" must be string`,
		`{"type":"note","actor":{"id":"U1"}}`: "cannot be set",
		`{"type":"assign_role","role":"dpo","user":"U1","assignee_roles":["dpo"]}`: "cannot be set",
		`{"type":"record_notification","sent_at":"monday"}`:                        "bad action",
		// encoding/json would store U+FFFD in place of these bytes.
		"{\"type\":\"note\",\"text\":\"a\xff\xfeb\"}":   "not valid UTF-8",
		"{\"type\":\"note\",\"text\":\"\xed\xa0\x80\"}": "not valid UTF-8",
	}
	for body, want := range cases {
		_, err := ParseAction([]byte(body))
		require.Error(t, err, body)
		require.Equal(t, apperr.Invalid, apperr.CodeOf(err), body)
		require.Contains(t, err.Error(), want, body)
	}
	a, err := ParseAction([]byte(`{"type":"set_fact","name":"affected","value":{"US-CA":600}}`))
	require.NoError(t, err)
	require.Equal(t, workflows.ActionSetFact, a.Type)
	require.JSONEq(t, `{"US-CA":600}`, string(a.Value))
}
