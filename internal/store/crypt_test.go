package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/keyring"
)

// Personal data as the world sends it: Latin with accents, Cyrillic, an
// address, a phone number, a quote that JSON escapes.
var personal = []string{"Zoë O\"Brien", "Иван Петров", "zoe.obrien@example.invalid", "+44 20 7946 0958"}

func testRing(t *testing.T, dir string) *keyring.Ring {
	t.Helper()
	r, err := keyring.Load(keyring.Source{DataDir: dir})
	require.NoError(t, err)
	return r
}

// eachEncryptedBackend runs f on a fresh store with a key ring, per backend.
func eachEncryptedBackend(t *testing.T, f func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			u, dir := b.fresh(t)
			ring := testRing(t, t.TempDir())
			openWith := func(r *keyring.Ring) Store {
				st, err := Open(t.Context(), u, dir, WithKeyRing(r))
				require.NoError(t, err)
				t.Cleanup(func() { _ = st.Close() })
				return st
			}
			f(t, openWith(ring), ring, openWith)
		})
	}
}

func factEvent(inc, key, value string) Event {
	data, _ := json.Marshal(map[string]string{"name": "customer", "value": value})
	return Event{IncidentID: inc, Key: key, Kind: "fact.set", Actor: "U1", Data: data}
}

func TestEncryptedStoreSealsEventDataAndStillVerifies(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		for i, v := range personal {
			ev, created, err := st.Append(ctx, factEvent("INC-1", "f"+string(rune('a'+i)), v))
			require.NoError(t, err)
			require.True(t, created)
			require.Contains(t, string(ev.Data), strings.Trim(string(mustJSON(v)), `"`), "the caller sees what it wrote")
			require.Equal(t, ev.Hash, ev.ComputeHash(), "the hash covers the sealed form the event carries")
		}
		// A retry with the same content is the same event; other content conflicts.
		again, created, err := st.Append(ctx, factEvent("INC-1", "fa", personal[0]))
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, int64(1), again.Seq)
		_, _, err = st.Append(ctx, factEvent("INC-1", "fa", "someone else"))
		require.ErrorIs(t, err, ErrKeyConflict)

		// The rows hold no personal data, in any form.
		var all bytes.Buffer
		rows, err := rawDB(st).QueryContext(ctx, `SELECT data FROM timeline_events`)
		require.NoError(t, err)
		for rows.Next() {
			var d string
			require.NoError(t, rows.Scan(&d))
			all.WriteString(d)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		for _, v := range personal {
			require.NotContains(t, all.String(), v)
			require.NotContains(t, all.String(), string(mustJSON(v)))
		}
		require.Contains(t, all.String(), SealedEncoding)

		evs, err := st.Events(ctx, "INC-1")
		require.NoError(t, err)
		require.Len(t, evs, len(personal))
		for i, e := range evs {
			var d map[string]string
			require.NoError(t, json.Unmarshal(e.Data, &d))
			require.Equal(t, personal[i], d["value"], "readers see the plain data")
			require.Equal(t, e.Hash, e.ComputeHash())
		}
		res, err := st.Verify(ctx, "INC-1")
		require.NoError(t, err)
		require.True(t, res.OK, res.Reason)

		// Tampering with the ciphertext is caught by the chain, without a key.
		tamper(t, st, `UPDATE timeline_events SET data = REPLACE(data, '"sealed":"', '"sealed":"AAAA') WHERE incident_id = 'INC-1' AND seq = 2`)
		res, err = st.Verify(ctx, "INC-1")
		require.NoError(t, err)
		require.False(t, res.OK)

		_ = ring
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestErasingAClosedIncidentsDataKeepsItsChain(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		for i, v := range personal {
			_, _, err := st.Append(ctx, factEvent("INC-2", "f"+string(rune('a'+i)), v))
			require.NoError(t, err)
		}
		_, err := st.AddCampaignRecipients(ctx, "INC-2/N1", []CampaignRecipient{{Email: "Zoe.OBrien@example.invalid", Name: "Zoë O'Brien", Jurisdiction: "GB", Language: "en", Row: 1}})
		require.NoError(t, err)
		rs, err := st.CampaignRecipients(ctx, "INC-2/N1")
		require.NoError(t, err)
		require.Equal(t, "zoe.obrien@example.invalid", rs[0].Email)
		require.Equal(t, "Zoë O'Brien", rs[0].Name)
		require.NoError(t, st.MarkCampaignSending(ctx, "INC-2/N1", "ZOE.obrien@example.invalid", "<m1@irbot>"), "lookups by address work through the digest")
		var rawEmail, rawName string
		require.NoError(t, rawDB(st).QueryRowContext(ctx, `SELECT email, name FROM campaign_recipients`).Scan(&rawEmail, &rawName))
		require.NotContains(t, rawEmail, "obrien")
		require.Empty(t, rawName)

		// A second process (a replica, or the server beside `irbot keys
		// erase`) has read the incident, so it holds the unwrapped key.
		cached := reopen(ring)
		_, err = cached.Events(ctx, "INC-2")
		require.NoError(t, err)
		var wrapped string
		require.NoError(t, rawDB(st).QueryRowContext(ctx, `SELECT wrapped FROM incident_keys WHERE incident_id = 'INC-2'`).Scan(&wrapped))

		// An open incident is not erased.
		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-2", Title: "t", Status: "active"}))
		_, err = st.EraseIncidentData(ctx, "INC-2", "admin", "retention ended")
		require.ErrorIs(t, err, ErrInvalid)

		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-2", Title: "t", Status: "closed"}))
		ev, err := st.EraseIncidentData(ctx, "INC-2", "admin", "retention ended")
		require.NoError(t, err)
		require.Equal(t, KindDataErased, ev.Kind)
		again, err := st.EraseIncidentData(ctx, "INC-2", "admin", "retention ended")
		require.NoError(t, err, "erasing twice is harmless")
		require.Equal(t, ev.Seq, again.Seq)
		// The other process sees the erasure when it next reads the key
		// table (within dataKeyRecheck); here that time has passed.
		c := cached.(*sqlStore)
		c.keyMu.Lock()
		require.Contains(t, c.keys, "INC-2", "the other process had the key cached")
		c.keys["INC-2"].loaded = time.Now().Add(-dataKeyRecheck)
		c.keyMu.Unlock()
		if dir := sqliteDir(t, st); dir != "" {
			// The destroyed key is gone from the files, not only from the
			// row: a copy of the data directory cannot bring it back.
			files, err := filepath.Glob(filepath.Join(dir, "irbot.db*"))
			require.NoError(t, err)
			require.NotEmpty(t, files)
			for _, f := range files {
				b, err := os.ReadFile(f)
				require.NoError(t, err)
				require.NotContains(t, string(b), wrapped, "%s still holds the destroyed data key", filepath.Base(f))
			}
		}

		// Even a process that still has every key cannot read it now.
		for _, s := range []Store{st, reopen(ring), cached} {
			evs, err := s.Events(ctx, "INC-2")
			require.NoError(t, err)
			require.Len(t, evs, len(personal)+1)
			for _, e := range evs[:len(personal)] {
				require.JSONEq(t, `{"erased":true}`, string(e.Data))
			}
			require.Equal(t, KindDataErased, evs[len(personal)].Kind)
			require.Contains(t, string(evs[len(personal)].Data), "retention ended")
			res, err := s.Verify(ctx, "INC-2")
			require.NoError(t, err)
			require.True(t, res.OK, "the chain still verifies after erasure: %s", res.Reason)
			rs, err := s.CampaignRecipients(ctx, "INC-2/N1")
			require.NoError(t, err)
			require.Empty(t, rs[0].Email)
			require.Empty(t, rs[0].Name)
		}
	})
}

func TestRotationRewrapsDataKeysAndOldDataStaysReadable(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		_, _, err := st.Append(ctx, factEvent("INC-3", "f1", personal[1]))
		require.NoError(t, err)
		_, _, err = st.Append(ctx, factEvent("INC-4", "f1", personal[2]))
		require.NoError(t, err)
		old := ring.Current()
		newID, err := ring.Rotate()
		require.NoError(t, err)
		n, total, err := st.RewrapDataKeys(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Equal(t, 2, total)
		var kids []string
		rows, err := rawDB(st).QueryContext(ctx, `SELECT key_id FROM incident_keys ORDER BY incident_id`)
		require.NoError(t, err)
		for rows.Next() {
			var k string
			require.NoError(t, rows.Scan(&k))
			kids = append(kids, k)
		}
		rows.Close()
		require.Equal(t, []string{newID, newID}, kids)
		require.NotEqual(t, old, newID)
		n, _, err = st.RewrapDataKeys(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a second rewrap has nothing to do")

		// A fresh process with the rotated ring reads everything.
		s2 := reopen(ring)
		evs, err := s2.Events(ctx, "INC-3")
		require.NoError(t, err)
		require.Contains(t, string(evs[0].Data), "Иван Петров")
	})
}

func TestGeneratedKeyFileAndDatabaseAreTheOwnersOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st, err := Open(t.Context(), "", dir, WithKeyRing(testRing(t, dir)))
	require.NoError(t, err)
	defer st.Close()
	for _, f := range []string{keyring.DefaultFile, DBFileName} {
		fi, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
	b, err := os.ReadFile(filepath.Join(dir, keyring.DefaultFile))
	require.NoError(t, err)
	_, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.Split(strings.TrimSpace(string(b)), "\n")[2], "k1:"))
	require.NoError(t, err)
}

func TestNoticeMessagesAreSealedAndErased(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		raw := []byte("To: " + personal[2] + "\r\nSubject: notice\r\n\r\nDear " + personal[1] + ", call " + personal[3] + ".\r\n")
		require.NoError(t, st.PutNoticeMessage(ctx, "INC-5", "N1", "h", NoticeAttempt{N: 1, MessageID: "<m1@irbot>"}, raw))
		require.NoError(t, st.PutNoticeMessage(ctx, "INC-5", "N1", "h", NoticeAttempt{N: 1, MessageID: "<m1@irbot>"}, raw), "a repeat with the same bytes is a no-op")
		var stored []byte
		require.NoError(t, rawDB(st).QueryRowContext(ctx, `SELECT raw FROM notice_messages`).Scan(&stored))
		for _, v := range personal[1:] {
			require.NotContains(t, string(stored), v)
		}
		m, err := st.NoticeMessage(ctx, "INC-5", "N1")
		require.NoError(t, err)
		require.Equal(t, raw, m.Raw)
		require.Equal(t, RawSHA256(raw), m.RawSHA256)

		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-5", Title: "t", Status: "closed"}))
		_, err = st.EraseIncidentData(ctx, "INC-5", "admin", "retention ended")
		require.NoError(t, err)
		m, err = reopen(ring).NoticeMessage(ctx, "INC-5", "N1")
		require.NoError(t, err)
		require.Empty(t, m.Raw, "the exact bytes are gone with the key")
		require.Equal(t, RawSHA256(raw), m.RawSHA256, "their digest stays as evidence")
	})
}

// A snapshot holds the facts: sealed at rest, read back in the clear, and
// an edit of the ciphertext is caught by verify.
func TestSnapshotsAreSealedAndStillVerified(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		state, err := json.Marshal(map[string]any{"id": "INC-6", "facts": map[string]any{"customer": personal[0], "email": personal[2]}})
		require.NoError(t, err)
		canon, digest, sum, err := SnapshotDigest(state)
		require.NoError(t, err)
		data, _ := json.Marshal(map[string]any{SnapshotKey: sum, "name": "customer", "value": personal[0]})
		ev, _, err := st.Append(ctx, Event{IncidentID: "INC-6", Key: "fact/1", Kind: "fact.set", Actor: "U1", Data: data})
		require.NoError(t, err)
		require.NoError(t, st.PutSnapshot(ctx, "INC-6", ev.Seq, ev.At, canon, digest))
		var stored string
		require.NoError(t, rawDB(st).QueryRowContext(ctx, `SELECT state FROM incident_snapshots`).Scan(&stored))
		for _, v := range personal {
			require.NotContains(t, stored, v, "the snapshot is sealed at rest")
			require.NotContains(t, stored, strings.Trim(string(mustJSON(v)), `"`), "the snapshot is sealed at rest")
		}
		sn, err := reopen(ring).LatestSnapshot(ctx, "INC-6")
		require.NoError(t, err)
		require.JSONEq(t, string(canon), string(sn.State))
		res, err := st.Verify(ctx, "INC-6")
		require.NoError(t, err)
		require.True(t, res.OK, "%s %+v", res.Reason, res.Items)

		flipped := []byte(stored)
		i := bytes.LastIndexByte(flipped, '"') - 3
		flipped[i] ^= 0x01
		tamper(t, st, `UPDATE incident_snapshots SET state = ?`, string(flipped))
		res, err = st.Verify(ctx, "INC-6")
		require.NoError(t, err)
		require.False(t, res.OK)
		// Named by the incident and the change it followed, never by
		// what it holds: the ciphertext cannot say which item changed.
		require.Equal(t, "snapshot after event 1 (fact.set customer)", res.Items[0].Item)
		require.Contains(t, res.Reason, "the snapshot of INC-6 after event 1 (its state after fact.set customer) is sealed and does not open")
		require.Contains(t, res.Reason, "it holds 3 items: facts, id")
		for _, v := range personal {
			require.NotContains(t, res.Reason+res.Items[0].Item, v, "naming the snapshot shows none of its content")
		}
	})
}

// The incidents list's regime filter reads inside the declaration, which an
// encrypting store seals: it still finds the incidents, and pages them.
func TestRegimeFilterSeesThroughSealedDeclarations(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		for i, regimes := range [][]string{{"eu-gdpr"}, {"us-ca"}, {"eu-gdpr", "us-ca"}} {
			id := "INC-2026-000" + string(rune('1'+i))
			data, _ := json.Marshal(map[string]any{"title": personal[0], "regimes": regimes})
			_, _, err := st.Append(ctx, Event{IncidentID: id, Key: "declare", Kind: "incident.declared", Actor: "U1", Data: data})
			require.NoError(t, err)
			require.NoError(t, st.UpsertIncident(ctx, Incident{ID: id, Title: "t", Mode: "live", Status: "open", WorkflowID: id}))
		}
		var stored string
		require.NoError(t, rawDB(st).QueryRowContext(ctx, `SELECT data FROM timeline_events WHERE incident_id = 'INC-2026-0001'`).Scan(&stored))
		require.NotContains(t, stored, "eu-gdpr", "the declaration is sealed")
		page, err := st.ListIncidentsPage(ctx, IncidentFilter{Regime: "eu-gdpr"})
		require.NoError(t, err)
		require.Equal(t, 2, page.Total)
		require.Len(t, page.Incidents, 2)
		page, err = st.ListIncidentsPage(ctx, IncidentFilter{Regime: "us-ca", Limit: 1, Offset: 1})
		require.NoError(t, err)
		require.Equal(t, 2, page.Total)
		require.Len(t, page.Incidents, 1)
	})
}

// A register row's free text (a decision's rationale, a late reason) is
// typed by a person and may quote someone despite the form's hint: sealed
// at rest like the events, read back in the clear, covered by the chain
// (an edited or moved ciphertext is named by verify), readable after a key
// rotation, gone with the data key; rows written before encryption stay
// readable.
func TestRegisterFreeTextIsSealedAndStillVerified(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		// A row written by a process without keys, before encryption.
		plainStore := reopen(nil)
		legacy := RegisterEntry{ID: "INC-6/us-ca/individuals", IncidentID: "INC-6", Kind: RegisterNotNotified, Regime: "us-ca", Obligation: "1798.82",
			Recipient: "individuals", Status: "not_notified", DecidedBy: "U-DPO", Rationale: "written before encryption", RecordedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
		legacyData, _ := json.Marshal(map[string]any{RegisterKey: map[string]string{"id": legacy.ID, "sha256": RegisterHash(legacy)}})
		_, _, err := plainStore.Append(ctx, Event{IncidentID: "INC-6", Key: "legacy", Kind: "notification.not_required", Actor: "U-DPO", Data: legacyData})
		require.NoError(t, err)
		require.NoError(t, plainStore.PutRegister(ctx, legacy))

		rationale := "Only " + personal[0] + "'s record (" + personal[2] + ", " + personal[3] + ") was seen; " + personal[1] + " confirmed deletion. " + strings.Repeat("é", 2000)
		lateReason := "Die Aufsichtsbehörde war nicht erreichbar — " + personal[1]
		reg := RegisterEntry{ID: "INC-6/eu-gdpr/supervisory-authority", IncidentID: "INC-6", Kind: RegisterNotNotified, Regime: "eu-gdpr",
			Obligation: "supervisory-authority", Recipient: "authority", Status: "not_notified", DecidedBy: "U-DPO, U-LEGAL",
			Rationale: rationale, LateReason: lateReason, RecordedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
		data, _ := json.Marshal(map[string]any{"rationale": "see register", RegisterKey: map[string]string{"id": reg.ID, "sha256": RegisterHash(reg)}})
		_, _, err = st.Append(ctx, Event{IncidentID: "INC-6", Key: "not-required", Kind: "notification.not_required", Actor: "U-LEGAL", Data: data})
		require.NoError(t, err)
		require.NoError(t, st.PutRegister(ctx, reg))
		require.NoError(t, st.PutRegister(ctx, reg), "a repeat of the same row (an activity retried) is harmless")

		// The row holds neither text, in any form; the rest stays in clear.
		var storedRationale, storedLate, storedRegime string
		require.NoError(t, rawDB(st).QueryRowContext(ctx, st.(*sqlStore).q(`SELECT rationale, late_reason, regime FROM register_entries WHERE id = ?`), reg.ID).
			Scan(&storedRationale, &storedLate, &storedRegime))
		require.True(t, strings.HasPrefix(storedRationale, sealedTextPrefix), "rationale at rest: %.60q", storedRationale)
		require.True(t, strings.HasPrefix(storedLate, sealedTextPrefix), "late reason at rest: %.60q", storedLate)
		require.Equal(t, "eu-gdpr", storedRegime)
		for _, v := range personal {
			require.NotContains(t, storedRationale+storedLate, v)
		}
		var storedLegacy string
		require.NoError(t, rawDB(st).QueryRowContext(ctx, st.(*sqlStore).q(`SELECT rationale FROM register_entries WHERE id = ?`), legacy.ID).Scan(&storedLegacy))
		require.Equal(t, legacy.Rationale, storedLegacy, "an old row is not rewritten")

		list, err := st.ListRegister(ctx)
		require.NoError(t, err)
		require.Equal(t, []RegisterEntry{legacy, reg}, list, "readers see both rows in the clear")
		res, err := st.Verify(ctx, "INC-6")
		require.NoError(t, err)
		require.True(t, res.OK, "%s %+v", res.Reason, res.Items)

		// Text that looks sealed is sealed like any other with keys, and
		// refused without, so the mark never lies.
		odd := RegisterEntry{ID: "INC-6/odd", IncidentID: "INC-6", Kind: RegisterNotice, Rationale: sealedTextPrefix + "AAAA", RecordedAt: reg.RecordedAt.Add(time.Hour)}
		require.ErrorIs(t, plainStore.PutRegister(ctx, odd), ErrInvalid)
		require.NoError(t, st.PutRegister(ctx, odd))
		list, err = st.ListRegister(ctx)
		require.NoError(t, err)
		require.Equal(t, odd.Rationale, list[2].Rationale)
		tamper(t, st, `DELETE FROM register_entries WHERE id = 'INC-6/odd'`)

		// After a rotation a fresh process still reads it.
		_, err = ring.Rotate()
		require.NoError(t, err)
		_, _, err = st.RewrapDataKeys(ctx)
		require.NoError(t, err)
		list, err = reopen(ring).ListRegister(ctx)
		require.NoError(t, err)
		require.Equal(t, rationale, list[1].Rationale)
		require.Equal(t, lateReason, list[1].LateReason)

		// The ciphertext of one row moved to another, or edited, is named.
		for _, q := range []string{
			`UPDATE register_entries SET late_reason = rationale WHERE id = 'INC-6/eu-gdpr/supervisory-authority'`,
			`UPDATE register_entries SET rationale = REPLACE(rationale, ':', ':AAAA') WHERE id = 'INC-6/eu-gdpr/supervisory-authority'`,
		} {
			tamper(t, st, q)
			res, err = reopen(ring).Verify(ctx, "INC-6")
			require.NoError(t, err, q)
			require.False(t, res.OK, q)
			require.Len(t, res.Items, 1, q)
			require.Contains(t, res.Items[0].Reason, "was edited", q)
			_, err = reopen(ring).ListRegister(ctx)
			require.ErrorContains(t, err, "does not open", "a reader is told, not shown ciphertext as text")
			tamper(t, st, `UPDATE register_entries SET rationale = ?, late_reason = ? WHERE id = 'INC-6/eu-gdpr/supervisory-authority'`, storedRationale, storedLate)
		}

		// Erasure takes the text with the key; the chain still verifies.
		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-6", Title: "t", Status: "closed"}))
		_, err = st.EraseIncidentData(ctx, "INC-6", "admin", "retention ended")
		require.NoError(t, err)
		s2 := reopen(ring)
		list, err = s2.ListRegister(ctx)
		require.NoError(t, err)
		require.Empty(t, list[1].Rationale)
		require.Empty(t, list[1].LateReason)
		require.Equal(t, "not_notified", list[1].Status, "the row itself stays in the register")
		require.Equal(t, legacy.Rationale, list[0].Rationale, "text stored in clear before encryption cannot be erased by a key")
		res, err = s2.Verify(ctx, "INC-6")
		require.NoError(t, err)
		require.True(t, res.OK, "%s %+v", res.Reason, res.Items)
	})
}

// sqliteDir is the directory of st's database file, "" for PostgreSQL.
func sqliteDir(t *testing.T, st Store) string {
	s := st.(*sqlStore)
	if s.d != dialectSQLite {
		return ""
	}
	var seq int
	var name, file string
	require.NoError(t, s.db.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file))
	require.NotEmpty(t, file)
	return filepath.Dir(file)
}

// The addresses a notice went to are data subjects' when it went to
// individuals (up to 50 of them): sealed at rest like the free text,
// read back in the clear, named by verify when edited, gone with the key.
func TestRegisterRecipientsAreSealed(t *testing.T) {
	eachEncryptedBackend(t, func(t *testing.T, st Store, ring *keyring.Ring, reopen func(*keyring.Ring) Store) {
		ctx := t.Context()
		sent := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		reg := RegisterEntry{ID: "INC-7/us-ca/individuals", IncidentID: "INC-7", Kind: RegisterNotice, Regime: "us-ca", Obligation: "individuals",
			Recipient: "individuals", To: []string{personal[2], "иван.петров@example.invalid"}, Status: "sent", SentAt: &sent, RecordedAt: sent}
		data, _ := json.Marshal(map[string]any{RegisterKey: map[string]string{"id": reg.ID, "sha256": RegisterHash(reg)}})
		_, _, err := st.Append(ctx, Event{IncidentID: "INC-7", Key: "sent", Kind: "notification.sent", Actor: "U-DPO", Data: data})
		require.NoError(t, err)
		require.NoError(t, st.PutRegister(ctx, reg))
		none := RegisterEntry{ID: "INC-7/eu-gdpr/authority", IncidentID: "INC-7", Kind: RegisterNotNotified, Regime: "eu-gdpr", Obligation: "authority",
			Recipient: "authority", Status: "not_notified", RecordedAt: sent.Add(time.Minute)}
		data, _ = json.Marshal(map[string]any{RegisterKey: map[string]string{"id": none.ID, "sha256": RegisterHash(none)}})
		_, _, err = st.Append(ctx, Event{IncidentID: "INC-7", Key: "none", Kind: "notification.not_required", Actor: "U-DPO", Data: data})
		require.NoError(t, err)
		require.NoError(t, st.PutRegister(ctx, none))

		var stored, storedNone string
		require.NoError(t, rawDB(st).QueryRowContext(ctx, st.(*sqlStore).q(`SELECT to_addrs FROM register_entries WHERE id = ?`), reg.ID).Scan(&stored))
		require.True(t, strings.HasPrefix(stored, sealedTextPrefix), "to_addrs at rest: %.60q", stored)
		require.NotContains(t, stored, "example.invalid")
		require.NoError(t, rawDB(st).QueryRowContext(ctx, st.(*sqlStore).q(`SELECT to_addrs FROM register_entries WHERE id = ?`), none.ID).Scan(&storedNone))
		require.Equal(t, "[]", storedNone, "no recipients: nothing to seal")

		list, err := reopen(ring).ListRegister(ctx)
		require.NoError(t, err)
		require.Equal(t, reg.To, list[0].To)
		require.Nil(t, list[1].To)
		res, err := st.Verify(ctx, "INC-7")
		require.NoError(t, err)
		require.True(t, res.OK, "%s %+v", res.Reason, res.Items)

		tamper(t, st, `UPDATE register_entries SET to_addrs = REPLACE(to_addrs, ':', ':AAAA') WHERE id = 'INC-7/us-ca/individuals'`)
		res, err = reopen(ring).Verify(ctx, "INC-7")
		require.NoError(t, err)
		require.False(t, res.OK, "an edited ciphertext is named")
		_, err = reopen(ring).ListRegister(ctx)
		require.ErrorContains(t, err, "recipients")
		tamper(t, st, `UPDATE register_entries SET to_addrs = ? WHERE id = 'INC-7/us-ca/individuals'`, stored)

		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-7", Title: "t", Status: "closed"}))
		_, err = st.EraseIncidentData(ctx, "INC-7", "admin", "retention ended")
		require.NoError(t, err)
		list, err = reopen(ring).ListRegister(ctx)
		require.NoError(t, err)
		require.Nil(t, list[0].To, "gone with the data key")
		require.Equal(t, "sent", list[0].Status, "the row stays")
	})
}
