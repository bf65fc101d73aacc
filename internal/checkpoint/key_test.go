package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadKeyCreatesAPrivateFileOnceAndKeepsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	none := func(string) string { return "" }
	k1, err := LoadKey(none, dir)
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, DefaultKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "only irbot's user may read the signing key")
	k2, err := LoadKey(none, dir)
	require.NoError(t, err)
	require.Equal(t, k1, k2, "a restart signs with the same key")

	seed := strings.Repeat("ab", 32)
	fromEnv, err := LoadKey(func(k string) string {
		if k == KeyEnv {
			return seed
		}
		return ""
	}, dir)
	require.NoError(t, err)
	require.NotEqual(t, k1, fromEnv, "the environment's key wins")

	for name, env := range map[string]map[string]string{
		"short seed":   {KeyEnv: "abcd"},
		"not hex":      {KeyEnv: strings.Repeat("zz", 32)},
		"missing file": {KeyFileEnv: filepath.Join(dir, "nope.key")},
	} {
		_, err := LoadKey(func(k string) string { return env[k] }, dir)
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), strings.Repeat("zz", 32), "a key is never echoed")
	}
}
