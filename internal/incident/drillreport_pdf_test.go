package incident

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// TestDrillReportAsPDF: the drill report's PDF (same code as the evidence
// report) carries its objectives, clocks with margins and the plan.
func TestDrillReportAsPDF(t *testing.T) {
	r := &DrillReport{Drill: "INC-2026-0009", Title: "Ransomware — Zürich", Scenario: "ransomware", Speed: 60, Status: "ended", PlayedFor: "72h",
		Objectives:   []ReportObjective{{ID: "notify", Title: "Notify the authority on time", Rating: "S", Met: 1, Total: 2}},
		Clocks:       []ReportClock{{Regime: "eu-gdpr", Obligation: "supervisory-authority", DueAt: "+72h", SettledAt: "+70h", Status: "met", Met: true, Margin: "+2h"}},
		Improvements: []workflows.Improvement{{Issue: "東京 contact list stale", Action: "refresh", Owner: "dpo", Due: "2026-04-01"}},
		GeneratedAt:  time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	b, err := r.PDF()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "%PDF-"))
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext (poppler-utils) is not installed; .ci/run installs it")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	p := filepath.Join(t.TempDir(), "r.pdf")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, want := range []string{"Ransomware — Zürich", "Notify the authority on time", "eu-gdpr/supervisory-authority: met", "margin +2h", "[U+6771][U+4EAC] contact list stale"} {
		require.Contains(t, string(out), want)
	}
}
