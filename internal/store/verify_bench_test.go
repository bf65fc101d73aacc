package store

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/irbot/irbot/internal/keyring"
)

// fillChain writes n chained events for incident straight into the table in
// one transaction (what n Appends leave behind, without n commits), so a
// long chain is cheap to set up. It returns the bytes hashed, for the
// baseline.
func fillChain(tb testing.TB, st Store, incident string, n int) [][]byte {
	tb.Helper()
	s := st.(*sqlStore)
	ctx := tb.Context()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO timeline_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		tb.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	prev := ZeroHash
	canon := make([][]byte, 0, n)
	for i := 1; i <= n; i++ {
		e := Event{IncidentID: incident, Seq: int64(i), Key: fmt.Sprintf("wf-%06d", i), At: base.Add(time.Duration(i) * time.Millisecond),
			Kind: "note.added", Actor: "U0BENCH0001", PrevHash: prev,
			Data: []byte(fmt.Sprintf(`{"actor_name":"Bench Commander","n":%d,"source":{"surface":"api","via":"bench"},"text":"bench note number %d, a sentence of ordinary length"}`, i, i))}
		b, err := e.CanonicalBytes()
		if err != nil {
			tb.Fatal(err)
		}
		if s.ring != nil {
			// Sealed as Append seals it: the hash covers the sealed form.
			k, err := s.dataKey(ctx, tx, incident, true)
			if err != nil {
				tb.Fatal(err)
			}
			if e.Data, err = sealEvent(k.aead, incident, e.Key, e.Data); err != nil {
				tb.Fatal(err)
			}
			if b, err = e.CanonicalBytes(); err != nil {
				tb.Fatal(err)
			}
		}
		canon = append(canon, b)
		e.Hash = e.ComputeHash()
		if _, err := ins.ExecContext(ctx, e.IncidentID, e.Seq, e.Key, s.timeArg(e.At), e.Kind, e.Actor, string(e.Data), e.PrevHash, e.Hash); err != nil {
			tb.Fatal(err)
		}
		prev = e.Hash
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO timeline_heads (incident_id, last_seq, last_hash) VALUES (?, ?, ?)`), incident, n, prev); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return canon
}

// BenchmarkVerify walks a 100,000-event chain on SQLite. Its baseline,
// BenchmarkVerifyBaselineSHA256, hashes the same canonical bytes in memory:
// the floor any verify pays. Compare the two from one run:
//
//	go test ./internal/store -run '^$' -bench 'Verify' -benchtime 3x
func BenchmarkVerify(b *testing.B) {
	for _, sealed := range []bool{false, true} {
		for _, n := range []int{1000, 100000} {
			b.Run(fmt.Sprintf("sealed=%t/events=%d", sealed, n), func(b *testing.B) {
				st := benchStore(b, sealed)
				fillChain(b, st, "INC-BENCH", n)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					res, err := st.Verify(b.Context(), "INC-BENCH")
					if err != nil || !res.OK || res.Events != n {
						b.Fatalf("verify: %+v %v", res, err)
					}
				}
			})
		}
	}
}

// benchStore is a SQLite store, sealing events (as irbot serve's does)
// when sealed.
func benchStore(b *testing.B, sealed bool) Store {
	var opts []Option
	if sealed {
		ring, err := keyring.Load(keyring.Source{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		opts = append(opts, WithKeyRing(ring))
	}
	st, err := Open(b.Context(), "", b.TempDir(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

func BenchmarkVerifyBaselineSHA256(b *testing.B) {
	for _, sealed := range []bool{false, true} {
		for _, n := range []int{1000, 100000} {
			b.Run(fmt.Sprintf("sealed=%t/events=%d", sealed, n), func(b *testing.B) {
				canon := fillChain(b, benchStore(b, sealed), "INC-BENCH", n)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					for _, c := range canon {
						_ = sha256.Sum256(c)
					}
				}
			})
		}
	}
}
