package checkpoint

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/store"
)

// heldFixture is a real SQLite store holding two incidents' chains and a
// checkpoint of both, signed by the store as irbot serve does.
func heldFixture(t *testing.T) (store.Checkpoint, ed25519.PrivateKey, []store.Event) {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"INC-2026-0001", "INC-2026-0002"} {
		for i, kind := range []string{"incident.declared", "note.added", "incident.closed"} {
			data, _ := json.Marshal(map[string]any{"text": fmt.Sprintf("%s — 東京 %d", kind, i)})
			_, _, err := st.Append(ctx, store.Event{IncidentID: id, Key: fmt.Sprintf("k%d", i), At: at.Add(time.Duration(i) * time.Minute), Kind: kind, Actor: "U0DPO", Data: data})
			require.NoError(t, err)
		}
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	c, err := st.SignCheckpoint(ctx, key, at.Add(time.Hour))
	require.NoError(t, err)
	events, err := st.Events(ctx, "INC-2026-0001")
	require.NoError(t, err)
	require.Len(t, events, 3)
	return c, key, events
}

func TestAHeldCheckpointReadsFromTheDigestTextOrJSON(t *testing.T) {
	c, _, _ := heldFixture(t)
	asJSON, err := json.Marshal(c)
	require.NoError(t, err)
	email := "Subject: irbot daily digest\r\n\r\nOpen incidents: 0\r\n\r\n" + strings.ReplaceAll(Summary(c), "\n", "\r\n") + "\r\n-- \r\nirbot\r\n"
	quoted := ""
	for line := range strings.Lines(Summary(c)) {
		quoted += "> " + line
	}
	pretty, err := json.MarshalIndent(c, "", "    ") // re-indents the body too, as jq would
	require.NoError(t, err)
	require.NotContains(t, string(c.Body), "\n")
	for name, in := range map[string]string{"digest text": Summary(c), "inside an email": email, "quoted in a reply": quoted, "JSON": string(asJSON),
		"pretty-printed JSON": string(pretty)} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseHeld([]byte(in))
			require.NoError(t, err)
			require.Equal(t, c.ID, got.ID)
			require.Equal(t, string(c.Body), string(got.Body))
			require.Equal(t, c.PublicKey, got.PublicKey)
			require.True(t, c.At.Equal(got.At), "%s vs %s", c.At, got.At)
		})
	}
}

func TestAHeldCheckpointThatCannotBeTrustedIsRefused(t *testing.T) {
	c, key, _ := heldFixture(t)
	other := ed25519.NewKeyFromSeed([]byte(strings.Repeat("k", ed25519.SeedSize)))
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "no \"Chain checkpoint N"},
		{"NUL bytes", "\x00\x00", "no \"Chain checkpoint N"},
		{"a head edited in the body", strings.Replace(Summary(c), `"seq":3`, `"seq":2`, 1), "signature does not match"},
		{"no signature line", strings.Split(Summary(c), "signature:")[0], "has no \"signature:\" line"},
		{"a garbled first line", "Chain checkpoint x, signed now (Ed25519 key 00)\n", "cannot read the checkpoint number"},
		{"JSON that is not one", `{"id": "seven"}`, "not a checkpoint in JSON"},
		{"huge", "Chain checkpoint 1" + strings.Repeat(" ", maxHeld), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHeld([]byte(tc.in))
			require.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("signed by another key than the trusted one", func(t *testing.T) {
		require.NoError(t, Trust(c, hex.EncodeToString(key.Public().(ed25519.PublicKey))))
		require.NoError(t, Trust(c, ""), "without a trusted key the checkpoint's own key is shown, not checked")
		err := Trust(c, hex.EncodeToString(other.Public().(ed25519.PublicKey)))
		require.ErrorContains(t, err, "not by the trusted key")
		require.ErrorContains(t, Trust(c, "zz"), "not hex")
	})
	t.Run("a body of another version", func(t *testing.T) {
		body := []byte(`{"at":"2026-03-02T10:00:00Z","heads":[],"installation":"x","version":"irbot.checkpoint.v0"}`)
		forged := store.Checkpoint{ID: 9, At: c.At, Body: body, PublicKey: hex.EncodeToString(other.Public().(ed25519.PublicKey)), Signature: hex.EncodeToString(ed25519.Sign(other, body))}
		raw, _ := json.Marshal(forged)
		_, err := ParseHeld(raw)
		require.ErrorContains(t, err, `version "irbot.checkpoint.v0"`)
	})
}

func TestAHeldCheckpointCatchesARewrittenOrShortenedChain(t *testing.T) {
	c, _, events := heldFixture(t)
	require.NoError(t, CheckChain(c, "INC-2026-0001", events), "the chain the checkpoint saw")

	// An insider rewrites the last event and recomputes the hash: the chain
	// is sound on its own, and only the checkpoint held elsewhere tells.
	rewritten := slices.Clone(events)
	last := rewritten[2]
	last.Data = json.RawMessage(`{"text":"nothing happened"}`)
	last.Hash = last.ComputeHash()
	rewritten[2] = last
	require.Equal(t, rewritten[1].Hash, last.PrevHash, "still a sound chain")
	require.ErrorContains(t, CheckChain(c, "INC-2026-0001", rewritten), "event 3 is not the event checkpoint 1")
	require.ErrorContains(t, CheckChain(c, "INC-2026-0001", events[:2]), "saw 3 events; 2 remain: events were deleted")

	// Events added after the checkpoint do not make the chain fail.
	longer := append(slices.Clone(events), store.Event{IncidentID: "INC-2026-0001", Seq: 4, PrevHash: events[2].Hash})
	require.NoError(t, CheckChain(c, "INC-2026-0001", longer))

	require.ErrorContains(t, CheckChain(c, "INC-2026-0099", events), "holds no head for INC-2026-0099")
}
