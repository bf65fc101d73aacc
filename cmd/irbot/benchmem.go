package main

// irbot bench --only memory: where the memory of open incidents goes. It
// declares incidents through the API in steps (500, 1,000, 2,000 by default)
// on the same stack as the other rows and, once each step's clocks are all
// running, reads the process's memory from the kernel and from the Go
// runtime, then prints each figure per step and its slope per incident.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"modernc.org/libc"

	"github.com/irbot/irbot/workflows"
)

// memSample is one reading of the whole process's memory with Open
// incidents declared and idle. Bytes throughout.
type memSample struct {
	Open         int    `json:"open"`
	Clocks       int64  `json:"clocks_running"`
	VmRSS        int64  `json:"vm_rss"`   // /proc/self/status
	RssAnon      int64  `json:"rss_anon"` // anonymous pages: heaps, stacks, mmap'd allocators
	RssFile      int64  `json:"rss_file"` // file pages: the binary, mapped files
	HeapInuse    uint64 `json:"heap_inuse"`
	HeapIdle     uint64 `json:"heap_idle"`
	HeapReleased uint64 `json:"heap_released"`
	StackInuse   uint64 `json:"stack_inuse"`
	GCSys        uint64 `json:"gc_sys"`
	Sys          uint64 `json:"sys"`
	Goroutines   int    `json:"goroutines"`
	// NotGo is anonymous resident memory the Go runtime does not account
	// for (RssAnon − (Sys − HeapReleased)): in this process that is the
	// C-style allocator modernc.org/libc gives SQLite (mmap, outside the
	// Go heap). An estimate: Sys counts some reserved pages never touched.
	NotGo int64 `json:"not_go"`
	// LibcBytes is what SQLite holds from modernc.org/libc's allocator;
	// it reads 0 unless the binary was built with -tags memory.counters
	// (SQLite's own sqlite3_memory_used is compiled out: MEMSTATUS=0).
	LibcBytes int `json:"libc_bytes"`
	LibcMmaps int `json:"libc_mmaps"`
	// DeclareSeconds is how long this step's declares took.
	DeclareSeconds float64 `json:"declare_seconds"`
}

func readMemSample(open int) memSample {
	s := memSample{Open: open, Goroutines: runtime.NumGoroutine()}
	if raw, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "VmRSS":
				s.VmRSS = kb * 1024
			case "RssAnon":
				s.RssAnon = kb * 1024
			case "RssFile":
				s.RssFile = kb * 1024
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.HeapInuse, s.HeapIdle, s.HeapReleased = ms.HeapInuse, ms.HeapIdle, ms.HeapReleased
	s.StackInuse, s.GCSys, s.Sys = ms.StackInuse, ms.GCSys, ms.Sys
	s.NotGo = s.RssAnon - int64(ms.Sys-ms.HeapReleased) // #nosec G115 -- a process's memory fits in int64
	st := libc.MemStat()
	s.LibcBytes, s.LibcMmaps = st.Bytes, st.Mmaps
	return s
}

// parseSteps reads --open: ascending positive counts, comma-separated.
func parseSteps(v string) ([]int, error) {
	var steps []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || (len(steps) > 0 && n <= steps[len(steps)-1]) {
			return nil, fmt.Errorf("--open: want ascending positive counts such as 500,1000,2000, got %q", v)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

// runMemory declares up to each step's count of open incidents and reads
// the process's memory at each step; atEnd runs after the last reading,
// while every incident is still open (the heap profile).
func runMemory(ctx context.Context, o benchOpts, steps []int, logw io.Writer, atEnd func()) ([]memSample, error) {
	e, stop, err := startBenchEnv(ctx, o, logw)
	if err != nil {
		return nil, err
	}
	defer stop()
	runtime.GC()
	samples := []memSample{readMemSample(0)}
	declared := 0
	for _, n := range steps {
		e.logf("declaring incidents %d to %d", declared+1, n)
		t0 := time.Now()
		from := declared
		// 4 clients: on a loaded machine 8 pushed declares past the
		// service's 20 s Temporal timeout (503, "may still be applied").
		_, failed, err := runN(n-from, 4, func(i int) error {
			_, _, err := e.declare("Bench memory " + strconv.Itoa(from+i))
			return err
		})
		if failed > 0 {
			e.logf("%d of %d declares answered an error (first: %v); counting the incidents Temporal runs instead", failed, n-from, err)
		}
		took := time.Since(t0)
		declared = n
		running, err := e.waitClocks(ctx, 5*time.Minute)
		if err != nil {
			e.logf("%v; reading anyway", err)
		}
		open, err := e.countRunning(ctx, workflows.IncidentWorkflowName)
		if err != nil {
			return samples, err
		}
		runtime.GC()
		s := readMemSample(int(open))
		s.Clocks, s.DeclareSeconds = running, took.Seconds()
		samples = append(samples, s)
		// Each reading as it is taken, so a run stopped early still says
		// what it saw.
		e.logf("%d open, %d clocks, %d goroutines, declares %.0f s: MiB VmRSS %.1f RssAnon %.1f RssFile %.1f HeapInuse %.1f HeapIdle %.1f HeapReleased %.1f StackInuse %.1f GCSys %.1f Sys %.1f NotGo %.1f libc %.1f",
			open, running, s.Goroutines, s.DeclareSeconds, mibOf(s.VmRSS), mibOf(s.RssAnon), mibOf(s.RssFile), mibOf(s.HeapInuse), mibOf(s.HeapIdle),
			mibOf(s.HeapReleased), mibOf(s.StackInuse), mibOf(s.GCSys), mibOf(s.Sys), mibOf(s.NotGo), mibOf(s.LibcBytes))
	}
	atEnd()
	return samples, nil
}

func mibOf[T int | int64 | uint64](v T) float64 { return float64(v) / (1 << 20) }

// countRunning is how many workflows of that type are running.
func (e *benchEnv) countRunning(ctx context.Context, workflowType string) (int64, error) {
	resp, err := e.m.client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflowType),
	})
	return resp.GetCount(), err
}

// waitClocks waits until the number of running clock workflows stops
// changing (three readings 2 s apart), or says how many were running at
// the limit. Not every obligation runs a clock (one waiting for its trigger
// fact has none), so the count per incident is read, not assumed.
func (e *benchEnv) waitClocks(ctx context.Context, limit time.Duration) (int64, error) {
	deadline := time.Now().Add(limit)
	var last int64 = -1
	same := 0
	for {
		n, err := e.countRunning(ctx, workflows.ClockWorkflowName)
		if err == nil && n == last {
			if same++; same == 2 {
				return n, nil
			}
		} else {
			same = 0
		}
		last = n
		if time.Now().After(deadline) {
			return n, fmt.Errorf("clocks still starting after %s: %d running (last error: %v)", limit, n, err)
		}
		time.Sleep(2 * time.Second)
	}
}

// printMemory prints one line per step and the slope per incident between
// the first and the last step.
func printMemory(w io.Writer, samples []memSample) {
	mib := func(v float64) string { return strconv.FormatFloat(v/(1<<20), 'f', 1, 64) }
	cols := []struct {
		name string
		get  func(memSample) float64
	}{
		{"VmRSS", func(s memSample) float64 { return float64(s.VmRSS) }},
		{"RssAnon", func(s memSample) float64 { return float64(s.RssAnon) }},
		{"RssFile", func(s memSample) float64 { return float64(s.RssFile) }},
		{"HeapInuse", func(s memSample) float64 { return float64(s.HeapInuse) }},
		{"HeapIdle", func(s memSample) float64 { return float64(s.HeapIdle) }},
		{"HeapRel", func(s memSample) float64 { return float64(s.HeapReleased) }},
		{"StackInuse", func(s memSample) float64 { return float64(s.StackInuse) }},
		{"GCSys", func(s memSample) float64 { return float64(s.GCSys) }},
		{"Sys", func(s memSample) float64 { return float64(s.Sys) }},
		{"NotGo", func(s memSample) float64 { return float64(s.NotGo) }},
		{"libc", func(s memSample) float64 { return float64(s.LibcBytes) }},
	}
	fmt.Fprintf(w, "irbot bench --only memory (MiB; slope in KiB per open incident)\n\n%-8s %7s %10s %8s", "open", "clocks", "goroutines", "declare")
	for _, c := range cols {
		fmt.Fprintf(w, " %10s", c.name)
	}
	fmt.Fprintln(w)
	for _, s := range samples {
		fmt.Fprintf(w, "%-8d %7d %10d %7.0fs", s.Open, s.Clocks, s.Goroutines, s.DeclareSeconds)
		for _, c := range cols {
			fmt.Fprintf(w, " %10s", mib(c.get(s)))
		}
		fmt.Fprintln(w)
	}
	if len(samples) < 3 {
		return
	}
	a, b := samples[1], samples[len(samples)-1]
	dn := float64(b.Open - a.Open)
	fmt.Fprintf(w, "%-8s %7.1f %10.1f %8s", fmt.Sprintf("slope %d→%d", a.Open, b.Open), float64(b.Clocks-a.Clocks)/dn, float64(b.Goroutines-a.Goroutines)/dn, "")
	for _, c := range cols {
		fmt.Fprintf(w, " %10.1f", (c.get(b)-c.get(a))/1024/dn)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\nNotGo: RssAnon − (Sys − HeapReleased), resident memory outside the Go runtime (SQLite's allocator); libc: modernc.org/libc's allocated bytes, 0 unless built with -tags memory.counters")
}

func writeMemoryJSON(path string, samples []memSample) error {
	raw, err := json.MarshalIndent(map[string]any{"version": version, "cpus": runtime.NumCPU(), "samples": samples}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o600)
}
