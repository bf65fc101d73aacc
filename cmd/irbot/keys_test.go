package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// What `irbot keys erase` records stays readable after the key is gone:
// its reason and actor obey the text rule, refused with exit 2 naming the
// flag before the store is opened.
func TestKeysEraseRefusesTextThatCannotBeRecorded(t *testing.T) {
	t.Setenv("IRBOT_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--reason", "retention\x00ended"}, "--reason contains a NUL"},
		{[]string{"--reason", "retention \u202eended"}, "--reason contains the control character U+202E"},
		{[]string{"--reason", strings.Repeat("r", 4001)}, "--reason is limited to 4000 characters"},
		{[]string{"--reason", "retention ended", "--actor", "ops\nroot"}, "--actor contains the control character U+000A"},
	} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 2, run(append([]string{"keys", "erase", "INC-2026-0001"}, c.args...), &stdout, &stderr), c.want)
		require.Contains(t, stderr.String(), c.want)
		require.Empty(t, stdout.String())
	}
}
