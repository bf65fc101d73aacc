package incident

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUpdateGateKeepsAtMostSizeInFlightPerWorkflow: 64 callers on one
// workflow never have more than the lane's size in flight, all of them get
// through, another workflow's lane is not held up, and nothing is left
// behind once they are done.
func TestUpdateGateKeepsAtMostSizeInFlightPerWorkflow(t *testing.T) {
	var g updateGate
	const size, callers = 4, 64
	var now, peak, done atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := g.enter(t.Context(), "incident/INC-1", size)
			if err != nil {
				return
			}
			n := now.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			now.Add(-1)
			done.Add(1)
			release()
			release() // a second release is harmless
		}()
	}
	// Another incident goes through at once while the first is crowded.
	other, err := g.enter(t.Context(), "incident/INC-2", size)
	require.NoError(t, err, "an incident must not wait behind another incident's queue")
	other()
	wg.Wait()
	require.EqualValues(t, callers, done.Load(), "every caller must get its turn")
	require.LessOrEqual(t, peak.Load(), int64(size), "more Updates in flight on one workflow than the gate allows")
	require.Zero(t, g.inFlight("incident/INC-1"), "the lane must be gone once nobody uses it")
	require.Empty(t, g.lanes)
}

// TestUpdateGateGivesUpWhenTheCallerDoes: a caller whose request ends while
// it waits leaves the line without taking a place or leaking one.
func TestUpdateGateGivesUpWhenTheCallerDoes(t *testing.T) {
	var g updateGate
	hold, err := g.enter(t.Context(), "w", 1)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err = g.enter(ctx, "w", 1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, 1, g.inFlight("w"), "the one that gave up must not stay counted")
	hold()
	// The place is free again: the next caller gets it at once.
	again, err := g.enter(t.Context(), "w", 1)
	require.NoError(t, err)
	again()
	require.Empty(t, g.lanes)
	// Zero or negative sizes fall back to the default, never to a lane
	// nobody can enter.
	for _, size := range []int{0, -3} {
		r, err := g.enter(t.Context(), "w\x00", size)
		require.NoError(t, err)
		r()
	}
}
