package slackbot

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDedupeFullOfLiveKeysDropsTheOldestHalf: a flood of distinct keys
// within the TTL keeps the map bounded, remembers the newest keys, and does
// not sweep on every request (which made each acknowledgement scan it all).
func TestDedupeFullOfLiveKeysDropsTheOldestHalf(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	d := newDedupe(time.Hour, 100, func() time.Time { return now })
	for i := 0; i < 100; i++ {
		now = now.Add(time.Second)
		require.True(t, d.first("k"+strconv.Itoa(i)))
	}
	require.Len(t, d.seen, 100)
	now = now.Add(time.Second)
	require.True(t, d.first("k100"))
	require.LessOrEqual(t, len(d.seen), 51, "the oldest half went at once")
	require.False(t, d.first("k99"), "the newest keys are still remembered")
	require.False(t, d.first("k100"))
	require.True(t, d.first("k0"), "the oldest were dropped")
	for i := 101; i < 140; i++ {
		now = now.Add(time.Second)
		require.True(t, d.first("k"+strconv.Itoa(i)))
	}
	require.Less(t, len(d.seen), 100, "no sweep needed until the map is full again")

	// A clock that does not move: still bounded.
	still := newDedupe(time.Hour, 10, func() time.Time { return now })
	for i := 0; i < 50; i++ {
		require.True(t, still.first("s"+strconv.Itoa(i)))
		require.LessOrEqual(t, len(still.seen), 10)
	}
}
