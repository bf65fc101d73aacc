package campaign

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseReportsEveryBadRowByLine(t *testing.T) {
	in := "email,name,jurisdiction,language\n" +
		"ann@example.com,Ann,DE,de\n" +
		"not-an-address,Bob,FR,fr\n" +
		"ANN@example.com,Ann again,DE,de\n" +
		"cy@example.com,Cy,Germany,de\n" +
		"dee@example.com,Dee,US-CA,english!\n" +
		"\n" +
		"eve@example.com,Eve,,\n"
	good, bad, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, good, 2)
	require.Equal(t, "ann@example.com", good[0].Email)
	require.Equal(t, 2, good[0].Row)
	require.Equal(t, 8, good[1].Row, "rows are file lines, blank lines counted")
	require.Equal(t, []BadRow{
		{Row: 3, Reason: "the email address is not valid (use the bare address, e.g. ann@example.com)"},
		{Row: 4, Reason: "the same address as row 2"},
		{Row: 5, Reason: `jurisdiction "Germany" is not an ISO 3166 code such as DE, US-CA or EU`},
		{Row: 6, Reason: `language "english!" is not a language tag such as en, de or pt-BR`},
	}, bad)
	require.NotContains(t, bad[0].Reason, "not-an-address", "a bad row never echoes the address")
}

func TestParseRefusesAFileWithoutAnEmailColumn(t *testing.T) {
	_, _, err := Parse(strings.NewReader("name,language\nAnn,de\n"))
	require.ErrorContains(t, err, "no email column")
	_, _, err = Parse(strings.NewReader("email,phone\na@b.c,1\n"))
	require.ErrorContains(t, err, `unknown column "phone"`)
	_, _, err = Parse(strings.NewReader(""))
	require.ErrorContains(t, err, "empty")
}
