// Package auth maps the people irbot knows (the users file and the bootstrap
// admin token) to identities and roles. Tokens are compared by SHA-256 digest
// in constant time and never stored in plain text.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/irbot/irbot/workflows"
)

// Roles irbot knows, as in CONTRACT.md.
var Roles = []string{"responder", "commander", "dpo", "legal", "manager", "compliance", "admin"}

// User is one person from the users file.
type User struct {
	Name        string   `yaml:"name"`
	Email       string   `yaml:"email"`
	SlackID     string   `yaml:"slack_id"`
	Roles       []string `yaml:"roles"`
	TokenSHA256 string   `yaml:"token_sha256"`
}

// ID is the user's stable identity: Slack ID when known, else email, else name.
func (u User) ID() string {
	switch {
	case u.SlackID != "":
		return u.SlackID
	case u.Email != "":
		return u.Email
	}
	return u.Name
}

// Actor is the identity passed down with every action.
func (u User) Actor() workflows.Actor {
	return workflows.Actor{ID: u.ID(), Name: u.Name, Roles: slices.Clone(u.Roles)}
}

// Directory resolves tokens and Slack IDs to users.
type Directory struct {
	users      []User
	adminToken [32]byte
	hasAdmin   bool
}

// NewDirectory builds a directory from users and an optional bootstrap admin
// token (IRBOT_ADMIN_TOKEN).
func NewDirectory(users []User, adminToken string) (*Directory, error) {
	d := &Directory{users: users}
	if adminToken != "" {
		if len(adminToken) < 16 {
			return nil, fmt.Errorf("IRBOT_ADMIN_TOKEN must be at least 16 characters")
		}
		d.adminToken = sha256.Sum256([]byte(adminToken))
		d.hasAdmin = true
	}
	return d, nil
}

// LoadUsersFile reads and validates an IRBOT_USERS_FILE.
func LoadUsersFile(path string) ([]User, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the operator's IRBOT_USERS_FILE
	if err != nil {
		return nil, fmt.Errorf("IRBOT_USERS_FILE: %w", err)
	}
	return ParseUsers(path, b)
}

// ParseUsers parses a users file and reports every problem by its position.
func ParseUsers(name string, b []byte) ([]User, error) {
	var doc struct {
		Users []User `yaml:"users"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var problems []string
	seenID := map[string]bool{}
	seenToken := map[string]bool{}
	for i, u := range doc.Users {
		where := fmt.Sprintf("%s: users[%d]", name, i)
		if u.Name == "" && u.Email == "" && u.SlackID == "" {
			problems = append(problems, where+": needs a name, email or slack_id")
			continue
		}
		where += " (" + u.ID() + ")"
		if seenID[u.ID()] {
			problems = append(problems, where+": appears twice")
		}
		seenID[u.ID()] = true
		if len(u.Roles) == 0 {
			problems = append(problems, where+": has no roles; give at least one of "+strings.Join(Roles, ", "))
		}
		for _, r := range u.Roles {
			if !slices.Contains(Roles, r) {
				problems = append(problems, fmt.Sprintf("%s: unknown role %q; roles are %s", where, r, strings.Join(Roles, ", ")))
			}
		}
		if u.TokenSHA256 != "" {
			if raw, err := hex.DecodeString(u.TokenSHA256); err != nil || len(raw) != sha256.Size {
				problems = append(problems, where+": token_sha256 must be 64 hex characters (printf %s \"$TOKEN\" | sha256sum)")
			} else if seenToken[strings.ToLower(u.TokenSHA256)] {
				problems = append(problems, where+": shares its token with another user")
			}
			seenToken[strings.ToLower(u.TokenSHA256)] = true
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return doc.Users, nil
}

// HashToken returns the hex SHA-256 of a token, the form the users file keeps.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ByToken returns the user a bearer token belongs to.
func (d *Directory) ByToken(token string) (User, bool) {
	if token == "" {
		return User{}, false
	}
	sum := sha256.Sum256([]byte(token))
	if d.hasAdmin && subtle.ConstantTimeCompare(sum[:], d.adminToken[:]) == 1 {
		return User{Name: "admin", Email: "", SlackID: "", Roles: []string{"admin"}}, true
	}
	var found User
	ok := false
	for _, u := range d.users {
		want, err := hex.DecodeString(u.TokenSHA256)
		if err != nil || len(want) != sha256.Size {
			continue
		}
		if subtle.ConstantTimeCompare(sum[:], want) == 1 {
			found, ok = u, true
		}
	}
	return found, ok
}

// BySlackID returns the user with that Slack ID.
func (d *Directory) BySlackID(id string) (User, bool) {
	for _, u := range d.users {
		if u.SlackID != "" && u.SlackID == id {
			return u, true
		}
	}
	return User{}, false
}

// ByID returns the user with that identity (Slack ID, email or name).
func (d *Directory) ByID(id string) (User, bool) {
	for _, u := range d.users {
		if u.ID() == id || (u.Email != "" && strings.EqualFold(u.Email, id)) {
			return u, true
		}
	}
	return User{}, false
}

// Users returns every user from the users file.
func (d *Directory) Users() []User { return slices.Clone(d.users) }

// WithRole returns the users holding role.
func (d *Directory) WithRole(role string) []User {
	var out []User
	for _, u := range d.users {
		if slices.Contains(u.Roles, role) {
			out = append(out, u)
		}
	}
	return out
}

// EmailsWithRole returns the email addresses of the users holding role.
func (d *Directory) EmailsWithRole(role string) []string {
	var out []string
	for _, u := range d.WithRole(role) {
		if u.Email != "" {
			out = append(out, u.Email)
		}
	}
	return out
}
