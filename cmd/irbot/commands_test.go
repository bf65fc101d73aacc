package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCmd(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestVersion(t *testing.T) {
	out, _, code := runCmd("version")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "irbot "), out)
}

func TestPlaybookValidate(t *testing.T) {
	out, _, code := runCmd("playbook", "validate", "../../playbooks/data-breach.yaml")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "ok: ../../playbooks/data-breach.yaml")

	out, errOut, code := runCmd("playbook", "validate", "../../playbooks/testdata/playbooks/unknown-phase.yaml", "../../playbooks/testdata/playbooks/unknown-regime.yaml")
	require.Equal(t, 1, code)
	require.Regexp(t, `unknown-phase\.yaml:\d+:\d+: .*phase`, out, "each problem names file, line and column")
	require.Regexp(t, `unknown-regime\.yaml:\d+:\d+: .*regime`, out)
	require.Contains(t, errOut, "problem(s)")

	_, errOut, code = runCmd("playbook", "validate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "usage")
}

func TestClocksCommandIsWired(t *testing.T) {
	out, _, code := runCmd("clocks", "--regime", "eu-gdpr", "--at", "awareness=2026-03-02T09:00:00Z", "--format", "json")
	require.Equal(t, 0, code, out)
	var obs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &obs))
	require.NotEmpty(t, obs)
	found := false
	for _, o := range obs {
		if o["obligation"] == "supervisory-authority" {
			found = true
			require.Equal(t, "2026-03-05T09:00:00Z", o["due_at"])
		}
	}
	require.True(t, found)
	_, errOut, code := runCmd("clocks", "--regime", "mars-gdpr", "--at", "awareness=2026-03-02T09:00:00Z")
	require.Equal(t, 2, code)
	require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one clear line: %q", errOut)
}

func TestUnknownCommandAndServeArgs(t *testing.T) {
	_, errOut, code := runCmd("frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)
	_, errOut, code = runCmd("serve", "--port", "1")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "IRBOT_DATA_DIR")
}

func TestServeRefusesMalformedSettings(t *testing.T) {
	t.Setenv("IRBOT_HTTP_ADDR", "not-an-address")
	_, errOut, code := runCmd("serve")
	require.Equal(t, 2, code)
	require.Equal(t, "irbot: IRBOT_HTTP_ADDR must be host:port, got \"not-an-address\"\n", errOut)
}

func TestEveryAPIClientCommandIsReachable(t *testing.T) {
	t.Setenv("IRBOT_TOKEN", "")
	for _, c := range []string{"declare", "list", "show", "act", "timeline", "verify", "register", "notices", "notice", "campaign"} {
		_, errOut, code := runCmd(c)
		require.Equal(t, 2, code, c)
		require.Contains(t, errOut, "IRBOT_TOKEN is not set", "%s must reach the API client, not 'unknown command'", c)
	}
	out, _, code := runCmd("help", "api")
	require.Equal(t, 0, code)
	require.Contains(t, out, "irbot notice ID")
}
