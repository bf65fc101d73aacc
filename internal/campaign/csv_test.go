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
		{Row: 5, Reason: `jurisdiction "Germany" is a name, not a jurisdiction code: use the ISO 3166 code DE`},
		{Row: 6, Reason: `language "english!" is not a language tag such as en, de or pt-BR`},
	}, bad)
	require.NotContains(t, bad[0].Reason, "not-an-address", "a bad row never echoes the address")
}

// A past defect: well-formed but made-up jurisdictions were accepted.
func TestParseRefusesJurisdictionsThatAreNotInISO3166(t *testing.T) {
	in := "email,name,jurisdiction,language\n" +
		"a@example.com,A,XX,en\n" +
		"b@example.com,B,ZZ,en\n" +
		"c@example.com,C,US-ZZ,en\n" +
		"d@example.com,D,DE-XY,de\n" +
		"e@example.com,E,EU-DE,de\n" +
		"f@example.com,F,de-by,de\n" +
		"g@example.com,G,us-ca,en\n" +
		"h@example.com,H,EU,en\n"
	good, bad, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	require.Equal(t, []BadRow{
		{Row: 2, Reason: `jurisdiction "XX": XX is not an assigned ISO 3166-1 country code`},
		{Row: 3, Reason: `jurisdiction "ZZ": ZZ is not an assigned ISO 3166-1 country code`},
		{Row: 4, Reason: `jurisdiction "US-ZZ": ZZ is not an ISO 3166-2 subdivision of United States (US); subdivision codes look like US-AK`},
		{Row: 5, Reason: `jurisdiction "DE-XY": XY is not an ISO 3166-2 subdivision of Germany (DE); subdivision codes look like DE-BB`},
		{Row: 6, Reason: `jurisdiction "EU-DE": EU has no subdivisions; use the member state's ISO 3166-1 code (e.g. DE) or EU`},
	}, bad)
	require.Len(t, good, 3)
	require.Equal(t, []string{"DE-BY", "US-CA", "EU"}, []string{good[0].Jurisdiction, good[1].Jurisdiction, good[2].Jurisdiction}, "codes are kept in upper case")
}

func TestParseReportsABareQuoteInTheFirstFieldAsABadRow(t *testing.T) {
	good, bad, err := Parse(strings.NewReader("email,name\n\"a\"b@example.com,A\nc@example.com,C\n"))
	require.NoError(t, err, "a malformed row is a bad row, not a crash")
	require.Len(t, bad, 1)
	require.Equal(t, 2, bad[0].Row)
	require.Contains(t, bad[0].Reason, "not valid CSV")
	require.Len(t, good, 1)
}

func TestParseRefusesAFileWithoutAnEmailColumn(t *testing.T) {
	_, _, err := Parse(strings.NewReader("name,language\nAnn,de\n"))
	require.ErrorContains(t, err, "no email column")
	_, _, err = Parse(strings.NewReader("email,phone\na@b.c,1\n"))
	require.ErrorContains(t, err, `unknown column "phone"`)
	_, _, err = Parse(strings.NewReader(""))
	require.ErrorContains(t, err, "empty")
}

// A name goes into the letter's greeting: it obeys the rule every line of
// text irbot takes. Before, it was 200 bytes (so 67 characters of Chinese
// were refused as "longer than 200 characters") and only CR and LF were
// refused, so a NUL or a direction override reached the letter.
func TestNamesObeyTheLineRule(t *testing.T) {
	long := strings.Repeat("王", MaxName)
	in := "email,name\n" +
		"a@example.com," + long + "\n" +
		"b@example.com," + long + "王\n" +
		"c@example.com,\"Ann\x00\"\n" +
		"d@example.com,\"Ann\u202eevil\"\n" +
		"e@example.com,\"Ann\nBob\"\n" +
		"f@example.com,\"Ann\xff\"\n"
	good, bad, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, good, 1)
	require.Equal(t, long, good[0].Name, "200 characters in another script are a name")
	require.Len(t, bad, 5)
	for i, want := range []string{"limited to 200 characters", "NUL", "U+202E", "U+000A", "not valid UTF-8"} {
		require.Contains(t, bad[i].Reason, want)
		require.Contains(t, bad[i].Reason, "the name")
	}
}
