package incident

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// summaries remembers incidents' summaries. A summary never changes after
// the declaration, and an Update's result leaves it out (every result stays
// in the workflow history), so with it remembered an action's answer needs
// no Query, a second round trip through Temporal to the worker, to put it
// back. Only summaries up to maxCachedSummary bytes are kept, so the cache
// stays small however large summaries get; the others are queried.
type summaries struct {
	once sync.Once
	c    *lru.Cache[string, string]
}

const (
	cachedSummaries  = 4096
	maxCachedSummary = 8 << 10
)

func (m *summaries) cache() *lru.Cache[string, string] {
	m.once.Do(func() {
		// lru.New fails only for a size below one.
		m.c, _ = lru.New[string, string](cachedSummaries)
	})
	return m.c
}

// get returns the incident's summary if it is remembered.
func (m *summaries) get(id string) (string, bool) {
	return m.cache().Get(id)
}

// put remembers the incident's summary, if it is small enough.
func (m *summaries) put(id, summary string) {
	if len(summary) <= maxCachedSummary {
		m.cache().Add(id, summary)
	}
}
