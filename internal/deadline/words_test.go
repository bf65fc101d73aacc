package deadline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTimeWords: the one wording of time left and margins, golden.
func TestTimeWords(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "under 1 min"},
		{29 * time.Second, "under 1 min"},
		{30 * time.Second, "1 min"}, // rounded to the minute
		{12 * time.Minute, "12 min"},
		{time.Hour, "1 h"},
		{3*time.Hour + 5*time.Minute, "3 h 5 min"},
		{22 * time.Hour, "22 h"},
		{24 * time.Hour, "1 d"},
		{4*24*time.Hour + 23*time.Hour + 59*time.Minute, "4 d 23 h"}, // minutes dropped from a day on
		{4*24*time.Hour + 23*time.Hour + 59*time.Minute + 31*time.Second, "5 d"},
		{-22 * time.Hour, "22 h"},
		{400 * 24 * time.Hour, "400 d"},
	} {
		require.Equal(t, tc.want, Span(tc.d), "%v", tc.d)
	}
	due := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	require.Equal(t, "due in 2 d 23 h", Left(due, due.Add(-71*time.Hour-59*time.Minute)))
	require.Equal(t, "due in 3 h 5 min", Left(due, due.Add(-3*time.Hour-5*time.Minute)))
	require.Equal(t, "due in 3 d", Left(due, due.Add(-72*time.Hour)))
	require.Equal(t, "overdue by under 1 min", Left(due, due), "at the due time the clock is overdue")
	require.Equal(t, "overdue by 4 d 23 h", Left(due, due.Add(4*24*time.Hour+23*time.Hour)))
	require.Equal(t, "met with 22 h to spare", Settled("22 h", ""))
	require.Equal(t, "late by 4 d 23 h", Settled("", "4 d 23 h"))
	require.Equal(t, "", Settled("", ""))
}
