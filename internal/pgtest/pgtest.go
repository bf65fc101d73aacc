// Package pgtest runs a private, throwaway PostgreSQL cluster for a test:
// initdb and pg_ctl from the machine's PostgreSQL binaries, in a temporary
// directory, on a free loopback port. A test can stop it and start it again
// (an outage) without touching the shared PostgreSQL that CI runs on.
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Server is one private PostgreSQL cluster.
type Server struct {
	t       testing.TB
	data    string
	port    int
	bin     string
	asOther []string // runuser prefix when running as root
	running bool
}

// Bin is the directory holding initdb and pg_ctl, or "" when PostgreSQL is
// not installed.
func Bin() string {
	if matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1])
	}
	// Elsewhere, initdb on PATH; a symlink (/usr/local/bin/initdb) points
	// at the directory that also holds pg_ctl and createdb.
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real)
		}
		return filepath.Dir(p)
	}
	return ""
}

// Start creates and starts a cluster with a database named db, and stops it
// when the test ends. Without PostgreSQL's binaries the test is skipped
// with a message saying what to install.
func Start(t testing.TB, db string) *Server {
	t.Helper()
	bin := Bin()
	if bin == "" {
		t.Skip("PostgreSQL binaries (initdb, pg_ctl) are not installed: install Debian's postgresql package (.ci/run does) to run this test")
	}
	base, err := os.MkdirTemp("", "irbot-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	// The postgres user (below, as root) must reach the directory.
	// #nosec G302 -- a test's temporary directory for a throwaway database
	// with no real data; the server runs as another user that creates files in it
	if err := os.Chmod(base, 0o777); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, data: filepath.Join(base, "data"), port: freePort(t), bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run the cluster as postgres.
		if _, err := user.Lookup("postgres"); err != nil {
			t.Skip("running as root needs the postgres user (Debian's postgresql package creates it)")
		}
		s.asOther = []string{"runuser", "-u", "postgres", "--"}
	}
	s.run("initdb", "-D", s.data, "-U", "postgres", "-A", "trust", "-E", "UTF8")
	s.Start()
	t.Cleanup(func() {
		if s.running {
			_ = s.exec("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop")
		}
	})
	s.run("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "postgres", db)
	return s
}

// URL is a connection URL for database db.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port is the port the cluster listens on (the same across restarts).
func (s *Server) Port() int { return s.port }

// Start starts the cluster (again) and waits until it takes connections.
func (s *Server) Start() {
	s.t.Helper()
	s.run("pg_ctl", "-D", s.data, "-l", s.data+".log", "-w", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", s.port, filepath.Dir(s.data)), "start")
	s.running = true
}

// Stop stops the cluster the way an operator's fast shutdown does: open
// connections are cut.
func (s *Server) Stop() {
	s.t.Helper()
	s.run("pg_ctl", "-D", s.data, "-m", "fast", "-w", "stop")
	s.running = false
}

func (s *Server) run(name string, args ...string) {
	s.t.Helper()
	if err := s.exec(name, args...); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) exec(name string, args ...string) error {
	argv := append(append(append([]string{}, s.asOther...), filepath.Join(s.bin, name)), args...)
	// #nosec G204 -- PostgreSQL's own programs from the found bin directory,
	// arguments from this package (no shell); test-only
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
	}
	return nil
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}
