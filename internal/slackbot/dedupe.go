package slackbot

import (
	"slices"
	"sync"
	"time"
)

// dedupe remembers keys for a while so that a duplicate delivery (an Events
// API retry, a replayed slash command, a double click) is dropped before any
// work starts. It is only the first line: request keys make the service and
// the workflow idempotent too, across processes and restarts.
type dedupe struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	now  func() time.Time
	seen map[string]time.Time
}

func newDedupe(ttl time.Duration, max int, now func() time.Time) *dedupe {
	return &dedupe{ttl: ttl, max: max, now: now, seen: map[string]time.Time{}}
}

// first reports whether key is new within the TTL, and remembers it.
func (d *dedupe) first(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if at, ok := d.seen[key]; ok && now.Sub(at) < d.ttl {
		return false
	}
	if len(d.seen) >= d.max {
		d.sweep(now)
	}
	d.seen[key] = now
	return true
}

// forget drops key, so that work that could not be queued can be retried.
func (d *dedupe) forget(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, key)
}

func (d *dedupe) sweep(now time.Time) {
	for k, at := range d.seen {
		if now.Sub(at) >= d.ttl {
			delete(d.seen, k)
		}
	}
	// Still full of live keys: drop the oldest half rather than grow
	// forever. Half, not one: dropping one would make every later request
	// scan the whole map again (a flood of distinct keys would cost each
	// acknowledgement O(max)); this way a sweep runs once per max/2 keys.
	if len(d.seen) >= d.max {
		ats := make([]time.Time, 0, len(d.seen))
		for _, at := range d.seen {
			ats = append(ats, at)
		}
		slices.SortFunc(ats, func(a, b time.Time) int { return a.Compare(b) })
		cut := ats[len(ats)-d.max/2]
		for k, at := range d.seen {
			if at.Before(cut) {
				delete(d.seen, k)
			}
		}
		// Keys seen at one instant (a clock that does not move) tie at the
		// cut; drop any of them to make room.
		for k := range d.seen {
			if len(d.seen) < d.max {
				break
			}
			delete(d.seen, k)
		}
	}
}
