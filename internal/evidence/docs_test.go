package evidence_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/evidence"
)

// TestDocsQuoteTheReferenceScript keeps docs/evidence.md's copy of the
// reference script the one the packs carry (and the evidence test runs).
func TestDocsQuoteTheReferenceScript(t *testing.T) {
	doc, err := os.ReadFile("../../docs/evidence.md")
	require.NoError(t, err)
	require.True(t, strings.Contains(string(doc), "```python\n"+string(evidence.VerifyChainPy)+"```"),
		"docs/evidence.md must quote internal/evidence/verify_chain.py verbatim; regenerate its last section")
}
