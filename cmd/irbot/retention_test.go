package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "forever": 0, "FOREVER": 0, "2555d": 2555 * 24 * time.Hour, "8760h": 8760 * time.Hour} {
		got, err := parseRetention(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"1h", "-5d", "xd", "soon", "0d", "1\x00d"} {
		_, err := parseRetention(bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), RetentionEnv)
	}
}
