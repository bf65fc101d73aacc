package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pgEnv enables the PostgreSQL runs of every backend test.
const pgEnv = "IRBOT_TEST_POSTGRES_URL"

// backend makes fresh, empty databases for one test.
type backend struct {
	name string
	// fresh returns the Open arguments of a new database that is removed
	// when the test ends.
	fresh func(t *testing.T) (databaseURL, dataDir string)
}

func backends(t *testing.T) []backend {
	bs := []backend{{
		name: "sqlite",
		fresh: func(t *testing.T) (string, string) {
			return "", filepath.Join(t.TempDir(), "data")
		},
	}}
	if u := os.Getenv(pgEnv); u != "" {
		bs = append(bs, backend{name: "postgres", fresh: func(t *testing.T) (string, string) { return pgSchema(t, u) }})
	} else {
		t.Logf("PostgreSQL runs skipped: set %s=postgres://user:password@host:5432/db (the role needs CREATE on the database) to run them", pgEnv)
	}
	return bs
}

// pgSchema creates a schema of its own for t and returns a URL whose
// search_path selects it, so parallel tests and packages never collide.
func pgSchema(t *testing.T, base string) (string, string) {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "irbot_store_test_" + hex.EncodeToString(b[:])
	_, err = admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema)
	require.NoError(t, err, "creating a per-test schema needs CREATE on the database")
	t.Cleanup(func() {
		_, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		require.NoError(t, err)
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), ""
}

// eachBackend runs f once per backend, each with a fresh open store.
func eachBackend(t *testing.T, f func(t *testing.T, st Store)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			u, dir := b.fresh(t)
			f(t, open(t, u, dir))
		})
	}
}

func open(t *testing.T, databaseURL, dataDir string) Store {
	t.Helper()
	st, err := Open(t.Context(), databaseURL, dataDir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func appendN(t *testing.T, st Store, incident string, n int) []Event {
	t.Helper()
	var out []Event
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		ev, created, err := st.Append(t.Context(), Event{
			IncidentID: incident, Key: fmt.Sprintf("k%d", i), At: base.Add(time.Duration(i) * time.Minute),
			Kind: "note.added", Actor: "U1", Data: json.RawMessage(fmt.Sprintf(`{"n":%d,"text":"step %d"}`, i, i)),
		})
		require.NoError(t, err)
		require.True(t, created)
		out = append(out, ev)
	}
	return out
}

func TestAppendBuildsAVerifiableChain(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
		first, created, err := st.Append(ctx, Event{
			IncidentID: "INC-2026-0001", Key: "declare", At: at, Kind: "incident.declared", Actor: "U024BE7LH",
			Data: json.RawMessage(` {"title": "Laptop stolen", "affected": {"US-CA": 600}, "ratio": 1.0, "big": 12345678901234567890} `),
		})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, int64(1), first.Seq)
		require.Equal(t, ZeroHash, first.PrevHash)
		require.Equal(t, time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC), first.At, "times are stored in UTC, truncated to microseconds")
		require.JSONEq(t, `{"affected":{"US-CA":600},"big":12345678901234567890,"ratio":1.0,"title":"Laptop stolen"}`, string(first.Data))
		require.Equal(t, `{"affected":{"US-CA":600},"big":12345678901234567890,"ratio":1.0,"title":"Laptop stolen"}`, string(first.Data),
			"data is kept in canonical form, numbers exactly as written")
		require.Equal(t, first.ComputeHash(), first.Hash)

		second, created, err := st.Append(ctx, Event{IncidentID: "INC-2026-0001", Key: "task-1", Kind: "task.completed", Actor: "U2"})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, int64(2), second.Seq)
		require.Equal(t, first.Hash, second.PrevHash)
		require.Equal(t, "{}", string(second.Data), "empty data is stored as {}")
		require.WithinDuration(t, time.Now(), second.At, time.Minute, "a zero At means now")

		other, _, err := st.Append(ctx, Event{IncidentID: "INC-2026-0002", Key: "declare", Kind: "incident.declared", Actor: "U1"})
		require.NoError(t, err)
		require.Equal(t, int64(1), other.Seq, "every incident has its own chain")

		events, err := st.Events(ctx, "INC-2026-0001")
		require.NoError(t, err)
		require.Equal(t, []Event{first, second}, events)

		res, err := st.Verify(ctx, "INC-2026-0001")
		require.NoError(t, err)
		require.Equal(t, VerifyResult{OK: true, Events: 2}, res)

		none, err := st.Events(ctx, "INC-unknown")
		require.NoError(t, err)
		require.Empty(t, none)
		res, err = st.Verify(ctx, "INC-unknown")
		require.NoError(t, err)
		require.Equal(t, VerifyResult{OK: true, Events: 0}, res)
		require.NoError(t, st.Ping(ctx))
	})
}

func TestAppendRetryReturnsTheStoredEvent(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		e := Event{IncidentID: "INC-1", Key: "notice-sent:eu-gdpr", At: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
			Kind: "notice.sent", Actor: "irbot", Data: json.RawMessage(`{"regime":"eu-gdpr","reference":"DPC-1"}`)}
		stored, created, err := st.Append(ctx, e)
		require.NoError(t, err)
		require.True(t, created)

		// An activity retry: a later clock, the same content written differently.
		e.At = e.At.Add(time.Hour)
		e.Data = json.RawMessage("{\n  \"reference\": \"DPC-1\",\n  \"regime\": \"eu-gdpr\"\n}")
		again, created, err := st.Append(ctx, e)
		require.NoError(t, err)
		require.False(t, created, "a retry must not add a second entry")
		require.Equal(t, stored, again)

		events, err := st.Events(ctx, "INC-1")
		require.NoError(t, err)
		require.Len(t, events, 1)
	})
}

func TestAppendRejectsAReusedKeyWithDifferentContent(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		e := Event{IncidentID: "INC-1", Key: "k", Kind: "task.completed", Actor: "U1", Data: json.RawMessage(`{"task":"contain"}`)}
		_, _, err := st.Append(ctx, e)
		require.NoError(t, err)
		for name, changed := range map[string]Event{
			"data":  {IncidentID: "INC-1", Key: "k", Kind: "task.completed", Actor: "U1", Data: json.RawMessage(`{"task":"assess"}`)},
			"kind":  {IncidentID: "INC-1", Key: "k", Kind: "task.reopened", Actor: "U1", Data: json.RawMessage(`{"task":"contain"}`)},
			"actor": {IncidentID: "INC-1", Key: "k", Kind: "task.completed", Actor: "U2", Data: json.RawMessage(`{"task":"contain"}`)},
		} {
			_, created, err := st.Append(ctx, changed)
			require.ErrorIs(t, err, ErrKeyConflict, "different %s under a used key", name)
			require.False(t, created)
		}
		events, err := st.Events(ctx, "INC-1")
		require.NoError(t, err)
		require.Len(t, events, 1, "a conflicting append must never add a row")

		_, created, err := st.Append(ctx, Event{IncidentID: "INC-2", Key: "k", Kind: "x", Actor: "U1"})
		require.NoError(t, err)
		require.True(t, created, "keys are unique per incident, not globally")
	})
}

func TestAppendRejectsInvalidEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		for name, e := range map[string]Event{
			"no incident":       {Key: "k", Kind: "x"},
			"no key":            {IncidentID: "I", Kind: "x"},
			"no kind":           {IncidentID: "I", Key: "k"},
			"array data":        {IncidentID: "I", Key: "k", Kind: "x", Data: json.RawMessage(`[1]`)},
			"string data":       {IncidentID: "I", Key: "k", Kind: "x", Data: json.RawMessage(`"s"`)},
			"malformed data":    {IncidentID: "I", Key: "k", Kind: "x", Data: json.RawMessage(`{"a":}`)},
			"duplicate keys":    {IncidentID: "I", Key: "k", Kind: "x", Data: json.RawMessage(`{"a":1,"a":2}`)},
			"two values":        {IncidentID: "I", Key: "k", Kind: "x", Data: json.RawMessage(`{} {}`)},
			"bad UTF-8 actor":   {IncidentID: "I", Key: "k", Kind: "x", Actor: "\xff"},
			"bad UTF-8 in data": {IncidentID: "I", Key: "k", Kind: "x", Data: json.RawMessage("{\"a\":\"\xff\"}")},
		} {
			_, _, err := st.Append(t.Context(), e)
			require.ErrorIs(t, err, ErrInvalid, name)
		}
		events, err := st.Events(t.Context(), "I")
		require.NoError(t, err)
		require.Empty(t, events)
	})
}

func TestConcurrentAppendsFormOneChain(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			u, dir := b.fresh(t)
			// Two handles on one database stand in for two worker processes.
			stores := []Store{open(t, u, dir), open(t, u, dir)}
			const n = 20
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					_, _, err := stores[i%2].Append(t.Context(), Event{
						IncidentID: "INC-C", Key: fmt.Sprintf("g%02d", i), Kind: "note.added", Actor: "U1",
						Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)),
					})
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			events, err := stores[0].Events(t.Context(), "INC-C")
			require.NoError(t, err)
			require.Len(t, events, n)
			keys := map[string]bool{}
			for i, e := range events {
				require.Equal(t, int64(i+1), e.Seq)
				keys[e.Key] = true
			}
			require.Len(t, keys, n, "every append is in the chain exactly once")
			res, err := stores[1].Verify(t.Context(), "INC-C")
			require.NoError(t, err)
			require.Equal(t, VerifyResult{OK: true, Events: n}, res)
		})
	}
}

// tamper runs raw SQL written with '?' placeholders on the store's database,
// the way someone with database access would.
func tamper(t *testing.T, st Store, query string, args ...any) {
	t.Helper()
	_, err := rawDB(st).ExecContext(t.Context(), st.(*sqlStore).q(query), args...)
	require.NoError(t, err, query)
}

// forge writes a well-formed event, hashed correctly, straight into the table.
func forge(t *testing.T, st Store, e Event) {
	t.Helper()
	e.Hash = e.ComputeHash()
	require.NotEmpty(t, e.Hash)
	tamper(t, st, `INSERT INTO timeline_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.IncidentID, e.Seq, e.Key, st.(*sqlStore).timeArg(e.At), e.Kind, e.Actor, string(e.Data), e.PrevHash, e.Hash)
}

func TestVerifyFindsTheFirstTamperedEvent(t *testing.T) {
	type tc struct {
		name    string
		tamper  func(t *testing.T, st Store, id string, evs []Event)
		badSeq  int64
		inWords string
	}
	cases := []tc{
		{"edit data", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET data = ? WHERE incident_id = ? AND seq = 3`, `{"n":3,"text":"nothing happened"}`, id)
		}, 3, "event 3 was edited"},
		{"edit data to non-canonical JSON", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET data = ? WHERE incident_id = ? AND seq = 2`, `{"text":"step 2","n":2}`, id)
		}, 2, "event 2 was edited"},
		{"edit data to non-JSON", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET data = 'oops' WHERE incident_id = ? AND seq = 4`, id)
		}, 4, "event 4 was edited"},
		{"edit kind", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET kind = 'task.skipped' WHERE incident_id = ? AND seq = 2`, id)
		}, 2, "event 2 was edited: its hash does not match its content"},
		{"edit actor", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET actor = 'U-someone-else' WHERE incident_id = ? AND seq = 1`, id)
		}, 1, "event 1 was edited"},
		{"edit at", func(t *testing.T, st Store, id string, evs []Event) {
			tamper(t, st, `UPDATE timeline_events SET at = ? WHERE incident_id = ? AND seq = 4`, st.(*sqlStore).timeArg(evs[3].At.Add(-time.Hour)), id)
		}, 4, "event 4 was edited"},
		{"edit event key", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET event_key = 'other' WHERE incident_id = ? AND seq = 5`, id)
		}, 5, "event 5 was edited"},
		{"edit hash and data together", func(t *testing.T, st Store, id string, evs []Event) {
			e := evs[2]
			e.Data = json.RawMessage(`{"n":3,"text":"nothing happened"}`)
			tamper(t, st, `UPDATE timeline_events SET data = ?, hash = ? WHERE incident_id = ? AND seq = 3`, string(e.Data), e.ComputeHash(), id)
		}, 4, "event 4 does not follow event 3"},
		{"delete first", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `DELETE FROM timeline_events WHERE incident_id = ? AND seq = 1`, id)
		}, 1, "event 1 is missing"},
		{"delete middle", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `DELETE FROM timeline_events WHERE incident_id = ? AND seq = 3`, id)
		}, 3, "event 3 is missing"},
		{"delete last", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `DELETE FROM timeline_events WHERE incident_id = ? AND seq = 5`, id)
		}, 5, "event 5 is missing"},
		{"delete last and move the head back", func(t *testing.T, st Store, id string, evs []Event) {
			tamper(t, st, `DELETE FROM timeline_events WHERE incident_id = ? AND seq = 5`, id)
			tamper(t, st, `UPDATE timeline_heads SET last_seq = 4 WHERE incident_id = ?`, id)
		}, 4, "event 4 does not match the chain head"},
		{"delete middle and renumber", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `DELETE FROM timeline_events WHERE incident_id = ? AND seq = 3`, id)
			tamper(t, st, `UPDATE timeline_events SET seq = 3 WHERE incident_id = ? AND seq = 4`, id)
			tamper(t, st, `UPDATE timeline_events SET seq = 4 WHERE incident_id = ? AND seq = 5`, id)
		}, 3, "event 3 is out of place: it was written as event 4"},
		{"delete the chain head", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `DELETE FROM timeline_heads WHERE incident_id = ?`, id)
		}, 5, "chain head record is missing"},
		{"insert garbage at the end", func(t *testing.T, st Store, id string, evs []Event) {
			tamper(t, st, `INSERT INTO timeline_events (`+eventColumns+`) VALUES (?, 6, 'x', ?, 'note.added', 'U1', '{}', ?, ?)`,
				id, st.(*sqlStore).timeArg(evs[4].At), evs[4].Hash, strings.Repeat("ab", 32))
		}, 6, "event 6 was edited"},
		{"insert a well-hashed event at the end", func(t *testing.T, st Store, id string, evs []Event) {
			forge(t, st, Event{IncidentID: id, Seq: 6, Key: "x", At: evs[4].At, Kind: "note.added", Actor: "U1", Data: json.RawMessage(`{}`), PrevHash: evs[4].Hash})
		}, 6, "event 6 was added outside the store"},
		{"insert a well-hashed event in the middle", func(t *testing.T, st Store, id string, evs []Event) {
			for seq := 5; seq >= 3; seq-- {
				tamper(t, st, `UPDATE timeline_events SET seq = ? WHERE incident_id = ? AND seq = ?`, seq+1, id, seq)
			}
			forge(t, st, Event{IncidentID: id, Seq: 3, Key: "x", At: evs[1].At, Kind: "note.added", Actor: "U1", Data: json.RawMessage(`{}`), PrevHash: evs[1].Hash})
		}, 3, "event 3 was inserted"},
		{"insert a row with a bad hash in the middle", func(t *testing.T, st Store, id string, evs []Event) {
			for seq := 5; seq >= 3; seq-- {
				tamper(t, st, `UPDATE timeline_events SET seq = ? WHERE incident_id = ? AND seq = ?`, seq+1, id, seq)
			}
			tamper(t, st, `INSERT INTO timeline_events (`+eventColumns+`) VALUES (?, 3, 'x', ?, 'note.added', 'U1', '{}', ?, ?)`,
				id, st.(*sqlStore).timeArg(evs[1].At), evs[1].Hash, strings.Repeat("cd", 32))
		}, 3, "event 3 was edited"},
		{"swap two", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET seq = -2 WHERE incident_id = ? AND seq = 2`, id)
			tamper(t, st, `UPDATE timeline_events SET seq = 2 WHERE incident_id = ? AND seq = 4`, id)
			tamper(t, st, `UPDATE timeline_events SET seq = 4 WHERE incident_id = ? AND seq = -2`, id)
		}, 2, "event 2 is out of place: it was written as event 4"},
		{"swap neighbours", func(t *testing.T, st Store, id string, _ []Event) {
			tamper(t, st, `UPDATE timeline_events SET seq = -3 WHERE incident_id = ? AND seq = 3`, id)
			tamper(t, st, `UPDATE timeline_events SET seq = 3 WHERE incident_id = ? AND seq = 4`, id)
			tamper(t, st, `UPDATE timeline_events SET seq = 4 WHERE incident_id = ? AND seq = -3`, id)
		}, 3, "event 3 is out of place"},
	}
	eachBackend(t, func(t *testing.T, st Store) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := fmt.Sprintf("INC-T-%02d", i)
				evs := appendN(t, st, id, 5)
				res, err := st.Verify(t.Context(), id)
				require.NoError(t, err)
				require.True(t, res.OK, "untouched chain: %+v", res)

				c.tamper(t, st, id, evs)
				res, err = st.Verify(t.Context(), id)
				require.NoError(t, err)
				require.False(t, res.OK, "tampering went unnoticed")
				require.Equal(t, c.badSeq, res.FirstBadSeq, "first bad seq; reason: %s", res.Reason)
				require.Contains(t, res.Reason, c.inWords)

				// The timeline still reads, so people can see what is there.
				_, err = st.Events(t.Context(), id)
				require.NoError(t, err)
			})
		}
	})
}

func TestReserveIncidentID(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		for _, want := range []string{"INC-2026-0001", "INC-2026-0002"} {
			id, created, err := st.ReserveIncidentID(ctx, "INC-2026", "")
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, want, id)
		}
		id, _, err := st.ReserveIncidentID(ctx, "DRILL-2026", "")
		require.NoError(t, err)
		require.Equal(t, "DRILL-2026-0001", id, "each prefix counts on its own")

		id, created, err := st.ReserveIncidentID(ctx, "INC-2026", "slack:T1:trigger-42")
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "INC-2026-0003", id)
		again, created, err := st.ReserveIncidentID(ctx, "INC-2026", "slack:T1:trigger-42")
		require.NoError(t, err)
		require.False(t, created, "a retried declare must not burn a second number")
		require.Equal(t, id, again)
		again, _, err = st.ReserveIncidentID(ctx, "INC-2027", "slack:T1:trigger-42")
		require.NoError(t, err)
		require.Equal(t, id, again, "a retry across new year still gets its first ID")

		next, _, err := st.ReserveIncidentID(ctx, "INC-2026", "")
		require.NoError(t, err)
		require.Equal(t, "INC-2026-0004", next)

		_, _, err = st.ReserveIncidentID(ctx, "", "")
		require.ErrorIs(t, err, ErrInvalid)
	})
}

func TestReserveIncidentIDConcurrently(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			u, dir := b.fresh(t)
			stores := []Store{open(t, u, dir), open(t, u, dir)}
			const keys, perKey = 10, 3
			type result struct {
				key, id string
				created bool
				err     error
			}
			results := make(chan result, keys*perKey+10)
			var wg sync.WaitGroup
			for k := range keys {
				for r := range perKey {
					wg.Go(func() {
						key := fmt.Sprintf("req-%d", k)
						id, created, err := stores[(k+r)%2].ReserveIncidentID(t.Context(), "INC-2026", key)
						results <- result{key, id, created, err}
					})
				}
			}
			for i := range 10 {
				wg.Go(func() {
					id, created, err := stores[i%2].ReserveIncidentID(t.Context(), "INC-2026", "")
					results <- result{"", id, created, err}
				})
			}
			wg.Wait()
			close(results)
			byKey := map[string]string{}
			createdPerKey := map[string]int{}
			ids := map[string]bool{}
			for r := range results {
				require.NoError(t, r.err)
				if r.created {
					require.False(t, ids[r.id], "ID %s handed out twice", r.id)
					ids[r.id] = true
				}
				if r.key == "" {
					require.True(t, r.created)
					continue
				}
				if r.created {
					createdPerKey[r.key]++
				}
				if prev, ok := byKey[r.key]; ok {
					require.Equal(t, prev, r.id, "one request key, one ID")
				}
				byKey[r.key] = r.id
			}
			for k := range keys {
				require.Equal(t, 1, createdPerKey[fmt.Sprintf("req-%d", k)])
			}
			require.Len(t, ids, keys+10)
			for n := 1; n <= keys+10; n++ {
				require.True(t, ids[fmt.Sprintf("INC-2026-%04d", n)], "numbers have no gaps: INC-2026-%04d", n)
			}
		})
	}
}

func TestIncidentIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for i, id := range []string{"INC-2026-0001", "INC-2026-0003", "INC-2026-0002"} {
			require.NoError(t, st.UpsertIncident(ctx, Incident{
				ID: id, Title: "t " + id, Severity: "sev2", Mode: "live", Status: "open", Phase: "contain",
				DeclaredBy: "U1", WorkflowID: "incident/" + id,
				DeclaredAt: day.Add(time.Duration(i) * time.Hour), UpdatedAt: day.Add(time.Duration(i) * time.Hour),
			}))
		}
		list, err := st.ListIncidents(ctx)
		require.NoError(t, err)
		require.Len(t, list, 3)
		require.Equal(t, []string{"INC-2026-0002", "INC-2026-0003", "INC-2026-0001"}, []string{list[0].ID, list[1].ID, list[2].ID}, "newest declared first")

		require.NoError(t, st.UpsertIncident(ctx, Incident{
			ID: "INC-2026-0001", Title: "Laptop stolen", Severity: "sev1", Mode: "live", Status: "closed", Phase: "review",
			DeclaredBy: "U1", WorkflowID: "incident/INC-2026-0001", UpdatedAt: day.Add(5 * time.Hour),
		}))
		got, err := st.GetIncident(ctx, "INC-2026-0001")
		require.NoError(t, err)
		require.Equal(t, Incident{
			ID: "INC-2026-0001", Title: "Laptop stolen", Severity: "sev1", Mode: "live", Status: "closed", Phase: "review",
			DeclaredBy: "U1", WorkflowID: "incident/INC-2026-0001", DeclaredAt: day, UpdatedAt: day.Add(5 * time.Hour),
		}, got, "a zero DeclaredAt keeps the declared time")

		// A late retry of an older write does not roll the index back.
		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-2026-0001", Title: "old", Status: "open", DeclaredAt: day, UpdatedAt: day.Add(time.Hour)}))
		got, err = st.GetIncident(ctx, "INC-2026-0001")
		require.NoError(t, err)
		require.Equal(t, "closed", got.Status)

		_, err = st.GetIncident(ctx, "INC-none")
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, st.UpsertIncident(ctx, Incident{}), ErrInvalid)

		// The Slack channel, once known, is kept by later upserts that do not
		// carry it, and finds the incident.
		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-2026-0002", Title: "t", Status: "open", SlackChannel: "C0INCIDENT2", UpdatedAt: day.Add(6 * time.Hour)}))
		require.NoError(t, st.UpsertIncident(ctx, Incident{ID: "INC-2026-0002", Title: "t", Status: "open", UpdatedAt: day.Add(7 * time.Hour)}))
		byChan, err := st.IncidentByChannel(ctx, "C0INCIDENT2")
		require.NoError(t, err)
		require.Equal(t, "INC-2026-0002", byChan.ID)
		_, err = st.IncidentByChannel(ctx, "C0UNKNOWN")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestRegister(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		due := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
		rec := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		notice := RegisterEntry{
			ID: "INC-1/eu-gdpr/authority", IncidentID: "INC-1", Kind: RegisterNotice, Regime: "eu-gdpr", Obligation: "art33",
			Recipient: "authority", To: []string{"breach@dpc.example"}, Status: "draft", DueAt: &due, RecordedAt: rec,
		}
		decision := RegisterEntry{
			ID: "INC-1/us-ca/individuals", IncidentID: "INC-1", Kind: RegisterNotNotified, Regime: "us-ca", Obligation: "1798.82",
			Recipient: "individuals", Status: "not_notified", DecidedBy: "dpo@example.com", Rationale: "data was encrypted", RecordedAt: rec,
		}
		require.NoError(t, st.PutRegister(ctx, notice))
		require.NoError(t, st.PutRegister(ctx, decision))

		list, err := st.ListRegister(ctx)
		require.NoError(t, err)
		require.Equal(t, []RegisterEntry{notice, decision}, list, "by recorded_at, then ID; nulls stay nil")

		sent := time.Date(2026, 3, 3, 17, 30, 0, 0, time.UTC)
		onTime := true
		notice.Status, notice.SentAt, notice.OnTime, notice.Reference, notice.MessageID, notice.ContentHash = "sent", &sent, &onTime, "DPC-2026-17", "<m1@irbot>", "abc"
		notice.Language = "de-AT" // the language it was sent in
		update := notice
		update.RecordedAt = time.Time{}
		require.NoError(t, st.PutRegister(ctx, update))

		late := false
		early := RegisterEntry{ID: "INC-0/eu-gdpr/authority", IncidentID: "INC-0", Kind: RegisterNotice, Status: "sent",
			SentAt: &sent, OnTime: &late, LateReason: "forensics", RecordedAt: rec.Add(-time.Hour)}
		require.NoError(t, st.PutRegister(ctx, early))

		list, err = st.ListRegister(ctx)
		require.NoError(t, err)
		require.Equal(t, []RegisterEntry{early, notice, decision}, list, "upsert by ID keeps RecordedAt when zero")

		require.ErrorIs(t, st.PutRegister(ctx, RegisterEntry{ID: "x", IncidentID: "I", Kind: "other"}), ErrInvalid)
		require.ErrorIs(t, st.PutRegister(ctx, RegisterEntry{IncidentID: "I", Kind: RegisterNotice}), ErrInvalid)
		require.ErrorIs(t, st.PutRegister(ctx, RegisterEntry{ID: "y", IncidentID: "I", Kind: RegisterNotice, Language: "de\x00"}), ErrInvalid)

		// A row without a language hashes as it did before languages.
		old := decision
		old.Language = ""
		b, err := json.Marshal(old)
		require.NoError(t, err)
		require.NotContains(t, string(b), "language")
	})
}

func TestReopeningKeepsEverything(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			u, dir := b.fresh(t)
			st, err := Open(ctx, u, dir)
			require.NoError(t, err)
			evs := appendN(t, st, "INC-R", 3)
			id, _, err := st.ReserveIncidentID(ctx, "INC-2026", "req")
			require.NoError(t, err)
			inc := Incident{ID: id, Title: "t", DeclaredAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			require.NoError(t, st.UpsertIncident(ctx, inc))
			reg := RegisterEntry{ID: "r1", IncidentID: id, Kind: RegisterNotice, RecordedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
			require.NoError(t, st.PutRegister(ctx, reg))
			require.NoError(t, st.Close())

			st = open(t, u, dir)
			got, err := st.Events(ctx, "INC-R")
			require.NoError(t, err)
			require.Equal(t, evs, got)
			res, err := st.Verify(ctx, "INC-R")
			require.NoError(t, err)
			require.True(t, res.OK, res.Reason)
			next, _, err := st.Append(ctx, Event{IncidentID: "INC-R", Key: "after-restart", Kind: "note.added"})
			require.NoError(t, err)
			require.Equal(t, int64(4), next.Seq)
			require.Equal(t, evs[2].Hash, next.PrevHash)

			again, created, err := st.ReserveIncidentID(ctx, "INC-2026", "req")
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, id, again)
			another, _, err := st.ReserveIncidentID(ctx, "INC-2026", "")
			require.NoError(t, err)
			require.Equal(t, "INC-2026-0002", another)
			gotInc, err := st.GetIncident(ctx, id)
			require.NoError(t, err)
			require.Equal(t, inc, gotInc)
			regs, err := st.ListRegister(ctx)
			require.NoError(t, err)
			require.Equal(t, []RegisterEntry{reg}, regs)

			var migrations int
			require.NoError(t, rawDB(st).QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&migrations))
			all, err := loadMigrations(st.(*sqlStore).d)
			require.NoError(t, err)
			require.Equal(t, len(all), migrations, "each migration is recorded once")
			if dir != "" {
				require.FileExists(t, filepath.Join(dir, DBFileName))
			}
		})
	}
}

func TestOpeningAtOnceMigratesOnce(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			u, dir := b.fresh(t)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					st, err := Open(t.Context(), u, dir)
					if err == nil {
						err = st.Ping(t.Context())
						_ = st.Close()
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err, "processes starting together must all open the store")
			}
		})
	}
}

func TestOpenExplainsABadDatabaseURL(t *testing.T) {
	for _, u := range []string{"mysql://irbot:hunter2@db/irbot", "irbot:hunter2@db/irbot", "sqlite:///tmp/x.db"} {
		_, err := Open(t.Context(), u, t.TempDir())
		require.Error(t, err, u)
		require.Contains(t, err.Error(), "IRBOT_DATABASE_URL")
		require.Contains(t, err.Error(), "postgres://")
		require.NotContains(t, err.Error(), "hunter2", "the password must never be echoed")
	}
}

func TestOpenPostgresFailureHidesThePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, u := range []string{
		"postgres://irbot:hunter2@127.0.0.1:1/irbot?connect_timeout=2",
		"postgresql://irbot:hunter2@127.0.0.1:notaport/irbot",
	} {
		_, err := Open(ctx, u, "")
		require.Error(t, err)
		require.NotContains(t, err.Error(), "hunter2", "the password must never be echoed")
	}
}

func TestOpenSQLiteCreatesTheDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	st := open(t, "", dir)
	require.NoError(t, st.Ping(t.Context()))
	require.FileExists(t, filepath.Join(dir, "irbot.db"))
	var mode string
	require.NoError(t, rawDB(st).QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
}
