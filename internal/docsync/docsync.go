// Package docsync keeps the generated sections of the README (the event
// kinds, the role table, the slash commands, the incident actions) equal to
// the code they come from. A section sits between "<!-- NAME:begin -->" and
// "<!-- NAME:end -->" lines; tests compare it with what the code says, and
// IRBOT_UPDATE_README=1 makes the same tests rewrite it.
package docsync

import (
	"os"
	"strings"
	"testing"
)

// UpdateVar is the environment variable that makes Check rewrite a stale
// section instead of failing.
const UpdateVar = "IRBOT_UPDATE_README"

// Check fails t when the section name of the Markdown file at path is not
// want, naming the command (rerun) that rewrites it; with IRBOT_UPDATE_README=1
// it rewrites the section instead.
func Check(t testing.TB, path, name, want, rerun string) {
	t.Helper()
	b, err := os.ReadFile(path) // #nosec G304 -- a repository file named by the test's code
	if err != nil {
		t.Fatal(err)
		return
	}
	s := string(b)
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", path, strings.TrimSpace(begin), end)
		return
	}
	got := s[i+len(begin) : j]
	if got == want {
		return
	}
	if os.Getenv(UpdateVar) == "1" {
		// #nosec G306 G703 -- a test rewriting a file of this repository
		// (path from the test's code) that stays world-readable like the others
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's %s section is out of date: run %s=1 %s\n--- want\n%s--- got\n%s", path, name, UpdateVar, rerun, want, got)
}
