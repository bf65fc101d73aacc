package store

import (
	"encoding/json"
	"math/rand/v2"
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

// FuzzCanonicalCheckAgrees keeps Verify's fast check in step with the
// encoding's definition: whenever isCanonicalObject says yes,
// canonicalObject must give back the same bytes.
func FuzzCanonicalCheckAgrees(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"a":1,"b":[1,2,{"c":null}]}`, `{"b":1,"a":2}`, `{"a":1,"a":2}`, `{ "a":1}`,
		`{"s":"\u0000\u001f\b\f\n\r\t"}`, `{"s":"\u0008"}`, `{"s":"\u00e9"}`, `{"s":"\/"}`, `{"s":"é` + "\u2028" + `"}`,
		`{"n":-0.5e+10,"m":1.0,"o":01}`, `{"\"":1,"\\":2}`, `{"\\":1,"\"":2}`, `{"a\n":1,"a":2}`, `{"a":1}x`, "{\"a\":\"\xff\"}",
		`{"a":true,"b":false,"c":nul}`, `[1]`, `null`, ``, `{"z":{"y":1,"x":2}}`, `{"a":[]}`, `{"a":[,]}`, `{"A":1,"a":2,"é":3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !isCanonicalObject(raw) {
			return
		}
		canon, err := canonicalObject(raw)
		if err != nil {
			t.Fatalf("fast check accepted %q, canonicalObject refused it: %v", raw, err)
		}
		if string(canon) != string(raw) {
			t.Fatalf("fast check accepted %q, its canonical form is %q", raw, canon)
		}
	})
}

func TestCanonicalCheckAcceptsWhatTheStoreWrites(t *testing.T) {
	for _, in := range []string{
		`{}`, ` { "b" : 1 , "a" : [ 1.0 , -0 , 1e400 ] } `, `{"z":{"y":null,"x":true},"é":false,"E":""}`,
		`{"s":"<tag> & \u00e9 \u2028 \/ \"q\" \\"}`, `{"c":"\u0000\u001f\b\f\n\r\t"}`, `{"emoji":"\ud83d\ude00"}`,
		`{"\"":1,"\\":2,"a\n":3,"a":4}`,
	} {
		canon, err := CanonicalJSON([]byte(in))
		require.NoError(t, err, in)
		require.True(t, isCanonicalObject(canon), "canonical form %s", canon)
		require.Equal(t, in == string(canon), isCanonicalObject([]byte(in)), in)
	}
	for _, bad := range []string{`{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"s":"\u0008"}`, `{"s":"\u001F"}`, `{"a":01}`, `{"a":1}x`, `[1]`, `null`} {
		require.False(t, isCanonicalObject([]byte(bad)), bad)
	}
}

// TestCanonicalCheckAgreesOnMutations is FuzzCanonicalCheckAgrees without
// the fuzzing engine: seeded mutations of canonical and near-canonical
// data, so every ordinary test run checks the fast path against the
// definition.
func TestCanonicalCheckAgreesOnMutations(t *testing.T) {
	seeds := []string{
		`{"a":1,"b":[1,2,{"c":null}],"d":"x\"y\\z\n","e":{"f":true,"g":false},"é":-1.5e+3}`,
		`{"c":"\u0000\u001f\b\f\n\r\t","s":"<tag> & é ` + "\u2028" + `"}`,
		`{"\"":1,"\\":2,"a":3,"a\n":4}`,
	}
	alphabet := []byte(`{}[]":,\-+.0123456789eEabfnrtu lsx` + "\x00\x1f\x7f\xc3\xa9\xff")
	rng := rand.New(rand.NewPCG(14, 14))
	for i := 0; i < 50000; i++ {
		b := []byte(seeds[rng.IntN(len(seeds))])
		for m := 1 + rng.IntN(3); m > 0 && len(b) > 1; m-- {
			p := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[p] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:p], b[p+1:]...)
			default:
				b = append(b[:p], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[p:]...)...)
			}
		}
		if !isCanonicalObject(b) {
			continue
		}
		canon, err := canonicalObject(b)
		require.NoError(t, err, "fast check accepted %q", b)
		require.Equal(t, string(b), string(canon), "fast check accepted %q", b)
	}
}
