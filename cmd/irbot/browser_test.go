package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/evidence"
)

func ptrTo[T any](v T) *T { return &v }

// axe-core (MPL-2.0, licence header kept in the file; testdata/axe/LICENSE).
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// chromiumPath finds Debian's chromium. Without one the browser test skips
// on a developer machine and fails in CI (.ci/run installs it).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium binary found: CI must run the browser tests (.ci/run installs Debian's chromium)")
	}
	t.Skip("no chromium binary found (apt-get install chromium); skipping the browser test")
	return ""
}

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("IRBOT_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestConsoleInBrowser drives the console in headless Chromium as a
// newcomer would: open the link serve printed, sign in, declare, watch a
// clock count down, run Verify, download the evidence pack (verified
// offline), use the incident page on a phone and by keyboard, open the
// registers, start a drill and read its report; axe-core checks each main
// page.
func TestConsoleInBrowser(t *testing.T) {
	bin := chromiumPath(t)
	arts := artifactsDir(t)
	env := map[string]string{"IRBOT_DATA_DIR": t.TempDir(), "IRBOT_HTTP_ADDR": "127.0.0.1:0", "IRBOT_TEMPORAL_PORT": "0", "IRBOT_LOG_LEVEL": "warn"}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	var out bytes.Buffer
	m := &Main{Config: cfg, Out: &out, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	require.NoError(t, m.Run(t.Context()))
	t.Cleanup(func() { _ = m.Close() })
	link := regexp.MustCompile(`(?m)^  console      (http://\S+)$`).FindStringSubmatch(out.String())
	require.NotNil(t, link, out.String())

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()

	do := func(steps ...chromedp.Action[chromedp.Void]) error { return chromedp.Do(ctx, steps...) }
	text := func(sel string) (string, error) { return chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))) }
	shot := func(t *testing.T, name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(arts, "console-"+name+".jpg"), b, 0o644))
	}
	// axe fails the test on a serious or critical violation and returns
	// every violation's rule ID.
	axe := func(t *testing.T, name string) []string {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";\ntrue"))
		require.NoError(t, err)
		res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length}))))`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		var vs []struct {
			ID, Impact, Help string
			Nodes            int
		}
		require.NoError(t, json.Unmarshal([]byte(res), &vs))
		var ids []string
		for _, v := range vs {
			t.Logf("axe on %s: %s (%s): %s, %d node(s)", name, v.ID, v.Impact, v.Help, v.Nodes)
			require.NotContains(t, []string{"serious", "critical"}, v.Impact, "axe-core: %s on the %s page: %s", v.ID, name, v.Help)
			ids = append(ids, v.ID)
		}
		return ids
	}
	bypassCSP := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// Lets the test inject axe-core; the console itself stays CSP-strict.
		_, err := cdp.Call(ctx, tg, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	})

	// download clicks the link sel and returns the file the browser saved.
	download := func(t *testing.T, sel string) []byte {
		t.Helper()
		dir := t.TempDir()
		dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		progress := chromedp.Events(dctx, browser.DownloadProgress)
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptrTo(true),
		})
		require.NoError(t, err)
		require.NoError(t, do(chromedp.Click(chromedp.CSS(sel))))
		for ev, err := range progress {
			require.NoError(t, err, "waiting for the download of %s", sel)
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatalf("the browser canceled the download of %s", sel)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
				require.NoError(t, err)
				return b
			}
		}
		t.Fatalf("no download of %s", sel)
		return nil
	}

	var incidentID string
	t.Run("sign in with the printed link", func(t *testing.T) {
		require.NoError(t, do(bypassCSP, chromedp.Navigate(link[1]), chromedp.WaitVisible(chromedp.ID("sign-in"))))
		shot(t, "link")
		require.NoError(t, do(chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("empty-h"))))
		body, err := text("main")
		require.NoError(t, err)
		require.Contains(t, body, "Nothing here yet")
		shot(t, "empty")
		axe(t, "empty incidents")
	})
	t.Run("declare and see a clock count down", func(t *testing.T) {
		require.NoError(t, do(
			chromedp.SendKeys(chromedp.ID("d-title"), "Customer database exposed"),
			chromedp.Click(chromedp.CSS(`input[name=regime][value="eu-gdpr"]`)),
			chromedp.Submit(chromedp.ID("d-title")),
			chromedp.WaitVisible(chromedp.CSS("time.countdown")),
		))
		title, err := text("h1")
		require.NoError(t, err)
		id, _, _ := strings.Cut(title, ":")
		require.Regexp(t, `^INC-\d{4}-\d{4}$`, id)
		incidentID = id
		var first string
		require.Eventually(t, func() bool {
			first, err = text("time.countdown")
			return err == nil && strings.Contains(first, "due in ")
		}, 10*time.Second, 100*time.Millisecond, "console.js must turn the due time into a countdown")
		require.Eventually(t, func() bool {
			second, err := text("time.countdown")
			return err == nil && second != first && strings.Contains(second, "due in ")
		}, 10*time.Second, 200*time.Millisecond, "the countdown must tick in the browser")
		shot(t, "incident")
		axe(t, "incident")
	})
	t.Run("verify", func(t *testing.T) {
		var res string
		require.Eventually(t, func() bool {
			err := do(chromedp.Click(chromedp.CSS(`a[href$="/verify#verify"]`)), chromedp.WaitVisible(chromedp.ID("verify-h")))
			if err != nil {
				return false
			}
			res, err = text("#verify")
			return err == nil && strings.Contains(res, "hash chain intact")
		}, 30*time.Second, 500*time.Millisecond, "Verify must show the chain result")
		require.Contains(t, res, "Chain head")
		shot(t, "verify")
	})
	t.Run("download the evidence pack", func(t *testing.T) {
		pack := download(t, `a[href$="/evidence"]`)
		res := evidence.Verify(pack)
		require.True(t, res.OK, "the downloaded evidence pack must verify offline: %v", res.Problems)
		require.Equal(t, incidentID, res.IncidentID)
		require.Positive(t, res.Events)
		require.NoError(t, os.WriteFile(filepath.Join(arts, "console-evidence.zip"), pack, 0o644))
	})
	t.Run("on a phone and by keyboard", func(t *testing.T) {
		require.NoError(t, do(chromedp.EmulateViewport(390, 844), chromedp.Navigate("http://"+m.Addr()+"/incidents/"+incidentID), chromedp.WaitVisible(chromedp.CSS("time.countdown"))))
		defer func() { _ = do(chromedp.EmulateViewport(1280, 900)) }()
		fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth + 1`))
		require.NoError(t, err)
		shot(t, "phone")
		axe(t, "incident on a phone")
		require.True(t, fits, "the incident page must not scroll sideways on a 390-pixel phone (wide tables scroll in their own box)")
		require.NoError(t, do(chromedp.KeyEvent("\t")))
		focus, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(e => e.textContent.trim() + "|" + getComputedStyle(e).outlineStyle)(document.activeElement)`))
		require.NoError(t, err)
		require.Equal(t, "Skip to content|solid", focus, "the first Tab reaches the skip link, with a visible focus outline")
	})
	t.Run("registers", func(t *testing.T) {
		require.NoError(t, do(chromedp.Navigate("http://"+m.Addr()+"/register"), chromedp.WaitVisible(chromedp.ID("r-from"))))
		shot(t, "register")
		axe(t, "register")
		require.NoError(t, do(chromedp.Navigate("http://"+m.Addr()+"/breach-register"), chromedp.WaitVisible(chromedp.ID("b-from"))))
		body, err := text("main")
		require.NoError(t, err)
		require.Contains(t, body, incidentID, "the live incident has its row in the breach register")
		shot(t, "breach-register")
		axe(t, "breach register")
	})
	t.Run("the record: sign a checkpoint, download it, filter tombstones", func(t *testing.T) {
		require.NoError(t, do(chromedp.Navigate("http://"+m.Addr()+"/record"), chromedp.WaitVisible(chromedp.ID("sign-checkpoint"))))
		require.NoError(t, do(chromedp.Click(chromedp.CSS(`#sign-checkpoint button`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`))))
		flash, err := text("p.flash")
		require.NoError(t, err)
		require.Regexp(t, `^Signed checkpoint \d+ of [1-9]\d* chain heads`, flash, "the live incident's chain head is in the new checkpoint")
		shot(t, "record")
		require.Empty(t, axe(t, "record"), "the Record page has no axe-core violation at all")

		held := download(t, `a[href$="?format=text"]`)
		cp, err := checkpoint.ParseHeld(held)
		require.NoError(t, err, "the downloaded file is what irbot verify --checkpoint reads")
		latest, err := m.store.LatestCheckpoint(t.Context())
		require.NoError(t, err)
		require.Equal(t, latest.ID, cp.ID, "the first download is the newest checkpoint")
		require.Equal(t, checkpoint.Summary(latest), string(held), "byte for byte the digest's text")

		require.NoError(t, do(chromedp.Navigate("http://"+m.Addr()+"/record?from=yesterday"), chromedp.WaitVisible(chromedp.ID("t-err"))))
		msg, err := text("#t-err")
		require.NoError(t, err)
		require.Contains(t, msg, `from "yesterday" is not a date`)
		shot(t, "record-bad-filter")
		require.Empty(t, axe(t, "record with a bad filter"), "the error beside the filter has no axe-core violation")
	})
	t.Run("start a drill that plays itself and read its report", func(t *testing.T) {
		require.NoError(t, do(chromedp.Navigate("http://"+m.Addr()+"/drills"), chromedp.WaitVisible(chromedp.ID("start-drill"))))
		shot(t, "drills")
		axe(t, "drills")
		// Schedule a quarterly drill from the page's form: it is listed
		// with its next run; then delete it.
		require.NoError(t, do(
			chromedp.SendKeys(chromedp.ID("schedule-cron"), "0 9 1 */3 *"),
			chromedp.Submit(chromedp.ID("schedule-cron")),
			chromedp.WaitVisible(chromedp.ID("schedules-h")),
		))
		var sched string
		require.Eventually(t, func() bool {
			// Schedules are listed through Temporal's visibility, which may
			// trail the create by a moment.
			if do(chromedp.Navigate("http://"+m.Addr()+"/drills"), chromedp.WaitVisible(chromedp.ID("drill-schedules"))) != nil {
				return false
			}
			sched, err = text("#drill-schedules tbody")
			return err == nil && strings.Contains(sched, "0 9 1 */3 *")
		}, 30*time.Second, 500*time.Millisecond, "the new schedule is listed")
		shot(t, "drills-scheduled")
		axe(t, "drills with a schedule")
		require.NoError(t, do(chromedp.Click(chromedp.CSS(`#drill-schedules form[action$="/delete"] button`)), chromedp.WaitVisible(chromedp.ID("start-drill"))))
		require.Eventually(t, func() bool {
			sched, err = text("#drill-schedules tbody")
			return err == nil && strings.Contains(sched, "No drills are scheduled")
		}, 10*time.Second, 200*time.Millisecond, "the deleted schedule is gone from the page")
		require.NoError(t, do(chromedp.Click(chromedp.CSS(`#start-drill button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/report"]`))))
		shot(t, "drill")
		require.NoError(t, do(chromedp.Click(chromedp.CSS(`a[href$="/report"]`)), chromedp.WaitVisible(chromedp.CSS(`h1`))))
		var report string
		require.Eventually(t, func() bool {
			report, err = text("body")
			return err == nil && strings.Contains(report, "After-Action Report") && strings.Contains(report, "Expected actions")
		}, 30*time.Second, 500*time.Millisecond, "the drill's after-action report must open from its page")
		require.Contains(t, report, "[DRILL]")
		shot(t, "drill-report")
		require.Empty(t, axe(t, "drill report"), "the after-action report (a standalone page auditors open) has no axe-core violation at all")
	})
	t.Logf("screenshots in %s", arts)
}
