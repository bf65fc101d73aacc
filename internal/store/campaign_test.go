package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCampaignRecipientsResumeWithoutSkippingOrRepeating walks a campaign as
// the batch activity does, with a crash between "sending" and the result: the
// person comes back (same Message-ID), nobody already sent does, and a list
// uploaded again merges instead of doubling.
func TestCampaignRecipientsResumeWithoutSkippingOrRepeating(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		rs := []CampaignRecipient{
			{Email: "Ann@Example.com", Name: "Ann", Jurisdiction: "DE", Language: "de", Row: 2},
			{Email: "bob@example.com", Name: "Bob", Row: 3},
			{Email: "cy@example.com", Name: "Cy", Row: 4},
		}
		n, err := st.AddCampaignRecipients(ctx, "C1", rs)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		n, err = st.AddCampaignRecipients(ctx, "C1", rs)
		require.NoError(t, err)
		require.Equal(t, 0, n, "uploading the same list again adds nobody")

		next, err := st.NextCampaignRecipients(ctx, "C1", 2)
		require.NoError(t, err)
		require.Len(t, next, 2)
		require.Equal(t, "ann@example.com", next[0].Email, "addresses are keyed lower-cased, in row order")
		now := time.Now()
		require.NoError(t, st.MarkCampaignSending(ctx, "C1", "ann@example.com", "<a@x>"))
		require.NoError(t, st.MarkCampaignResult(ctx, "C1", "ann@example.com", RecipientSent, 250, "", &now))
		require.NoError(t, st.MarkCampaignSending(ctx, "C1", "bob@example.com", "<b@x>"))
		// crash here: bob's outcome is unknown

		next, err = st.NextCampaignRecipients(ctx, "C1", 10)
		require.NoError(t, err)
		require.Len(t, next, 2)
		require.Equal(t, "bob@example.com", next[0].Email)
		require.Equal(t, RecipientSending, next[0].Status)
		require.Equal(t, "<b@x>", next[0].MessageID)

		require.NoError(t, st.MarkCampaignSending(ctx, "C1", "bob@example.com", "<b@x>"))
		require.NoError(t, st.MarkCampaignResult(ctx, "C1", "bob@example.com", RecipientFailed, 550, "5.1.1 <Bob@Example.com>: mailbox unknown", nil))
		failed, err := st.CampaignRecipients(ctx, "C1")
		require.NoError(t, err)
		require.Equal(t, "5.1.1 <address>: mailbox unknown", failed[1].LastError,
			"the error column is in clear: the address a server quotes is not kept in it")
		require.NoError(t, st.MarkCampaignSending(ctx, "C1", "cy@example.com", "<c@x>"))
		require.NoError(t, st.MarkCampaignResult(ctx, "C1", "cy@example.com", RecipientPending, 451, "try later", nil))
		require.Error(t, st.MarkCampaignSending(ctx, "C1", "ann@example.com", "<a@x>"), "a sent person is never handed to SMTP again")

		c, err := st.CampaignCounts(ctx, "C1", false)
		require.NoError(t, err)
		require.Equal(t, CampaignCounts{Total: 3, Pending: 1, Sent: 1, Failed: 1}, c)
		c, err = st.CampaignCounts(ctx, "C1", true)
		require.NoError(t, err)
		require.Equal(t, CampaignCounts{Total: 3, Pending: 2, Sent: 1}, c, "sending again retries the failed")

		all, err := st.CampaignRecipients(ctx, "C1")
		require.NoError(t, err)
		require.Len(t, all, 3)
		require.Equal(t, 0, all[1].Attempts, "a failed person sent again starts a fresh count")
		require.Equal(t, 1, all[2].Attempts)
		require.NotNil(t, all[0].SentAt)
	})
}
