package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// PrivateDir creates dir 0700, or tightens it to 0700 if it exists: the data
// directory holds incident data and nobody else may list or read it.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// #nosec G302 -- a directory: 0700 is owner only (G302 expects a file's 0600)
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("restrict data directory: %w", err)
	}
	return nil
}

// PrivateFile readies path for a new or existing SQLite database that holds
// incident data: its directory 0700, the file created 0600 (or tightened to
// 0600) before the driver opens it. SQLite gives its -wal and -shm files the
// main file's mode.
func PrivateFile(path string) error {
	if err := PrivateDir(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600) // #nosec G304 -- the operator's own data directory
	if err != nil {
		return fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return RestrictFiles(path)
}

// RestrictFiles tightens a database file and its SQLite companions to 0600,
// for databases another component creates (the embedded Temporal server).
func RestrictFiles(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("restrict %s: %w", filepath.Base(p), err)
		}
	}
	return nil
}
