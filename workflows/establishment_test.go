package workflows

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The Member State of main establishment picks the lead authority and the
// holidays a deadline skips: a code irbot has no calendar for is refused
// where it is entered (set_fact, a declare's facts), and a value accepted
// before still applies.
func TestEstablishmentMustBeAMemberState(t *testing.T) {
	for _, bad := range []string{`"XX"`, `"ZZ"`, `"US"`, `"EU"`, `"de-by"`, `""`, `"D\u0000"`, `"Ä"`, `42`} {
		_, err := NormalizeFact("establishment", json.RawMessage(bad))
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), `fact "establishment"`, bad)
	}
	_, err := NormalizeFact("establishment", json.RawMessage(`"XX"`))
	require.ErrorContains(t, err, "DE", "the refusal lists what is accepted")
	v, err := NormalizeFact("establishment", json.RawMessage(`" ie "`))
	require.NoError(t, err)
	require.Equal(t, "IE", v)
	for _, ok := range []string{"FI", "PT", "LU", "IS", "LI"} {
		_, err := NormalizeFact("establishment", json.RawMessage(`"`+ok+`"`))
		require.NoError(t, err, "%s is an EU/EEA state, with or without a holiday calendar", ok)
	}
	require.Equal(t, "XX", appliedFact("establishment", json.RawMessage(`"XX"`)), "replay applies what was accepted then")
}
