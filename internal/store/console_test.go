package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoginLinkIsUsedOnceEvenUnderConcurrency(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		now := time.Now()
		require.NoError(t, st.CreateLoginLink(ctx, LoginLink{TokenHash: "h1", UserID: "dana@example.com", CreatedBy: "cli", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}))
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := st.ConsumeLoginLink(ctx, "h1", time.Now(), fmt.Sprintf("127.0.0.%d", i))
				if err == nil {
					require.Equal(t, "dana@example.com", l.UserID)
					wins.Add(1)
				} else {
					require.ErrorIs(t, err, ErrNotFound)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, int32(1), wins.Load(), "a sign-in link must sign in exactly one browser")
		l, err := st.LoginLink(ctx, "h1")
		require.NoError(t, err)
		require.NotNil(t, l.UsedAt)

		require.NoError(t, st.CreateLoginLink(ctx, LoginLink{TokenHash: "h2", UserID: "u", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute)}))
		_, err = st.ConsumeLoginLink(ctx, "h2", now, "")
		require.ErrorIs(t, err, ErrNotFound, "an expired link must not sign in")
		_, err = st.ConsumeLoginLink(ctx, "nope", now, "")
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, st.CreateLoginLink(ctx, LoginLink{TokenHash: "h3", UserID: "a\x00b", ExpiresAt: now.Add(time.Minute)}), ErrInvalid)
	})
}

func TestConsoleSessionsAndSignIns(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		_, found, err := st.SessionFind(ctx, "t1")
		require.NoError(t, err)
		require.False(t, found)
		require.NoError(t, st.SessionCommit(ctx, "t1", []byte{0, 1, 2}, time.Now().Add(time.Hour)))
		require.NoError(t, st.SessionCommit(ctx, "t1", []byte("again"), time.Now().Add(time.Hour)))
		b, found, err := st.SessionFind(ctx, "t1")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, "again", string(b))
		require.NoError(t, st.SessionCommit(ctx, "old", []byte("x"), time.Now().Add(-time.Second)))
		_, found, _ = st.SessionFind(ctx, "old")
		require.False(t, found, "an expired session must not be found")
		n, err := st.SessionsDeleteExpired(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		require.NoError(t, st.SessionDelete(ctx, "t1"))
		_, found, _ = st.SessionFind(ctx, "t1")
		require.False(t, found)

		require.NoError(t, st.RecordSignIn(ctx, SignIn{UserID: "dana", Method: "link", OK: true, Remote: "127.0.0.1"}))
		require.NoError(t, st.RecordSignIn(ctx, SignIn{UserID: "", Method: "token", OK: false, Remote: "10.0.0.1", Reason: "unknown token"}))
		list, err := st.ListSignIns(ctx, 10)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "token", list[0].Method, "newest first")
		require.False(t, list[0].OK)
		require.True(t, list[1].OK)
	})
}

func TestListIncidentsPageFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for i := range 30 {
			mode, sev := "live", "high"
			if i%3 == 0 {
				mode = "drill"
			}
			if i%2 == 0 {
				sev = "low"
			}
			id := fmt.Sprintf("INC-2026-%04d", i+1)
			at := base.Add(time.Duration(i) * time.Hour)
			require.NoError(t, st.UpsertIncident(ctx, Incident{ID: id, Title: "t", Severity: sev, Mode: mode, Status: "open", DeclaredAt: at, UpdatedAt: at}))
			regimes := `["eu-gdpr"]`
			if i%5 == 0 {
				regimes = `["us-ca","us-ny"]`
			}
			_, _, err := st.Append(ctx, Event{IncidentID: id, Key: "declared", Kind: "incident.declared", Actor: "a", At: at, Data: []byte(`{"regimes":` + regimes + `,"title":"\"eu-gdpr\""}`)})
			require.NoError(t, err)
		}
		p, err := st.ListIncidentsPage(ctx, IncidentFilter{Mode: "live", Limit: 5})
		require.NoError(t, err)
		require.Equal(t, 20, p.Total)
		require.Len(t, p.Incidents, 5)
		require.Equal(t, "INC-2026-0030", p.Incidents[0].ID, "newest first")
		p, err = st.ListIncidentsPage(ctx, IncidentFilter{Mode: "live", Limit: 5, Offset: 18})
		require.NoError(t, err)
		require.Len(t, p.Incidents, 2)
		p, err = st.ListIncidentsPage(ctx, IncidentFilter{Mode: "drill", Severity: "low"})
		require.NoError(t, err)
		require.Equal(t, 5, p.Total)
		p, err = st.ListIncidentsPage(ctx, IncidentFilter{Regime: "us-ny"})
		require.NoError(t, err)
		require.Equal(t, 6, p.Total)
		p, err = st.ListIncidentsPage(ctx, IncidentFilter{Regime: "eu-gdpr"})
		require.NoError(t, err)
		require.Equal(t, 24, p.Total, "a regime named only inside the title must not match")
		from, to := base.Add(10*time.Hour), base.Add(20*time.Hour)
		p, err = st.ListIncidentsPage(ctx, IncidentFilter{From: &from, To: &to})
		require.NoError(t, err)
		require.Equal(t, 10, p.Total)
		_, err = st.ListIncidentsPage(ctx, IncidentFilter{Regime: `x%"`})
		require.True(t, errors.Is(err, ErrInvalid))
	})
}
