package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCanonicalJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{}`: `{}`,
		` { "b" : 1 , "a" : [ 1.0 , -0 , 1e400 ] } `: `{"a":[1.0,-0,1e400],"b":1}`,
		`{"big":12345678901234567890123}`:            `{"big":12345678901234567890123}`,
		`{"z":{"y":null,"x":true},"é":false,"E":""}`: `{"E":"","z":{"x":true,"y":null},"é":false}`,
		`{"s":"<tag> & \u00e9 \u2028 \/ \"q\" \\"}`:  `{"s":"<tag> & é ` + "\u2028" + ` / \"q\" \\"}`,
		`{"c":"\u0000\u001f\b\f\n\r\t"}`:             `{"c":"\u0000\u001f\b\f\n\r\t"}`,
		`{"emoji":"\ud83d\ude00"}`:                   `{"emoji":"😀"}`,
	} {
		got, err := CanonicalJSON([]byte(in))
		require.NoError(t, err, in)
		require.Equal(t, want, string(got), in)
		again, err := CanonicalJSON(got)
		require.NoError(t, err)
		require.Equal(t, got, again, "canonical form is a fixed point")
	}
	for _, bad := range []string{``, `{`, `{"a":1,"a":2}`, `{"a":1}x`, `{"a":1} {}`, "{\"a\":\"\xff\"}", `{a:1}`, `[1,]`} {
		_, err := CanonicalJSON([]byte(bad))
		require.Error(t, err, bad)
	}
}

// TestHashEncodingIsPinned fails if the canonical encoding changes: every
// stored chain would stop verifying. A new encoding needs a new HashVersion.
func TestHashEncodingIsPinned(t *testing.T) {
	e := Event{
		IncidentID: "INC-2026-0001", Seq: 1, Key: "declare",
		At:   time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CET", 3600)),
		Kind: "incident.declared", Actor: "U024BE7LH",
		Data:     json.RawMessage(`{"title":"Laptop \"stolen\"","affected":{"US-CA":600},"ratio":1.0}`),
		PrevHash: ZeroHash,
	}
	b, err := e.CanonicalBytes()
	require.NoError(t, err)
	require.Equal(t, `["irbot.timeline.v1","INC-2026-0001",1,"declare","2026-03-01T09:00:00.123456Z","incident.declared","U024BE7LH",`+
		`{"affected":{"US-CA":600},"ratio":1.0,"title":"Laptop \"stolen\""},"`+ZeroHash+`"]`, string(b))
	require.Equal(t, "4de0ff0f74f16efd7ffc519a528260fdc0df3a7ca5b891edf843fb4df3a9ecc8", e.ComputeHash())

	e.Data = json.RawMessage(`[1]`)
	require.Empty(t, e.ComputeHash(), "an event that cannot be encoded has no hash")
}

func TestVerifyChainWithoutADatabase(t *testing.T) {
	res := verifyChain(nil, &chainHead{lastSeq: 2, lastHash: "x"})
	require.Equal(t, VerifyResult{Events: 0, FirstBadSeq: 1, Reason: "events 1 to 2 are missing: the chain head records 2 events, 0 remain"}, res)
	res = verifyChain(nil, &chainHead{lastSeq: 0, lastHash: "x"})
	require.False(t, res.OK)
	require.Equal(t, int64(1), res.FirstBadSeq)
}
