package vocab

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/irbot/irbot/internal/docsync"
)

// emitted finds the kinds the code records: the kind argument of the
// workflows' recordEvent and event helpers, and Kind fields and variables
// set to a literal.
var emitted = []*regexp.Regexp{
	regexp.MustCompile(`recordEvent\(ctx, "([a-z_.]+)"`),
	regexp.MustCompile(`\.event\(ctx, .*?, "([a-z_]+\.[a-z_.]+)", `),
	regexp.MustCompile(`(?i)\bkind(?:, [\w.]+)? *:?= *"([a-z_]+\.[a-z_.]+)"`),
	regexp.MustCompile(`(?i)\bkind: +"([a-z_]+\.[a-z_.]+)"`),
	regexp.MustCompile(`\bKind\w+ += +"([a-z_]+\.[a-z_.]+)"`),
}

func sourceKinds(t *testing.T) map[string]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "/cmd/irbot/bench") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range emitted {
			for _, m := range re.FindAllSubmatch(b, -1) {
				rel, _ := filepath.Rel(root, path)
				found[string(m[1])] = rel
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Every kind the code records is listed with its meaning, and every listed
// kind is recorded somewhere.
func TestEveryRecordedEventKindIsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, k := range EventKinds {
		if listed[k.Kind] {
			t.Errorf("%s is listed twice", k.Kind)
		}
		listed[k.Kind] = true
		if strings.TrimSpace(k.Meaning) == "" {
			t.Errorf("%s has no meaning", k.Kind)
		}
	}
	found := sourceKinds(t)
	for kind, file := range found {
		if !listed[kind] {
			t.Errorf("%s (recorded in %s) is not in vocab.EventKinds: add it with a one-line meaning, then regenerate the README table", kind, file)
		}
	}
	for _, k := range EventKinds {
		if _, ok := found[k.Kind]; !ok {
			t.Errorf("%s is listed in vocab.EventKinds but nothing records it", k.Kind)
		}
	}
}

// MarkdownTable is the README's table of event kinds.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| kind | meaning | main data fields |\n|---|---|---|\n")
	for _, k := range EventKinds {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", k.Kind, k.Meaning, k.Fields)
	}
	return b.String()
}

// The README's table of timeline events is EventKinds
// (IRBOT_UPDATE_README=1 go test ./internal/vocab rewrites it).
func TestReadmeListsTheEventKinds(t *testing.T) {
	docsync.Check(t, filepath.Join("..", "..", "README.md"), "event-kinds", MarkdownTable(), "go test ./internal/vocab")
}
