package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/pgtest"
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

// recordIncident writes what the Record and SendNotice activities write for
// one incident: an event vouching for a register row and a snapshot, and a
// notice attempt whose bytes are kept.
func recordIncident(t *testing.T, st Store, id string) {
	t.Helper()
	ctx := t.Context()
	sent := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	due := sent.Add(72 * time.Hour)
	onTime := true
	reg := RegisterEntry{ID: "notice/N1", IncidentID: id, Kind: RegisterNotice, Regime: "eu-gdpr", Obligation: "supervisory-authority",
		Recipient: "authority", To: []string{"breach@dpa.example"}, Status: "sent", DueAt: &due, SentAt: &sent, OnTime: &onTime, MessageID: "<m@x>"}
	state := []byte(`{"id":"` + id + `","phase":"contain","facts":{"affected":1200,"nature":"exposed bucket"},"clocks":[{"regime":"eu-gdpr","obligation":"supervisory-authority","met_by":"22h"}],"notices":[{"id":"N1","status":"sent"}]}`)
	canon, digest, sum, err := SnapshotDigest(state)
	require.NoError(t, err)
	data, _ := json.Marshal(map[string]any{"notice": "N1", RegisterKey: map[string]string{"id": reg.ID, "sha256": RegisterHash(reg)}, SnapshotKey: sum})
	ev, _, err := st.Append(ctx, Event{IncidentID: id, Key: "sent/N1", At: sent, Kind: "notice.sent", Actor: "irbot", Data: data})
	require.NoError(t, err)
	require.NoError(t, st.PutRegister(ctx, reg))
	require.NoError(t, st.PutSnapshot(ctx, id, ev.Seq, ev.At, canon, digest))
	raw := []byte("Message-Id: <m@x>\r\n\r\nBody\r\n")
	require.NoError(t, st.PutNoticeMessage(ctx, id, "N1", "c0ffee", NoticeAttempt{N: 1, MessageID: "<m@x>"}, raw))
	att, _ := json.Marshal(map[string]any{"notice": "N1", "attempt": 1, "outcome": "delivered", "raw_sha256": RawSHA256(raw)})
	_, _, err = st.Append(ctx, Event{IncidentID: id, Key: "attempt/1", At: sent, Kind: "notice.attempt", Actor: "irbot", Data: att})
	require.NoError(t, err)
	res, err := st.Verify(ctx, id)
	require.NoError(t, err)
	require.True(t, res.OK, "%s %+v", res.Reason, res.Items)
}

// TestVerifyNamesAnEditedRegisterRowMessageOrSnapshot: the chain vouches for
// the rows beside it; an edit of any of them is named.
func TestVerifyNamesAnEditedRegisterRowMessageOrSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name, query, item, reason string
	}{
		{"register row late to on time", `UPDATE register_entries SET on_time = NOT on_time WHERE id = 'notice/N1'`, "register row notice/N1", "was edited"},
		{"register row sent_at moved", `UPDATE register_entries SET sent_at = NULL WHERE id = 'notice/N1'`, "register row notice/N1", "was edited"},
		{"register row deleted", `DELETE FROM register_entries WHERE id = 'notice/N1'`, "register row notice/N1", "is missing"},
		{"register row forged", `INSERT INTO register_entries SELECT 'notice/N9', incident_id, kind, regime, obligation, recipient, to_addrs, status, due_at, sent_at, on_time, late_reason, reference, message_id, content_hash, decided_by, rationale, recorded_at, language FROM register_entries WHERE id = 'notice/N1'`, "register row notice/N9", "added outside irbot"},
		{"notice bytes", `UPDATE notice_messages SET raw = ? WHERE notice_id = 'N1'`, "notice N1 attempt 1 message", "were edited"},
		{"notice bytes and their hash", `UPDATE notice_messages SET raw = ?, raw_sha256 = ? WHERE notice_id = 'N1'`, "notice N1 attempt 1 message", "not the one sent"},
		{"snapshot fact", `UPDATE incident_snapshots SET state = replace(state, '"affected":1200', '"affected":12')`, "snapshot after event 1: facts.affected", "was edited"},
		{"snapshot clock", `UPDATE incident_snapshots SET state = replace(state, '22h', '99h')`, "snapshot after event 1: clocks[eu-gdpr/supervisory-authority]", "was edited"},
		{"snapshot and digest", `UPDATE incident_snapshots SET state = replace(state, '"affected":1200', '"affected":12'), digest = '{}'`, "snapshot after event 1 (notice.sent N1)", "the snapshot of INC-T after event 1 (its state after notice.sent N1) was edited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st Store) {
				recordIncident(t, st, "INC-T")
				forged := []byte("Message-Id: <m@x>\r\n\r\nBodY\r\n")
				var args []any
				switch strings.Count(tc.query, "?") {
				case 1:
					args = []any{forged}
				case 2:
					args = []any{forged, RawSHA256(forged)}
				}
				tamper(t, st, tc.query, args...)
				res, err := st.Verify(t.Context(), "INC-T")
				require.NoError(t, err)
				require.False(t, res.OK, "verify must catch: %s", tc.name)
				require.NotEmpty(t, res.Items)
				require.Equal(t, tc.item, res.Items[0].Item, "%+v", res.Items)
				require.Contains(t, res.Items[0].Reason, tc.reason)
				require.Contains(t, res.Reason, tc.reason)
			})
		})
	}
}

// TestCheckpointCatchesARewriteOfTheWholeDatabase: an insider who rewrites
// an incident's whole chain (every hash recomputed, head moved) passes the
// chain check but not the signed checkpoint.
func TestCheckpointCatchesARewriteOfTheWholeDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		evs := appendN(t, st, "INC-W", 3)
		appendN(t, st, "INC-X", 1)
		_, err := st.LatestCheckpoint(ctx)
		require.ErrorIs(t, err, ErrNotFound)
		key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
		cp, err := st.SignCheckpoint(ctx, key, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.NoError(t, cp.CheckSignature())
		var body CheckpointBody
		require.NoError(t, json.Unmarshal(cp.Body, &body))
		require.Equal(t, []ChainHead{{IncidentID: "INC-W", Seq: 3, Hash: evs[2].Hash}, {IncidentID: "INC-X", Seq: 1, Hash: body.Heads[1].Hash}}, body.Heads)
		latest, err := st.LatestCheckpoint(ctx)
		require.NoError(t, err)
		require.Equal(t, cp.ID, latest.ID)
		byID, err := st.CheckpointByID(ctx, cp.ID)
		require.NoError(t, err)
		require.Equal(t, string(cp.Body), string(byID.Body), "a checkpoint is read back byte for byte")
		require.Equal(t, cp.Signature, byID.Signature)
		require.NoError(t, byID.CheckSignature())
		for _, missing := range []int64{0, -1, cp.ID + 1, 1 << 62} {
			_, err = st.CheckpointByID(ctx, missing)
			require.ErrorIs(t, err, ErrNotFound, "checkpoint %d does not exist", missing)
		}
		res, err := st.Verify(ctx, "INC-W")
		require.NoError(t, err)
		require.True(t, res.OK, res.Reason)

		// Rewrite event 2 and everything after it, hashes recomputed.
		tamper(t, st, `DELETE FROM timeline_events WHERE incident_id = 'INC-W' AND seq >= 2`)
		prev := evs[0].Hash
		for i := 2; i <= 3; i++ {
			e := Event{IncidentID: "INC-W", Seq: int64(i), Key: fmt.Sprintf("k%d", i), At: evs[i-1].At, Kind: "note.added", Actor: "U1",
				Data: json.RawMessage(fmt.Sprintf(`{"n":%d,"text":"rewritten"}`, i)), PrevHash: prev}
			forge(t, st, e)
			prev = e.ComputeHash()
		}
		tamper(t, st, `UPDATE timeline_heads SET last_hash = ? WHERE incident_id = 'INC-W'`, prev)
		res, err = st.Verify(ctx, "INC-W")
		require.NoError(t, err)
		require.False(t, res.OK, "a rewritten chain must not verify against the checkpoint")
		require.Equal(t, fmt.Sprintf("checkpoint %d", cp.ID), res.Items[0].Item)
		require.Contains(t, res.Reason, "event 3 is not the event checkpoint")

		// A forged checkpoint row (not signed by its key) is refused.
		tamper(t, st, `UPDATE checkpoints SET body = replace(body, ?, ?)`, evs[2].Hash, prev)
		res, err = st.Verify(ctx, "INC-W")
		require.NoError(t, err)
		require.False(t, res.OK)
		require.Contains(t, res.Reason, "signature does not match")
	})
}

// TestPurgeLeavesATombstoneAndNeverTouchesAnOpenIncident: retention purges
// closed incidents only, completely, and keeps their final chain head.
func TestPurgeLeavesATombstoneAndNeverTouchesAnOpenIncident(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, inc := range []Incident{
			{ID: "INC-T", Title: "closed long ago", Status: StatusClosed, DeclaredAt: old, UpdatedAt: old},
			{ID: "INC-O", Title: "open long ago", Status: "open", DeclaredAt: old, UpdatedAt: old},
			{ID: "INC-N", Title: "closed today", Status: StatusClosed, DeclaredAt: time.Now(), UpdatedAt: time.Now()},
		} {
			require.NoError(t, st.UpsertIncident(ctx, inc))
		}
		recordIncident(t, st, "INC-T")
		evs, err := st.Events(ctx, "INC-T")
		require.NoError(t, err)
		appendN(t, st, "INC-O", 2)

		_, err = st.PurgeIncident(ctx, "INC-O", "retention")
		require.ErrorIs(t, err, ErrInvalid, "an open incident is never purged")
		_, err = st.PurgeIncident(ctx, "INC-Z", "retention")
		require.ErrorIs(t, err, ErrNotFound)

		ts, err := st.PurgeClosedBefore(ctx, old.AddDate(1, 0, 0), "retention: closed incidents are kept 1 year")
		require.NoError(t, err)
		require.Len(t, ts, 1, "only the incident closed before the cutoff goes")
		require.Equal(t, "INC-T", ts[0].IncidentID)
		require.Equal(t, int64(len(evs)), ts[0].Events)
		require.Equal(t, evs[len(evs)-1].Hash, ts[0].FinalHash, "the tombstone keeps the final chain head")

		gone, err := st.Events(ctx, "INC-T")
		require.NoError(t, err)
		require.Empty(t, gone)
		_, err = st.GetIncident(ctx, "INC-T")
		require.ErrorIs(t, err, ErrNotFound)
		_, err = st.LatestSnapshot(ctx, "INC-T")
		require.ErrorIs(t, err, ErrNotFound)
		_, err = st.NoticeMessage(ctx, "INC-T", "N1")
		require.ErrorIs(t, err, ErrNotFound)
		reg, err := st.ListRegister(ctx)
		require.NoError(t, err)
		require.Empty(t, reg)
		all, err := st.Tombstones(ctx)
		require.NoError(t, err)
		require.Len(t, all, 1)
		require.Equal(t, ts[0].FinalHash, all[0].FinalHash)
		for _, id := range []string{"INC-O", "INC-N"} {
			_, err := st.GetIncident(ctx, id)
			require.NoError(t, err, "%s is kept", id)
		}
		res, err := st.Verify(ctx, "INC-O")
		require.NoError(t, err)
		require.True(t, res.OK, res.Reason)
	})
}

// Replicas sign checkpoints on demand at the same moment: on PostgreSQL two
// stores (two processes) pick the same next number, and the loser takes
// the one after instead of failing.
func TestConcurrentSignersOnPostgreSQLEachGetACheckpoint(t *testing.T) {
	if pgtest.Bin() == "" {
		t.Skip("PostgreSQL binaries not installed")
	}
	pg := pgtest.Start(t, "irbot")
	a, b := open(t, pg.URL("irbot"), ""), open(t, pg.URL("irbot"), "")
	appendN(t, a, "INC-P", 2)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	const n = 16
	ids := make(chan int64, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			c, err := st.SignCheckpoint(t.Context(), key, time.Now())
			if err != nil {
				errs <- err
				return
			}
			ids <- c.ID
		})
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var got []int64
	for id := range ids {
		got = append(got, id)
	}
	slices.Sort(got)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, got, "every signer got its own checkpoint, numbered without gaps")
	for _, id := range got {
		c, err := b.CheckpointByID(t.Context(), id)
		require.NoError(t, err)
		require.NoError(t, c.CheckSignature())
	}
}
