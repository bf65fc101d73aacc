package embedtemporal

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestTheServersDatabaseIsInWALMode starts the embedded server and reads
// its database's journal mode: the settings must reach SQLite as pragmas
// (they once did not, and every commit synced a rollback journal).
func TestTheServersDatabaseIsInWALMode(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.db")
	srv, err := Start(t.Context(), Config{DatabaseFile: file, FrontendPort: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Stop() }()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var mode string
	if err := db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Fatalf("journal_mode is %q, want wal", mode)
	}
}
