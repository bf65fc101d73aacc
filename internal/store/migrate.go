package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migrations live in migrations/<dialect>/NNNN_name.sql. Each version is
// applied once, in order, and recorded in schema_migrations; a released file
// is never edited, a change is a new file in both dialects.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(d dialect) ([]migration, error) {
	dir := path.Join("migrations", d.String())
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_name.sql", dir, name)
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("two migrations with version %d in %s", out[i].version, dir)
		}
	}
	return out, nil
}

// migrationLockKey is the PostgreSQL advisory lock that keeps two processes
// from migrating the same database at once ("irbotmig" as an int64).
const migrationLockKey int64 = 0x697262_6f746d6967

// migrate brings the schema up to date in one transaction: either every
// pending migration is applied or none is.
func (s *sqlStore) migrate(ctx context.Context) error {
	migs, err := loadMigrations(s.d)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE on SQLite: one migrator at a time
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	timeType := "TEXT"
	if s.d == dialectPostgres {
		// Held until commit; a second process waits here and then finds
		// the migrations applied.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("migrate: take advisory lock: %w", err)
		}
		timeType = "TIMESTAMPTZ"
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at `+timeType+` NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	maxApplied := 0
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("migrate: read schema_migrations: %w", errors.Join(err, rows.Close()))
		}
		applied[v] = true
		maxApplied = max(maxApplied, v)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	if len(migs) > 0 && maxApplied > migs[len(migs)-1].version {
		return fmt.Errorf("the database schema is at version %d, newer than this irbot knows (%d): run a newer irbot", maxApplied, migs[len(migs)-1].version)
	}
	for _, m := range migs {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`), m.version, m.name, s.timeArg(time.Now())); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
