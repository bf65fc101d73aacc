package store

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInstallationIDIsCreatedOnceAndKept(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			u, dir := b.fresh(t)
			// Two first starts at once still agree on one ID.
			ids := make([]string, 4)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, err := Open(t.Context(), u, dir)
					if err != nil {
						t.Error(err)
						return
					}
					defer st.Close()
					ids[i], err = st.InstallationID(t.Context())
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			require.Len(t, ids[0], 32)
			for _, id := range ids {
				require.Equal(t, ids[0], id, "every process of one installation sees the same installation ID")
			}
			st := open(t, u, dir)
			again, err := st.InstallationID(t.Context())
			require.NoError(t, err)
			require.Equal(t, ids[0], again, "a restart keeps the installation ID")

			ou, odir := b.fresh(t)
			other := open(t, ou, odir)
			otherID, err := other.InstallationID(t.Context())
			require.NoError(t, err)
			require.NotEqual(t, ids[0], otherID, "two installations never share an ID")
		})
	}
}

func TestNoticeMessagesKeepTheExactBytesAndEveryAttempt(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		_, err := st.NoticeMessage(ctx, "INC-1", "N1")
		require.ErrorIs(t, err, ErrNotFound)

		// Bytes that are not text: NUL, CRLF, other scripts, invalid UTF-8.
		first := []byte("Message-Id: <a@x>\r\nSubject: =?utf-8?q?Datenpanne?=\r\n\r\nVerletzung \x00 \xff\xfe 個人情報\r\n")
		second := bytes.Replace(first, []byte("Verletzung"), []byte("Breach"), 1)
		a1 := NoticeAttempt{N: 1, Revision: 2, MessageID: "<a@x>"}
		require.NoError(t, st.PutNoticeMessage(ctx, "INC-1", "N1", "c0ffee", a1, first))
		require.NoError(t, st.PutNoticeMessage(ctx, "INC-1", "N1", "c0ffee", a1, first), "a repeat is a no-op")
		got, err := st.NoticeMessage(ctx, "INC-1", "N1")
		require.NoError(t, err)
		require.Equal(t, first, got.Raw)
		require.Equal(t, RawSHA256(first), got.RawSHA256)
		require.False(t, got.Delivered)
		require.Len(t, got.Attempts, 1)
		require.Nil(t, got.Attempts[0].At, "an attempt in flight has no outcome time")

		failedAt := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		require.NoError(t, st.RecordNoticeAttempt(ctx, "INC-1", "N1", NoticeAttempt{N: 1, At: &failedAt, Outcome: "temporary", Code: 451, Stage: "rcpt", Uncertain: true, Error: "try later"}))
		require.ErrorIs(t, st.PutNoticeMessage(ctx, "INC-1", "N1", "c0ffee", a1, second), ErrKeyConflict, "bytes of an attempt with an outcome are never replaced")

		a2 := NoticeAttempt{N: 2, Revision: 2, MessageID: "<a@x>"}
		require.NoError(t, st.PutNoticeMessage(ctx, "INC-1", "N1", "c0ffee", a2, second))
		deliveredAt := failedAt.Add(time.Minute)
		require.NoError(t, st.RecordNoticeAttempt(ctx, "INC-1", "N1", NoticeAttempt{N: 2, At: &deliveredAt, Outcome: "delivered", Code: 250, Stage: "data", Server: "mx:25"}))
		// A later failed attempt does not hide the delivered bytes.
		require.NoError(t, st.PutNoticeMessage(ctx, "INC-1", "N1", "c0ffee", NoticeAttempt{N: 3, Revision: 2, MessageID: "<a@x>"}, first))

		got, err = st.NoticeMessage(ctx, "INC-1", "N1")
		require.NoError(t, err)
		require.True(t, got.Delivered)
		require.Equal(t, 2, got.Attempt)
		require.Equal(t, second, got.Raw, "the message is the delivered attempt's bytes")
		require.Equal(t, "c0ffee", got.ContentHash)
		require.Len(t, got.Attempts, 3)
		require.Equal(t, "temporary", got.Attempts[0].Outcome)
		require.True(t, got.Attempts[0].Uncertain)
		require.Equal(t, 451, got.Attempts[0].Code)
		require.True(t, got.Attempts[0].At.Equal(failedAt))
		require.Equal(t, "delivered", got.Attempts[1].Outcome)
		require.Equal(t, len(second), got.Attempts[1].Size)
		require.Equal(t, "", got.Attempts[2].Outcome)

		require.ErrorIs(t, st.RecordNoticeAttempt(ctx, "INC-1", "N1", NoticeAttempt{N: 9, Outcome: "delivered"}), ErrNotFound)
		for name, bad := range map[string]func() error{
			"empty": func() error { return st.PutNoticeMessage(ctx, "INC-1", "N2", "", a1, nil) },
			"huge": func() error {
				return st.PutNoticeMessage(ctx, "INC-1", "N2", "", a1, make([]byte, MaxNoticeMessageBytes+1))
			},
			"no id": func() error { return st.PutNoticeMessage(ctx, "INC-1", "", "", a1, first) },
			"attempt 0": func() error {
				return st.PutNoticeMessage(ctx, "INC-1", "N2", "", NoticeAttempt{MessageID: "<a@x>"}, first)
			},
			"NUL id": func() error { return st.PutNoticeMessage(ctx, "INC-1", "N\x002", "", a1, first) },
			"no outcome": func() error {
				return st.RecordNoticeAttempt(ctx, "INC-1", "N1", NoticeAttempt{N: 1})
			},
		} {
			require.ErrorIs(t, bad(), ErrInvalid, name)
		}

		require.NoError(t, st.PutNoticeMessage(ctx, "INC-1", "N0", "", a1, []byte(strings.Repeat("x", 100))))
		require.NoError(t, st.PutNoticeMessage(ctx, "INC-2", "N1", "", a1, first))
		all, err := st.NoticeMessages(ctx, "INC-1")
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "N0", all[0].NoticeID)
		require.Equal(t, "N1", all[1].NoticeID)
		none, err := st.NoticeMessages(ctx, "INC-9")
		require.NoError(t, err)
		require.Empty(t, none)
	})
}
