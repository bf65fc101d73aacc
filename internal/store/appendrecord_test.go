package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

// recordWrite is a timeline entry with the index row, a register row and
// a snapshot, as the Record activity writes them.
func recordWrite(t testing.TB, incident string, i int, regID string) RecordWrite {
	state := fmt.Appendf(nil, `{"id":%q,"facts":{"affected":"%d people"},"notes":%d}`, incident, i, i)
	_, digest, sum, err := SnapshotDigest(state)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 10, 0, i, 0, time.UTC)
	data := map[string]any{"text": fmt.Sprintf("note %d", i), SnapshotKey: sum}
	w := RecordWrite{
		Incident: &Incident{ID: incident, Title: "Bench", Severity: "high", Mode: "live", Status: "open", Phase: "contain", DeclaredBy: "U1", DeclaredAt: at, UpdatedAt: at},
		State:    state, Digest: digest,
	}
	if regID != "" {
		w.Register = &RegisterEntry{ID: regID, IncidentID: incident, Kind: RegisterNotice, Regime: "eu-gdpr", Obligation: "supervisory-authority",
			Status: "sent", Rationale: "sent within the deadline", RecordedAt: at}
		data[RegisterKey] = map[string]string{"id": regID, "sha256": RegisterHash(*w.Register)}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	w.Event = Event{IncidentID: incident, Key: fmt.Sprintf("wf-%06d", i), At: at, Kind: "note.added", Actor: "U1", Data: raw}
	return w
}

func TestAppendRecordWritesEverythingInOneTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		w := recordWrite(t, "INC-2026-0001", 1, "INC-2026-0001/reg-1")
		ev, created, err := st.AppendRecord(ctx, w)
		if err != nil || !created || ev.Seq != 1 {
			t.Fatalf("AppendRecord = %+v, %v, %v", ev, created, err)
		}
		inc, err := st.GetIncident(ctx, "INC-2026-0001")
		if err != nil || inc.Phase != "contain" {
			t.Fatalf("index row = %+v, %v", inc, err)
		}
		snap, err := st.LatestSnapshot(ctx, "INC-2026-0001")
		if err != nil || snap.Seq != 1 {
			t.Fatalf("snapshot = %+v, %v", snap, err)
		}
		regs, err := st.ListRegister(ctx)
		if err != nil || len(regs) != 1 || regs[0].Rationale != "sent within the deadline" {
			t.Fatalf("register = %+v, %v", regs, err)
		}

		// A repeat (an activity retried after its commit) adds nothing.
		again, created, err := st.AppendRecord(ctx, w)
		if err != nil || created || again.Seq != 1 || again.Hash != ev.Hash {
			t.Fatalf("repeat = %+v, %v, %v", again, created, err)
		}

		// A part the store refuses takes the entry with it: nothing of the
		// record is half written, and the key stays free for the entry the
		// workflow writes instead.
		bad := recordWrite(t, "INC-2026-0001", 2, "INC-2026-0001/reg-2")
		bad.Register.Kind = "gossip"
		if _, _, err := st.AppendRecord(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("a bad register row: err = %v, want ErrInvalid", err)
		}
		bad = recordWrite(t, "INC-2026-0001", 2, "")
		bad.Incident.Title = "a\x00b"
		if _, _, err := st.AppendRecord(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("a NUL in the index row: err = %v, want ErrInvalid", err)
		}
		bad = recordWrite(t, "INC-2026-0001", 2, "")
		bad.Digest = []byte(`{"not":"the digest"}`)
		if _, _, err := st.AppendRecord(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("a digest of another state: err = %v, want ErrInvalid", err)
		}
		evs, err := st.Events(ctx, "INC-2026-0001")
		if err != nil || len(evs) != 1 {
			t.Fatalf("events after refused records = %d, %v; want 1", len(evs), err)
		}
		if regs, _ := st.ListRegister(ctx); len(regs) != 1 {
			t.Fatalf("register rows after refused records = %d, want 1", len(regs))
		}
		ok := recordWrite(t, "INC-2026-0001", 2, "")
		if ev, created, err := st.AppendRecord(ctx, ok); err != nil || !created || ev.Seq != 2 {
			t.Fatalf("the entry written instead = %+v, %v, %v", ev, created, err)
		}
		res, err := st.Verify(ctx, "INC-2026-0001")
		if err != nil || !res.OK || res.Events != 2 {
			t.Fatalf("verify = %+v, %v", res, err)
		}
	})
}

// BenchmarkRecordWrite measures what the Record activity costs the store
// per timeline entry on SQLite (sealed, as irbot serve runs it): the entry,
// the index row and the snapshot in one transaction (AppendRecord), beside
// its baseline, the same three written by separate calls (how the activity
// wrote them before). Compare the two from one run:
//
//	go test ./internal/store -run '^$' -bench RecordWrite -benchtime 200x
func BenchmarkRecordWrite(b *testing.B) {
	for _, mode := range []string{"separate", "one-transaction"} {
		b.Run(mode, func(b *testing.B) {
			st := benchStore(b, true)
			ctx := b.Context()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				w := recordWrite(b, "INC-BENCH", i, "")
				if mode == "one-transaction" {
					if _, _, err := st.AppendRecord(ctx, w); err != nil {
						b.Fatal(err)
					}
					continue
				}
				ev, _, err := st.Append(ctx, w.Event)
				if err != nil {
					b.Fatal(err)
				}
				if err := st.UpsertIncident(ctx, *w.Incident); err != nil {
					b.Fatal(err)
				}
				if err := st.PutSnapshot(ctx, "INC-BENCH", ev.Seq, ev.At, w.State, w.Digest); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
