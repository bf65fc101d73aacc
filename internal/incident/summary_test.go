package incident

import (
	"fmt"
	"strings"
	"testing"
)

// The summaries remembered stay few and small: one too large is not kept
// (it is queried), and the oldest go first when there are too many.
func TestSummariesRememberedAreBounded(t *testing.T) {
	var m summaries
	if _, ok := m.get("INC-2026-0001"); ok {
		t.Fatal("an empty cache remembers a summary")
	}
	m.put("INC-2026-0001", "")
	if got, ok := m.get("INC-2026-0001"); !ok || got != "" {
		t.Fatalf("an empty summary is a summary: got %q, %v", got, ok)
	}
	m.put("INC-2026-0002", strings.Repeat("x", maxCachedSummary+1))
	if _, ok := m.get("INC-2026-0002"); ok {
		t.Fatal("a summary over the size bound was kept")
	}
	for i := range cachedSummaries + 10 {
		m.put(fmt.Sprintf("INC-2027-%04d", i), "s")
	}
	if n := m.cache().Len(); n != cachedSummaries {
		t.Fatalf("%d summaries kept, want at most %d", n, cachedSummaries)
	}
	if _, ok := m.get("INC-2027-0000"); ok {
		t.Fatal("the oldest summary was not dropped")
	}
}
