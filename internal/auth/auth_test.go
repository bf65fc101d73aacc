package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUsersFileMapsTokensAndSlackIDsToRoles(t *testing.T) {
	file := []byte(`users:
  - name: Dana
    email: dana@example.com
    slack_id: U0000000001
    roles: [dpo, legal]
    token_sha256: ` + HashToken("test-token-dana") + `
  - name: Rae
    email: rae@example.com
    roles: [responder]
`)
	users, err := ParseUsers("users.yaml", file)
	require.NoError(t, err)
	d, err := NewDirectory(users, "test-admin-token-123")
	require.NoError(t, err)

	u, ok := d.ByToken("test-token-dana")
	require.True(t, ok)
	require.Equal(t, "U0000000001", u.ID())
	require.Equal(t, []string{"dpo", "legal"}, u.Actor().Roles)

	_, ok = d.ByToken("test-token-danA")
	require.False(t, ok, "a token differing in one byte is unknown")
	_, ok = d.ByToken("")
	require.False(t, ok)

	admin, ok := d.ByToken("test-admin-token-123")
	require.True(t, ok)
	require.Equal(t, []string{"admin"}, admin.Roles)

	r, ok := d.BySlackID("U0000000001")
	require.True(t, ok)
	require.Equal(t, "Dana", r.Name)
	r, ok = d.ByID("RAE@example.com")
	require.True(t, ok, "emails match case-insensitively")
	require.Equal(t, "rae@example.com", r.ID())
	require.Len(t, d.WithRole("dpo"), 1)
}

func TestUsersFileProblemsAreNamed(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown role": {"users:\n  - name: A\n    roles: [wizard]\n", `unknown role "wizard"`},
		"no roles":     {"users:\n  - name: A\n", "has no roles"},
		"bad hash":     {"users:\n  - name: A\n    roles: [dpo]\n    token_sha256: abc\n", "64 hex characters"},
		"typo key":     {"users:\n  - name: A\n    role: [dpo]\n", "field role not found"},
		"duplicate":    {"users:\n  - name: A\n    roles: [dpo]\n  - name: A\n    roles: [dpo]\n", "appears twice"},
		"no identity":  {"users:\n  - roles: [dpo]\n", "needs a name, email or slack_id"},
		"shared token": {"users:\n  - name: A\n    roles: [dpo]\n    token_sha256: " + HashToken("x") + "\n  - name: B\n    roles: [dpo]\n    token_sha256: " + HashToken("x") + "\n", "shares its token"},
		"not yaml":     {"users: [", "users.yaml"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseUsers("users.yaml", []byte(tc.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestShortAdminTokenRefused(t *testing.T) {
	_, err := NewDirectory(nil, "short")
	require.ErrorContains(t, err, "IRBOT_ADMIN_TOKEN")
}
