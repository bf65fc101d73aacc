package activities

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/internal/keyring"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// A campaign's Message-IDs are kept in clear (and sent): derived from the
// address, anyone with a copy of the database and a list of addresses could
// recompute them and confirm who was written to. With encryption they come
// from the person's keyed digest in the store instead; the same person
// still gets the same id on every attempt.
func TestCampaignMessageIDsCannotBeRecomputedFromAnAddress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ring, err := keyring.Load(keyring.Source{DataDir: dir})
	require.NoError(t, err)
	st, err := store.Open(t.Context(), "", dir, store.WithKeyRing(ring))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	const campaign = "INC-2026-0001/N1"
	people := []store.CampaignRecipient{{Email: "Zoe.OBrien@example.invalid", Name: "Zoë", Row: 2}, {Email: "ivan@example.invalid", Name: "Иван", Row: 3}}
	_, err = st.AddCampaignRecipients(t.Context(), campaign, people)
	require.NoError(t, err)

	srv := smtptest.Start(t)
	a := noticeActs(t, srv, "")
	a.Campaigns = st
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a.CampaignBatch)
	in := workflows.CampaignBatchInput{CampaignInput: workflows.CampaignInput{IncidentID: "INC-2026-0001", NoticeID: "N1", Campaign: campaign,
		Mode: workflows.ModeLive, Regime: "us-ca", Obligation: "individuals", Revision: 1, Subject: "s", BatchSize: 10, MaxAttempts: 3}}
	_, err = env.ExecuteActivity(a.CampaignBatch, in)
	require.NoError(t, err)
	msgs := srv.WaitForMessages(t, 2, 10*time.Second)
	stored, err := st.CampaignRecipients(t.Context(), campaign)
	require.NoError(t, err)
	require.Len(t, stored, 2)
	for i, p := range people {
		guessed := a.messageID(in.IncidentID, in.Regime+"/"+in.Obligation, in.NoticeID, "campaign", campaign, "zoe.obrien@example.invalid", fmt.Sprintf("rev-%d", in.Revision))
		if i == 1 {
			guessed = a.messageID(in.IncidentID, in.Regime+"/"+in.Obligation, in.NoticeID, "campaign", campaign, "ivan@example.invalid", fmt.Sprintf("rev-%d", in.Revision))
		}
		require.NotEqual(t, guessed, msgs[i].MessageID, "%s: the id is not the address's", p.Email)
		require.Equal(t, msgs[i].MessageID, stored[i].MessageID, "the id sent is the id kept")
		require.NotContains(t, stored[i].Key, "example.invalid", "the key is a digest")
		again := a.messageID(in.IncidentID, in.Regime+"/"+in.Obligation, in.NoticeID, "campaign", campaign, stored[i].Key, fmt.Sprintf("rev-%d", in.Revision))
		require.Equal(t, msgs[i].MessageID, again, "the same person, the same id on a retry")
	}
	require.NotEqual(t, msgs[0].MessageID, msgs[1].MessageID)
}
