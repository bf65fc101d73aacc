package workflows_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// Text a person sends must be storable and showable: the NUL that once
// wedged an incident (its timeline write retried forever) is refused at the
// door with the field named, while other scripts and emoji pass.
func TestInputLimitsNameTheFieldAndTheLimit(t *testing.T) {
	refused := map[string]struct {
		a    workflows.Action
		want string
	}{
		"NUL in a note":        {workflows.Action{Type: "note", Text: "a\x00b"}, "text contains a NUL"},
		"invalid UTF-8":        {workflows.Action{Type: "note", Text: "a\xffb"}, "text is not valid UTF-8"},
		"escape in a task":     {workflows.Action{Type: "complete_task", Task: "a\x1b[31m"}, "task contains the control character U+001B"},
		"newline in a role":    {workflows.Action{Type: "assign_role", Role: "dpo\nadmin"}, "role contains the control character U+000A"},
		"bidi override":        {workflows.Action{Type: "note", Text: "pay \u202Eevil"}, "U+202E"},
		"huge note":            {workflows.Action{Type: "note", Text: strings.Repeat("x", workflows.MaxNote+1)}, "text is limited to 10000 characters (got 10001)"},
		"huge reason":          {workflows.Action{Type: "close", Reason: strings.Repeat("é", workflows.MaxReason+1)}, "reason is limited to 4000 characters"},
		"huge request id":      {workflows.Action{Type: "note", RequestID: strings.Repeat("r", 201)}, "request_id is limited to 200"},
		"NUL deep in a fact":   {workflows.Action{Type: "set_fact", Name: "data_categories", Value: json.RawMessage(`["email","a\u0000b"]`)}, `fact "data_categories" contains a NUL`},
		"NUL in a fact key":    {workflows.Action{Type: "set_fact", Name: "affected", Value: json.RawMessage(`{"US-CA\u0000":1}`)}, "contains a NUL"},
		"huge fact":            {workflows.Action{Type: "set_fact", Name: "nature", Value: json.RawMessage(`"` + strings.Repeat("n", workflows.MaxFactValue) + `"`)}, "limited to 16384 bytes"},
		"too many recipients":  {workflows.Action{Type: "create_notice", To: make([]string, workflows.MaxTo+1)}, "to is limited to 50 recipients"},
		"empty recipient":      {workflows.Action{Type: "create_notice", To: []string{"a@example.org", " "}}, "to[1] is empty"},
		"control in recipient": {workflows.Action{Type: "create_notice", To: []string{"a@example.org\r\nBcc: x@example.org"}}, "to[0] contains the control character"},
	}
	for name, c := range refused {
		err := workflows.CheckAction(c.a)
		require.Error(t, err, "%s must be refused", name)
		require.Contains(t, err.Error(), c.want, name)
	}
	accepted := []workflows.Action{
		{Type: "note", Text: "Zugriff auf die Kundendatenbank\n\tvon außen; 顧客データベース; قاعدة البيانات 🔥"},
		{Type: "note", Text: strings.Repeat("ß", workflows.MaxNote)},
		{Type: "set_fact", Name: "nature", Value: json.RawMessage(`"Exfiltration über VPN"`)},
		{Type: "assign_role", Role: "dpo", User: "U024BE7LH"},
	}
	for _, a := range accepted {
		require.NoError(t, workflows.CheckAction(a), "%q must pass", a.Text)
	}
	require.NoError(t, workflows.CheckLine("title", strings.Repeat("T", workflows.MaxTitle), workflows.MaxTitle))
	require.ErrorContains(t, workflows.CheckLine("title", strings.Repeat("T", workflows.MaxTitle+1), workflows.MaxTitle), "title is limited to 200 characters (got 201)")
}
