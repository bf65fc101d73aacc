package workflows_test

import (
	"os"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestMain gives the SDK a fixed binary checksum. Without one, the test
// environment computes it (an MD5 of this whole ~50 MB test binary) the
// first time a workflow starts an activity, inside the workflow's root
// coroutine: under CPU or disk load that took more than the deadlock
// detector's 1 s of wall time, so whichever test ran first in the process
// failed with "Potential deadlock detected" (TestHonestTimes with -run,
// others in a whole-package run), seen by the test only as missing results.
func TestMain(m *testing.M) {
	worker.SetBinaryChecksum("irbot-workflows-test")
	os.Exit(m.Run())
}
