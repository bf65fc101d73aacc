package mail

import (
	"net/smtp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlainAuthDecision(t *testing.T) {
	for _, tc := range []struct {
		host      string
		encrypted bool
		allowed   bool
	}{
		{"smtp.example.com", true, true},
		{"smtp.example.com", false, false},
		{"203.0.113.7", false, false},
		{"127.0.0.1", false, true},
		{"127.8.9.10", false, true},
		{"::1", false, true},
		{"localhost", false, true},
		{"LocalHost", false, true},
		{"localhost.evil.example", false, false},
	} {
		err := plainAuthAllowed(tc.host, tc.encrypted)
		if tc.allowed {
			require.NoError(t, err, "%s encrypted=%v", tc.host, tc.encrypted)
			continue
		}
		require.Error(t, err, "%s encrypted=%v", tc.host, tc.encrypted)
		require.Contains(t, err.Error(), "unencrypted", "the error says why")
		require.Contains(t, err.Error(), tc.host)
	}
}

func TestPlainAuthRechecksAtSendTime(t *testing.T) {
	a := &plainAuth{user: "u", pass: "secret-pass", host: "smtp.example.com"}
	_, resp, err := a.Start(&smtp.ServerInfo{Name: "smtp.example.com", TLS: false, Auth: []string{"PLAIN"}})
	require.Error(t, err)
	require.Nil(t, resp, "no credentials leave over plaintext")
	require.NotContains(t, err.Error(), "secret-pass")

	mech, resp, err := a.Start(&smtp.ServerInfo{Name: "smtp.example.com", TLS: true, Auth: []string{"PLAIN"}})
	require.NoError(t, err)
	require.Equal(t, "PLAIN", mech)
	require.Equal(t, "\x00u\x00secret-pass", string(resp))
}

func TestDefaultTLSModeNeverPlaintext(t *testing.T) {
	require.Equal(t, TLSImplicit, Config{Addr: "smtp.example.com:465"}.withDefaults().TLS)
	require.Equal(t, TLSStartTLS, Config{Addr: "smtp.example.com:587"}.withDefaults().TLS)
	require.Equal(t, TLSStartTLS, Config{Addr: "smtp.example.com:25"}.withDefaults().TLS)
}
