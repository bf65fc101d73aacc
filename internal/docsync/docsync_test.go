package docsync

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that keeps failures instead of stopping.
type recorder struct {
	testing.TB
	errors, fatals int
}

func (r *recorder) Helper()                      {}
func (r *recorder) Errorf(string, ...any)        { r.errors++ }
func (r *recorder) Fatalf(string, ...any)        { r.fatals++ }
func (r *recorder) Fatal(...any)                 { r.fatals++ }
func (r *recorder) Fatalln(...any)               { r.fatals++ }
func (r *recorder) Logf(format string, a ...any) {}

func TestCheckComparesAndRewritesOnlyTheSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	doc := "# T\n\nbefore ü\n<!-- x:begin -->\nold\n<!-- x:end -->\nafter \x00 漏洩\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, path, "x", "old\n", "go test ./x")
	if r.errors+r.fatals != 0 {
		t.Fatalf("an up-to-date section passes, got %d errors", r.errors+r.fatals)
	}
	Check(r, path, "x", "new\n", "go test ./x")
	if r.errors != 1 {
		t.Fatalf("a stale section is one error, got %d", r.errors)
	}
	Check(r, path, "missing", "", "go test ./x")
	if r.fatals != 1 {
		t.Fatalf("a missing section is fatal, got %d", r.fatals)
	}
	t.Setenv(UpdateVar, "1")
	r = &recorder{TB: t}
	Check(r, path, "x", "new\n| a | b |\n", "go test ./x")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# T\n\nbefore ü\n<!-- x:begin -->\nnew\n| a | b |\n<!-- x:end -->\nafter \x00 漏洩\n"; string(b) != want || r.errors+r.fatals != 0 {
		t.Fatalf("the update rewrites the section alone:\n%q\nwant\n%q", b, want)
	}
}
