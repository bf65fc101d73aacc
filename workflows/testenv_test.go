package workflows_test

import (
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
)

// newEnv is the test environment every workflow test uses. Its wall-clock
// limits are the SDK's defaults stretched for a shared, loaded CI machine:
// the whole test may take 2 minutes of real time (default 3 s) and one
// workflow task 30 s before it counts as a deadlock (default 1 s). Both
// defaults failed tests at load averages of 30 to 50 on 2 cores, with
// nothing wrong in the workflow: a real SQLite write with fsync can take
// more than 3 s of wall time on a starved machine, and a workflow task that
// needs milliseconds of CPU (profiled) more than 1 s. Time inside the
// workflow is the test environment's skipped clock either way, so no
// assertion depends on them, and a coroutine that never yields is still
// caught.
func newEnv(s *testsuite.WorkflowTestSuite) *testsuite.TestWorkflowEnvironment {
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(2 * time.Minute)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	return env
}
