package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/workflows"
)

// Two spellings of the same times in one zone are the same schedule; a
// different time, or an expression that cannot be read, is not.
func TestSameRunsTellsRespelledScheduleFromAnother(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"0 9 1 */3 *", "0 9 1 1,4,7,10 *", true},
		{"@monthly", "0 0 1 * *", true},
		{"0 9 * * 1", "0 9 * * MON", true},
		{"0 9 1 */3 *", "0 9 1 */3 *", true},
		{"0 9 1 */3 *", "0 10 1 */3 *", false},
		{"0 9 1 */3 *", "0 9 1 2,5,8,11 *", false},
		{"0 9 * * 1", "0 9 * * 2", false},
		{"0 9 * * 1", "not a cron", false},
		{"0 9 * * 1", "0 9 * * 1\x00", false},
		{"0 9 * * 1", "〇 9 * * 1", false},
	} {
		sched, err := schedule.ParseDrillCron(c.a, paris)
		require.NoError(t, err, c.a)
		require.Equal(t, c.same, sameRuns(c.b, "Europe/Paris", sched, now), "%q vs %q", c.a, c.b)
	}
	sched, err := schedule.ParseDrillCron("0 9 * * 1", paris)
	require.NoError(t, err)
	require.False(t, sameRuns("0 9 * * 1", "Mars/Olympus", sched, now), "an unknown zone is no match")
}

// A schedule's ID is made from its scenario, expression and zone: stable,
// different for another expression or zone, and made only of characters a
// Temporal ID and a URL path take as they are, whatever the expression holds.
func TestDrillScheduleIDIsStableAndSafe(t *testing.T) {
	a := drillScheduleID("ransomware-exfiltration", "0 9 1 */3 *", "Europe/Paris")
	require.Equal(t, a, drillScheduleID("ransomware-exfiltration", "0 9 1 */3 *", "Europe/Paris"))
	require.True(t, strings.HasPrefix(a, workflows.DrillScheduleIDPrefix+"ransomware-exfiltration-"))
	seen := map[string]string{a: "paris"}
	for name, id := range map[string]string{
		"utc":      drillScheduleID("ransomware-exfiltration", "0 9 1 */3 *", "UTC"),
		"10h":      drillScheduleID("ransomware-exfiltration", "0 10 1 */3 *", "Europe/Paris"),
		"scenario": drillScheduleID("misdirected-email", "0 9 1 */3 *", "Europe/Paris"),
		"nul":      drillScheduleID("ransomware-exfiltration", "0 9 1 */3 *\x00", "Europe/Paris"),
		"zone+nul": drillScheduleID("ransomware-exfiltration", "0 9 1 */3 *", "\x00Europe/Paris"),
		"scripts":  drillScheduleID("ransomware-exfiltration", "0 9 1 */3 * 日本 العربية", "Europe/Paris"),
	} {
		require.NotContains(t, seen, id, "%s collides with %s", name, seen[id])
		seen[id] = name
		require.Regexp(t, `^irbot-drill-schedule-[a-z0-9-]+-[a-z2-7]{8}$`, id, name)
	}
}
