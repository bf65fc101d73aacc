package jurisdiction_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/jurisdiction"
)

func TestRealCodesAreAccepted(t *testing.T) {
	for _, code := range []string{"EU", "DE", "BR", "US", "GB", "JP", "US-CA", "US-NY", "US-DC", "DE-BY", "FR-IDF", "GB-ENG", "CA-QC", "AU-NSW", "BR-SP", "IN-MH", "CN-BJ"} {
		require.NoError(t, jurisdiction.Check(code), "%s is a real ISO 3166 code and must be accepted", code)
	}
}

// A past defect: well-formed but unassigned codes passed, and a country
// name was reported as "not an ISO 3166 code" without saying which was meant.
func TestMadeUpCodesAreRefusedWithTheReason(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"XX", "XX is not an assigned ISO 3166-1 country code"},
		{"ZZ", "ZZ is not an assigned ISO 3166-1 country code"},
		{"AA", "AA is not an assigned"},
		{"US-ZZ", "ZZ is not an ISO 3166-2 subdivision of United States (US)"},
		{"DE-XY", "XY is not an ISO 3166-2 subdivision of Germany (DE)"},
		{"EU-DE", "EU has no subdivisions"},
		{"EU-BAVARIA", "EU has no subdivisions"},
		{"Germany", `"Germany" is a name, not a jurisdiction code: use the ISO 3166 code DE`},
		{"DEU", "use the ISO 3166 code DE"},
		{"California", "use the ISO 3166 code US-CA"},
		{"de", "written in upper case: use DE"}, // Check is exact; Parse reads lower case
		{"", "is not a jurisdiction code"},
		{"D\x00E", "is not a jurisdiction code"},
		{"ДЕ", "is not a jurisdiction code"},
		{"US-", "is not a jurisdiction code"},
		{"US-CA-X", "is not a jurisdiction code"},
		{strings.Repeat("A", 100000), "…"},
	} {
		err := jurisdiction.Check(tc.in)
		require.Error(t, err, "%.40q must be refused", tc.in)
		require.Contains(t, err.Error(), tc.want, "the error for %.40q", tc.in)
		require.Less(t, len(err.Error()), 300, "the error must not repeat a huge input")
	}
}

func TestParseNormalisesWhatPeopleType(t *testing.T) {
	for in, want := range map[string]string{"de": "DE", " us-ca ": "US-CA", "EU": "EU", "gb-eng": "GB-ENG"} {
		got, err := jurisdiction.Parse(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	_, err := jurisdiction.Parse("germany")
	require.ErrorContains(t, err, `"germany" is a name, not a jurisdiction code: use the ISO 3166 code DE`)
	_, err = jurisdiction.Parse("us-zz")
	require.ErrorContains(t, err, `"us-zz": ZZ is not an ISO 3166-2 subdivision`)
}

func TestWellFormedIsShapeOnly(t *testing.T) {
	require.True(t, jurisdiction.WellFormed("XX"), "stored values are read back by shape")
	require.True(t, jurisdiction.WellFormed("US-CA"))
	require.False(t, jurisdiction.WellFormed("Germany"))
}
