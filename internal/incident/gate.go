package incident

import (
	"context"
	"sync"
)

// DefaultUpdatesInFlight is how many Updates this process keeps in flight on
// one workflow when the service is not told otherwise: below Temporal's
// per-workflow limit (dynamic config history.maxInFlightUpdates, 10 by
// default), so one replica never meets it.
const DefaultUpdatesInFlight = 8

// updateGate bounds the Updates this process has in flight on each
// workflow. Past Temporal's per-workflow limit the server answers
// ResourceExhausted and the SDK retries with a back-off that doubles up to
// 10 s: 32 people acting on one incident at once waited up to 20 s and some
// got 503s. Here the rest wait in line, first come first served, and go as
// soon as an answer frees a place.
type updateGate struct {
	mu    sync.Mutex
	lanes map[string]*lane
}

type lane struct {
	slots chan struct{}
	users int // callers holding or waiting for a slot
}

// enter waits for a place on key's lane, or for ctx to end; the release
// function it returns must be called once the Update is answered.
func (g *updateGate) enter(ctx context.Context, key string, size int) (func(), error) {
	if size <= 0 {
		size = DefaultUpdatesInFlight
	}
	g.mu.Lock()
	if g.lanes == nil {
		g.lanes = map[string]*lane{}
	}
	l, ok := g.lanes[key]
	if !ok {
		l = &lane{slots: make(chan struct{}, size)}
		g.lanes[key] = l
	}
	l.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if l.users--; l.users == 0 {
			delete(g.lanes, key)
		}
		g.mu.Unlock()
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.slots
			leave()
		})
	}, nil
}

// inFlight is how many callers hold or wait for a place on key (tests).
func (g *updateGate) inFlight(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l, ok := g.lanes[key]; ok {
		return l.users
	}
	return 0
}
