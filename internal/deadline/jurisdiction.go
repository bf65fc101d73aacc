package deadline

import "regexp"

var jurisdictionPattern = regexp.MustCompile(`^(EU|[A-Z]{2}(-[A-Z0-9]{1,3})?)$`)

// ValidJurisdiction reports whether code names a jurisdiction the way
// affected counts, campaign recipients and the calculator write them: an
// upper-case ISO 3166-1 country ("DE", "BR"), an ISO 3166-2 subdivision
// ("US-CA"), or "EU".
func ValidJurisdiction(code string) bool { return jurisdictionPattern.MatchString(code) }
