package deadline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/playbooks"
)

func ts(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func tp(t *testing.T, s string) *time.Time {
	v := ts(t, s)
	return &v
}

// evaluate runs the engine on the embedded rules and indexes the result.
func evaluate(t *testing.T, regimes []string, f Facts) map[string]Obligation {
	t.Helper()
	obs, err := Evaluate(playbooks.MustRules(), regimes, f)
	require.NoError(t, err)
	out := map[string]Obligation{}
	for _, o := range obs {
		out[o.Key()] = o
	}
	return out
}

// requireDue checks an obligation's due time to the second and that it
// prints with the expected offset.
func requireDue(t *testing.T, obs map[string]Obligation, key, want string) Obligation {
	t.Helper()
	o, ok := obs[key]
	require.True(t, ok, "obligation %s is missing: a notice the law requires would not be tracked", key)
	require.NotNil(t, o.DueAt, "%s has no due time (waiting for %q, basis %q)", key, o.WaitingFor, o.Basis)
	require.Equal(t, want, o.DueAt.Format(time.RFC3339), "%s due time (basis %q)", key, o.Basis)
	return o
}

func TestGDPR72HoursRunAsElapsedTimeAcrossTheEUDaylightSavingChange(t *testing.T) {
	aware := ts(t, "2026-10-24T10:00:00+02:00") // Berlin, CEST; clocks go back on 25 Oct
	obs := evaluate(t, []string{"eu-gdpr"}, Facts{Triggers: map[string]time.Time{"awareness": aware}})
	o := requireDue(t, obs, "eu-gdpr/supervisory-authority", "2026-10-27T08:00:00Z")
	require.Equal(t, 72*time.Hour, o.DueAt.Sub(aware), "72 h must be 72 elapsed hours, not 72 wall-clock hours")
	require.Equal(t, "PT72H", o.Basis)
	require.Equal(t, "target", o.Semantics)
	require.True(t, o.LateAllowed)
	require.Equal(t, []string{"nature", "data_categories", "subjects_count", "records_count", "dpo_contact", "consequences", "measures"}, o.RequiredContent)
	_, subjects := obs["eu-gdpr/data-subjects"]
	require.False(t, subjects, "data subjects are told only for a high risk")
}

func TestUKGDPR72Hours(t *testing.T) {
	obs := evaluate(t, []string{"uk-gdpr"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-03-28T18:00:00Z")}})
	requireDue(t, obs, "uk-gdpr/ico", "2026-03-31T18:00:00Z")
}

func TestSEC8KFourBusinessDaysSkipThanksgivingAndTheWeekend(t *testing.T) {
	for _, tc := range []struct {
		name, determined, want string
		closed                 []string
	}{
		// Thu 26 Nov 2026 is Thanksgiving: Fri 27 = 1, Mon 30 = 2, Tue 1 Dec = 3, Wed 2 Dec = 4.
		{name: "thanksgiving and weekend", determined: "2026-11-25T10:00:00-05:00", want: "2026-12-02T17:30:00-05:00"},
		// 4 Jul 2026 is a Saturday, observed Fri 3 Jul.
		{name: "observed independence day", determined: "2026-07-02T16:00:00-04:00", want: "2026-07-09T17:30:00-04:00"},
		// A Saturday determination: Monday is day 1 (General Instruction B.1).
		{name: "determined on a saturday", determined: "2026-03-07T09:00:00-05:00", want: "2026-03-12T17:30:00-04:00"},
		// Late evening Eastern is still the same day: UTC would say the next day.
		{name: "evening eastern time", determined: "2026-03-03T23:30:00-05:00", want: "2026-03-09T17:30:00-04:00"},
		{name: "christmas eve open", determined: "2026-12-21T09:00:00-05:00", want: "2026-12-28T17:30:00-05:00"},
		{name: "christmas eve closed by executive order", determined: "2026-12-21T09:00:00-05:00", want: "2026-12-29T17:30:00-05:00", closed: []string{"2026-12-24"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Facts{Triggers: map[string]time.Time{"materiality_determination": ts(t, tc.determined)}}
			if tc.closed != nil {
				f.Closed = map[string][]string{"us-federal": tc.closed}
			}
			o := requireDue(t, evaluate(t, []string{"us-sec-8k"}, f), "us-sec-8k/form-8k", tc.want)
			require.Contains(t, o.Basis, "P4 business days (US federal holidays)")
		})
	}
}

func TestLGPDThreeBusinessDaysSkipTheNationalHolidayOf20November(t *testing.T) {
	knew := ts(t, "2026-11-18T10:00:00-03:00") // Wed; Fri 20 Nov is a national holiday since 2024
	obs := evaluate(t, []string{"br-lgpd"}, Facts{Triggers: map[string]time.Time{"awareness": knew}})
	// Thu 19 = 1, Fri 20 holiday, Mon 23 = 2, Tue 24 = 3.
	o := requireDue(t, obs, "br-lgpd/anpd", "2026-11-24T23:59:59-03:00")
	require.Equal(t, "P3 business days (Brazilian national holidays), due end of day America/Sao_Paulo", o.Basis)
	requireDue(t, obs, "br-lgpd/data-subjects", "2026-11-24T23:59:59-03:00")
	require.Equal(t, "br-lgpd/anpd", obs["br-lgpd/anpd-complement"].WaitingFor)

	t.Run("tiradentes", func(t *testing.T) {
		obs := evaluate(t, []string{"br-lgpd"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-04-17T15:00:00-03:00")}})
		requireDue(t, obs, "br-lgpd/anpd", "2026-04-23T23:59:59-03:00") // Mon 20, (Tue 21), Wed 22, Thu 23
	})
	t.Run("small processing agent doubles", func(t *testing.T) {
		obs := evaluate(t, []string{"br-lgpd"}, Facts{Triggers: map[string]time.Time{"awareness": knew}, Flags: map[string]bool{"small_processing_agent": true}})
		requireDue(t, obs, "br-lgpd/anpd", "2026-11-27T23:59:59-03:00")
		requireDue(t, obs, "br-lgpd/data-subjects", "2026-11-27T23:59:59-03:00")
	})
	t.Run("no doubling when integrity is at risk", func(t *testing.T) {
		obs := evaluate(t, []string{"br-lgpd"}, Facts{Triggers: map[string]time.Time{"awareness": knew}, Flags: map[string]bool{"small_processing_agent": true, "integrity_or_security_risk": true}})
		requireDue(t, obs, "br-lgpd/anpd", "2026-11-24T23:59:59-03:00")
	})
	t.Run("complement from the actual communication", func(t *testing.T) {
		obs := evaluate(t, []string{"br-lgpd"}, Facts{
			Triggers:  map[string]time.Time{"awareness": knew},
			Submitted: map[string]time.Time{"br-lgpd/anpd": ts(t, "2026-11-20T11:00:00-03:00")},
		})
		// From Fri 20 Nov: 20 business days, skipping 25 Dec, lands on Fri 18 Dec.
		requireDue(t, obs, "br-lgpd/anpd-complement", "2026-12-18T23:59:59-03:00")
	})
}

func TestNIS2StagesAndTheFinalReportRunsFromTheActualNotification(t *testing.T) {
	aware := ts(t, "2026-03-10T09:00:00Z")
	f := Facts{Triggers: map[string]time.Time{"awareness": aware}}
	obs := evaluate(t, []string{"eu-nis2"}, f)
	requireDue(t, obs, "eu-nis2/early-warning", "2026-03-11T09:00:00Z")
	requireDue(t, obs, "eu-nis2/incident-notification", "2026-03-13T09:00:00Z")
	final := obs["eu-nis2/final-report"]
	require.Nil(t, final.DueAt, "the final report cannot be due before the notification is sent")
	require.Equal(t, "eu-nis2/incident-notification", final.WaitingFor)
	require.Equal(t, "authority_request", obs["eu-nis2/intermediate-report"].WaitingFor)

	f.Submitted = map[string]time.Time{"eu-nis2/incident-notification": ts(t, "2026-03-12T15:30:00Z")}
	obs = evaluate(t, []string{"eu-nis2"}, f)
	o := requireDue(t, obs, "eu-nis2/final-report", "2026-04-12T15:30:00Z")
	require.Contains(t, o.Basis, "P1M")
	require.Contains(t, o.Basis, "after submission of eu-nis2/incident-notification")

	t.Run("month end clamps", func(t *testing.T) {
		f := Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2027-01-29T09:00:00Z")},
			Submitted: map[string]time.Time{"eu-nis2/incident-notification": ts(t, "2027-01-31T10:00:00Z")}}
		requireDue(t, evaluate(t, []string{"eu-nis2"}, f), "eu-nis2/final-report", "2027-02-28T10:00:00Z")
	})
	t.Run("trust service provider notifies in 24 hours", func(t *testing.T) {
		f := Facts{Triggers: map[string]time.Time{"awareness": aware}, Flags: map[string]bool{"trust_service_provider": true}}
		requireDue(t, evaluate(t, []string{"eu-nis2"}, f), "eu-nis2/incident-notification", "2026-03-11T09:00:00Z")
	})
	t.Run("ongoing incident: progress report instead of final", func(t *testing.T) {
		f := Facts{Triggers: map[string]time.Time{"awareness": aware}, Flags: map[string]bool{"incident_ongoing": true},
			Submitted: map[string]time.Time{"eu-nis2/incident-notification": ts(t, "2026-03-12T15:30:00Z")}}
		obs := evaluate(t, []string{"eu-nis2"}, f)
		_, final := obs["eu-nis2/final-report"]
		require.False(t, final)
		requireDue(t, obs, "eu-nis2/progress-report", "2026-04-12T15:30:00Z")
		require.Equal(t, "incident_handled", obs["eu-nis2/final-report-after-handling"].WaitingFor)
	})
}

func TestDORAInitialNotificationIsTheEarlierOfItsTwoLimits(t *testing.T) {
	aware := "2026-03-10T08:00:00Z" // a Tuesday
	for _, tc := range []struct{ name, classified, want, basis string }{
		{"4 h from classification comes first", "2026-03-10T20:00:00Z", "2026-03-11T00:00:00Z", "the former"},
		{"24 h from awareness comes first", "2026-03-11T06:00:00Z", "2026-03-11T08:00:00Z", "the latter"},
		{"classified after 24 h: 4 h from classification", "2026-03-11T09:00:00Z", "2026-03-11T13:00:00Z", "had passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Facts{Triggers: map[string]time.Time{"awareness": ts(t, aware), "classification": ts(t, tc.classified)}}
			o := requireDue(t, evaluate(t, []string{"eu-dora"}, f), "eu-dora/initial-notification", tc.want)
			require.Contains(t, o.Basis, tc.basis)
		})
	}
	t.Run("weekend relief to 12:00 next working day", func(t *testing.T) {
		f := Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-03-14T09:00:00Z"), "classification": ts(t, "2026-03-14T10:00:00Z")}, Establishment: "DE"}
		o := requireDue(t, evaluate(t, []string{"eu-dora"}, f), "eu-dora/initial-notification", "2026-03-16T11:00:00Z") // 12:00 CET
		require.Contains(t, o.Basis, "DE bank holidays")
	})
	t.Run("no relief for a credit institution", func(t *testing.T) {
		f := Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-03-14T09:00:00Z"), "classification": ts(t, "2026-03-14T10:00:00Z")},
			Establishment: "DE", Flags: map[string]bool{"credit_institution": true}}
		requireDue(t, evaluate(t, []string{"eu-dora"}, f), "eu-dora/initial-notification", "2026-03-14T14:00:00Z")
	})
	t.Run("intermediate report from the actual initial submission", func(t *testing.T) {
		f := Facts{Triggers: map[string]time.Time{"awareness": ts(t, aware), "classification": ts(t, "2026-03-10T20:00:00Z")}}
		obs := evaluate(t, []string{"eu-dora"}, f)
		require.Equal(t, "eu-dora/initial-notification", obs["eu-dora/intermediate-report"].WaitingFor)
		f.Submitted = map[string]time.Time{"eu-dora/initial-notification": ts(t, "2026-03-10T22:15:00Z")}
		requireDue(t, evaluate(t, []string{"eu-dora"}, f), "eu-dora/intermediate-report", "2026-03-13T22:15:00Z")
	})
}

func TestHIPAAMediaNoticeNeedsMoreThan500ResidentsOfOneState(t *testing.T) {
	disc := map[string]time.Time{"discovery": ts(t, "2026-02-02T15:00:00Z")}
	for _, tc := range []struct {
		name          string
		affected      map[string]int
		media, hhs500 bool
	}{
		{"501 in California", map[string]int{"US-CA": 501}, true, true},
		{"exactly 500 in California is not more than 500", map[string]int{"US-CA": 500}, false, true},
		{"499 in California", map[string]int{"US-CA": 499}, false, false},
		{"300 + 300 in two states: HHS yes, media no", map[string]int{"US-CA": 300, "US-NV": 300}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := evaluate(t, []string{"us-hipaa"}, Facts{Triggers: disc, Affected: tc.affected})
			_, media := obs["us-hipaa/media"]
			require.Equal(t, tc.media, media, "media obligation")
			_, hhs := obs["us-hipaa/hhs"]
			require.Equal(t, tc.hhs500, hhs, "HHS 500-or-more obligation")
			_, annual := obs["us-hipaa/hhs-annual-log"]
			require.Equal(t, !tc.hhs500, annual, "under-500 breaches go to the annual log instead")
			requireDue(t, obs, "us-hipaa/individuals", "2026-04-03T15:00:00Z")
			if tc.media {
				require.Contains(t, obs["us-hipaa/media"].Threshold, "US-CA: 501 more than 500")
			}
		})
	}
	t.Run("annual log is due 1 March, 29 February in a leap year", func(t *testing.T) {
		obs := evaluate(t, []string{"us-hipaa"}, Facts{Triggers: disc, Affected: map[string]int{"US-CA": 10}})
		requireDue(t, obs, "us-hipaa/hhs-annual-log", "2027-03-01T23:59:59-05:00")
		obs = evaluate(t, []string{"us-hipaa"}, Facts{Triggers: map[string]time.Time{"discovery": ts(t, "2027-06-01T12:00:00Z")}})
		requireDue(t, obs, "us-hipaa/hhs-annual-log", "2028-02-29T23:59:59-05:00")
	})
	t.Run("a business associate owes the covered entity, not individuals", func(t *testing.T) {
		obs := evaluate(t, []string{"us-hipaa"}, Facts{Triggers: disc, Affected: map[string]int{"US-CA": 900}, Flags: map[string]bool{"business_associate": true}})
		require.Len(t, obs, 1)
		requireDue(t, obs, "us-hipaa/business-associate-to-covered-entity", "2026-04-03T15:00:00Z")
	})
}

func TestMoreThanAndAtLeastThresholdsDifferAtTheBoundary(t *testing.T) {
	for _, tc := range []struct {
		regime, key, jurisdiction, trigger string
		n                                  int
		want                               bool
	}{
		{"us-co", "us-co/attorney-general", "US-CO", "determination", 500, true},  // 500 or more
		{"us-co", "us-co/attorney-general", "US-CO", "determination", 499, false}, //
		{"us-wa", "us-wa/attorney-general", "US-WA", "discovery", 500, false},     // more than 500
		{"us-wa", "us-wa/attorney-general", "US-WA", "discovery", 501, true},      //
		{"us-fl", "us-fl/department-of-legal-affairs", "US-FL", "determination", 500, true},
		{"us-tx", "us-tx/attorney-general", "US-TX", "determination", 250, true}, // at least 250
		{"us-tx", "us-tx/attorney-general", "US-TX", "determination", 249, false},
		{"us-ny", "us-ny/consumer-reporting-agencies", "US-NY", "discovery", 5000, false}, // more than 5,000
		{"us-ny", "us-ny/consumer-reporting-agencies", "US-NY", "discovery", 5001, true},
		{"jp-appi", "jp-appi/ppc-final", "JP", "awareness", 1000, false}, // exceeding 1,000
		{"jp-appi", "jp-appi/ppc-final", "JP", "awareness", 1001, true},
	} {
		obs := evaluate(t, []string{tc.regime}, Facts{
			Triggers: map[string]time.Time{tc.trigger: ts(t, "2026-06-01T12:00:00Z")},
			Affected: map[string]int{tc.jurisdiction: tc.n},
		})
		_, got := obs[tc.key]
		require.Equal(t, tc.want, got, "%s with %d in %s", tc.key, tc.n, tc.jurisdiction)
	}
}

func TestTexasIndividualsStay60DaysWhileTheAGIs30(t *testing.T) {
	obs := evaluate(t, []string{"us-tx"}, Facts{Triggers: map[string]time.Time{"determination": ts(t, "2026-06-01T12:00:00-05:00")}, Affected: map[string]int{"US-TX": 300}})
	requireDue(t, obs, "us-tx/individuals", "2026-07-31T12:00:00-05:00")
	requireDue(t, obs, "us-tx/attorney-general", "2026-07-01T12:00:00-05:00")
}

func TestLawEnforcementDelayPausesTheClock(t *testing.T) {
	disc := map[string]time.Time{"discovery": ts(t, "2026-02-02T15:00:00Z")}
	until := ts(t, "2026-03-12T00:00:00Z")
	f := Facts{Triggers: disc, Delays: []Delay{{Regime: "us-hipaa", Obligation: "individuals", From: ts(t, "2026-02-10T00:00:00Z"), Until: &until, Reason: "FBI written statement"}}}
	obs := evaluate(t, []string{"us-hipaa"}, f)
	o := requireDue(t, obs, "us-hipaa/individuals", "2026-05-03T15:00:00Z") // 3 Apr + 30 days of pause
	require.Contains(t, o.Basis, "paused 720h0m0s")
	require.Contains(t, o.Basis, "FBI written statement")
	requireDue(t, obs, "us-hipaa/hhs-annual-log", "2027-03-01T23:59:59-05:00") // other obligations untouched

	t.Run("open-ended", func(t *testing.T) {
		f := Facts{Triggers: disc, Delays: []Delay{{Regime: "us-hipaa", From: ts(t, "2026-02-10T00:00:00Z"), Reason: "oral request"}}}
		o := evaluate(t, []string{"us-hipaa"}, f)["us-hipaa/individuals"]
		require.Nil(t, o.DueAt)
		require.True(t, o.Paused)
		require.Contains(t, o.Basis, "no end yet")
	})
	t.Run("a delay after the due time changes nothing", func(t *testing.T) {
		f := Facts{Triggers: disc, Delays: []Delay{{Regime: "us-hipaa", From: ts(t, "2026-05-01T00:00:00Z")}}}
		requireDue(t, evaluate(t, []string{"us-hipaa"}, f), "us-hipaa/individuals", "2026-04-03T15:00:00Z")
	})
}

func TestWaitingForAMissingTrigger(t *testing.T) {
	obs := evaluate(t, []string{"eu-gdpr", "us-sec-8k"}, Facts{})
	for _, key := range []string{"eu-gdpr/supervisory-authority", "us-sec-8k/form-8k"} {
		require.Nil(t, obs[key].DueAt, key)
	}
	require.Equal(t, "awareness", obs["eu-gdpr/supervisory-authority"].WaitingFor)
	require.Equal(t, "materiality_determination", obs["us-sec-8k/form-8k"].WaitingFor)
	require.Equal(t, "P4 business days (US federal holidays), due 17:30 America/New_York", obs["us-sec-8k/form-8k"].Basis)
}

func TestRuleVersionsFollowTheirEffectiveDates(t *testing.T) {
	before := evaluate(t, []string{"us-ca"}, Facts{Triggers: map[string]time.Time{"discovery": ts(t, "2025-12-15T10:00:00-08:00")}})
	o := before["us-ca/residents"]
	require.True(t, o.InternalTarget, "before SB 446 there was no 30-day limit")
	require.Equal(t, "asap", o.Semantics)
	after := evaluate(t, []string{"us-ca"}, Facts{Triggers: map[string]time.Time{"discovery": ts(t, "2026-01-05T10:00:00-08:00")}})
	o = requireDue(t, after, "us-ca/residents", "2026-02-04T10:00:00-08:00")
	require.Equal(t, "hard", o.Semantics)

	pecr := evaluate(t, []string{"uk-pecr"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2025-08-19T10:00:00Z")}})
	requireDue(t, pecr, "uk-pecr/ico", "2025-08-20T10:00:00Z")
	pecr = evaluate(t, []string{"uk-pecr"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2025-08-21T10:00:00Z")}})
	requireDue(t, pecr, "uk-pecr/ico", "2025-08-24T10:00:00Z")

	require.Empty(t, evaluate(t, []string{"in-dpdp"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-06-01T10:00:00Z")}}), "DPDP Rule 7 is not in force in 2026")
	requireDue(t, evaluate(t, []string{"in-dpdp"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2027-06-01T10:00:00Z")}}), "in-dpdp/board-detailed", "2027-06-04T10:00:00Z")
	require.Empty(t, evaluate(t, []string{"us-circia"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-06-01T10:00:00Z")}}), "CIRCIA is not in force")
}

func TestCaliforniaAGRunsFromTheResidentNotices(t *testing.T) {
	f := Facts{Triggers: map[string]time.Time{"discovery": ts(t, "2026-02-01T09:00:00-08:00")}, Affected: map[string]int{"US-CA": 501}}
	obs := evaluate(t, []string{"us-ca"}, f)
	require.Equal(t, "us-ca/residents", obs["us-ca/attorney-general"].WaitingFor)
	f.Submitted = map[string]time.Time{"us-ca/residents": ts(t, "2026-02-20T16:00:00-08:00")}
	requireDue(t, evaluate(t, []string{"us-ca"}, f), "us-ca/attorney-general", "2026-03-07T16:00:00-08:00")
}

func TestVermontPreliminaryNoticeIsTheSoonerOf14BusinessDaysAndTheConsumerNotice(t *testing.T) {
	f := Facts{Triggers: map[string]time.Time{"discovery": ts(t, "2026-05-20T10:00:00-04:00")}}
	// Memorial Day (Mon 25 May) is skipped:
	// 21,22,26,27,28,29 May, 1-5 Jun, 8,9,10 Jun = 14.
	requireDue(t, evaluate(t, []string{"us-vt"}, f), "us-vt/ag-preliminary", "2026-06-10T23:59:59-04:00")
	f.Submitted = map[string]time.Time{"us-vt/consumers": ts(t, "2026-05-29T15:00:00-04:00")}
	o := requireDue(t, evaluate(t, []string{"us-vt"}, f), "us-vt/ag-preliminary", "2026-05-29T15:00:00-04:00")
	require.Contains(t, o.Basis, "the latter")
}

func TestJapanFinalReportCountsTheDayOfAwarenessAndRollsOverClosedDays(t *testing.T) {
	flags := map[string]bool{"sensitive_data": true}
	// Fri 10 Apr + 29 days = Sat 9 May: rolls to Mon 11 May.
	obs := evaluate(t, []string{"jp-appi"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-04-10T11:00:00+09:00")}, Flags: flags})
	o := requireDue(t, obs, "jp-appi/ppc-final", "2026-05-11T23:59:59+09:00")
	require.Contains(t, o.Threshold, "flag sensitive_data")
	// 1 Dec + 29 = 30 Dec, in the year-end closure: rolls to Mon 4 Jan.
	obs = evaluate(t, []string{"jp-appi"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-12-01T11:00:00+09:00")}, Flags: flags})
	requireDue(t, obs, "jp-appi/ppc-final", "2027-01-04T23:59:59+09:00")
	// Improper purpose: 60 days, day 1 = awareness: 10 Apr + 59 = Mon 8 Jun.
	obs = evaluate(t, []string{"jp-appi"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-04-10T11:00:00+09:00")}, Flags: map[string]bool{"improper_purpose": true}})
	requireDue(t, obs, "jp-appi/ppc-final", "2026-06-08T23:59:59+09:00")
}

func TestSingaporePDPCCountsThreeCalendarDaysAfterTheDayOfAssessment(t *testing.T) {
	obs := evaluate(t, []string{"sg-pdpa"}, Facts{Triggers: map[string]time.Time{"notifiable_assessment": ts(t, "2026-03-02T15:00:00+08:00")}})
	requireDue(t, obs, "sg-pdpa/pdpc", "2026-03-05T23:59:59+08:00")
}

func TestEveryContractRegimeAnswers(t *testing.T) {
	at := ts(t, "2026-06-01T12:00:00Z")
	triggers := map[string]time.Time{}
	for _, tr := range playbooks.RuleTriggers {
		triggers[tr] = at
	}
	for _, id := range []string{"eu-gdpr", "uk-gdpr", "eu-nis2", "eu-dora", "us-hipaa", "us-sec-8k", "us-ny-dfs", "us-ca", "us-ny", "us-tx", "us-co", "us-fl", "us-wa", "br-lgpd", "sg-pdpa", "au-ndb", "ca-pipeda", "jp-appi"} {
		obs, err := Evaluate(playbooks.MustRules(), []string{id}, Facts{Triggers: triggers, Affected: map[string]int{"JP": 5000}})
		require.NoError(t, err, id)
		require.NotEmpty(t, obs, "%s yields no obligation", id)
		for _, o := range obs {
			require.Equal(t, id, o.Regime)
			require.NotEmpty(t, o.Source, o.Key())
			require.NotEmpty(t, o.Basis, o.Key())
			require.Contains(t, playbooks.RuleRecipients, o.Recipient, o.Key())
			if o.DueAt != nil {
				require.False(t, o.DueAt.Before(at), "%s due before its trigger", o.Key())
			}
		}
	}
}

func TestEvaluateRejectsUnknownRegimesAndTriggers(t *testing.T) {
	_, err := Evaluate(playbooks.MustRules(), []string{"eu-gdpr", "xx-nope"}, Facts{})
	require.ErrorContains(t, err, `unknown regime "xx-nope"`)
	_, err = Evaluate(playbooks.MustRules(), []string{"eu-gdpr"}, Facts{Triggers: map[string]time.Time{"awarenes": time.Now()}})
	require.ErrorContains(t, err, `unknown trigger "awarenes"`)
	_, err = Evaluate(playbooks.MustRules(), []string{"eu-gdpr"}, Facts{Affected: map[string]int{"DE": -1}})
	require.ErrorContains(t, err, "negative")
}

func TestEvaluateAcceptsReferenceAliasesAndKeepsOrder(t *testing.T) {
	obs, err := Evaluate(playbooks.MustRules(), []string{"us-sec-8k-1-05", "eu-gdpr", "us-sec-8k"}, Facts{})
	require.NoError(t, err)
	require.Equal(t, "us-sec-8k", obs[0].Regime)
	require.Equal(t, "eu-gdpr", obs[len(obs)-1].Regime, "a regime named twice is evaluated once")
}

func TestObligationsRoundTripThroughJSON(t *testing.T) {
	obs, err := Evaluate(playbooks.MustRules(), []string{"eu-gdpr", "us-sec-8k"}, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-10-24T10:00:00+02:00")}})
	require.NoError(t, err)
	b, err := json.Marshal(obs)
	require.NoError(t, err)
	var back []Obligation
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back, len(obs))
	require.True(t, back[0].DueAt.Equal(*obs[0].DueAt))
	require.Contains(t, string(b), `"due_at":null`, "a waiting obligation says due_at null")
}

func TestDiffExplainsReEvaluation(t *testing.T) {
	rs := playbooks.MustRules()
	regimes := []string{"eu-gdpr", "us-hipaa"}
	old, err := Evaluate(rs, regimes, Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-03-10T09:00:00Z"), "discovery": ts(t, "2026-03-10T09:00:00Z")}, Affected: map[string]int{"US-CA": 499}})
	require.NoError(t, err)
	until := ts(t, "2026-03-20T09:00:00Z")
	now, err := Evaluate(rs, regimes, Facts{
		Triggers: map[string]time.Time{"awareness": ts(t, "2026-03-09T09:00:00Z"), "discovery": ts(t, "2026-03-10T09:00:00Z")},
		Affected: map[string]int{"US-CA": 501},
		Delays:   []Delay{{Regime: "us-hipaa", Obligation: "individuals", From: ts(t, "2026-03-11T09:00:00Z"), Until: &until}},
	})
	require.NoError(t, err)
	byKey := map[string]Change{}
	for _, c := range Diff(old, now) {
		byKey[c.Regime+"/"+c.Obligation] = c
	}
	require.Equal(t, ChangeDueEarlier, byKey["eu-gdpr/supervisory-authority"].Kind)
	require.Contains(t, byKey["eu-gdpr/supervisory-authority"].Message, "awareness moved earlier")
	require.Equal(t, ChangeAdded, byKey["us-hipaa/media"].Kind)
	require.Contains(t, byKey["us-hipaa/media"].Message, "threshold crossed: new obligation us-hipaa/media")
	require.Equal(t, ChangeAdded, byKey["us-hipaa/hhs"].Kind)
	require.Equal(t, ChangeRemoved, byKey["us-hipaa/hhs-annual-log"].Kind)
	require.Equal(t, ChangeDueLater, byKey["us-hipaa/individuals"].Kind)
	require.Empty(t, Diff(now, now), "the same facts change nothing")

	open, err := Evaluate(rs, regimes, Facts{Triggers: map[string]time.Time{"discovery": ts(t, "2026-03-10T09:00:00Z")},
		Delays: []Delay{{Regime: "us-hipaa", From: ts(t, "2026-03-11T09:00:00Z")}}})
	require.NoError(t, err)
	kinds := map[string]string{}
	for _, c := range Diff(old, open) {
		kinds[c.Regime+"/"+c.Obligation] = c.Kind
	}
	require.Equal(t, ChangePaused, kinds["us-hipaa/individuals"])
	require.Equal(t, ChangeWaiting, kinds["eu-gdpr/supervisory-authority"])
}

func TestEvaluateIsDeterministic(t *testing.T) {
	f := Facts{Triggers: map[string]time.Time{"awareness": ts(t, "2026-03-10T09:00:00Z"), "discovery": ts(t, "2026-03-10T09:00:00Z")},
		Affected: map[string]int{"US-CA": 600, "US-NY": 700, "US-TX": 800, "US-WA": 900}}
	ids := playbooks.MustRules().IDs()
	first, err := Evaluate(playbooks.MustRules(), ids, f)
	require.NoError(t, err)
	for range 20 {
		again, err := Evaluate(playbooks.MustRules(), ids, f)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
}
