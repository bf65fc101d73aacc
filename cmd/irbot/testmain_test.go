package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

// asIrbotEnv, in the environment of this test binary, makes it irbot itself:
// its value is the command line ("serve"). Tests that must kill a worker
// for real (SIGKILL, see resume_test.go) start the binary again that way,
// so the process they kill runs exactly what `irbot serve` runs.
const asIrbotEnv = "IRBOT_TEST_RUN_AS_IRBOT"

// TestMain runs this package's long end-to-end tests side by side. Each
// starts irbot on its own embedded Temporal server, data directory and
// ports, and the slow ones spend most of their time waiting on real timers
// (a cadence minute, retry back-off, a 30-second outage), not on the CPU;
// one after another they would pass go test's default 10-minute limit for
// a package. Those tests call t.Parallel; -parallel defaults to GOMAXPROCS
// (2 on the CI machine), which would still run them mostly in sequence, so
// unless -parallel is given this package allows 4 at once.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(asIrbotEnv); ok {
		os.Exit(run(strings.Fields(args), os.Stdout, os.Stderr))
	}
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", "4")
	}
	os.Exit(m.Run())
}
