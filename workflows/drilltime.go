package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Scenario time: a drill's incident, its clocks and its injects all count the
// same compressed time from the declaration (the origin), and stand still
// while the facilitator has paused play. One mapping, here, for all three.

// drillTimeChange is the GetVersion change ID of drills whose clocks follow
// pause and resume, count met/late in scenario time and space routine
// reminders in real time.
const drillTimeChange = "drill-scenario-time"

// SignalDrillPause goes from a DrillWorkflow to its incident, and from the
// incident to each of its clocks, whenever play pauses, resumes or ends; its
// payload is the PlayPause.
const (
	SignalDrillPause      = "drill.pause"
	SignalClockDrillPause = "clock.drill-pause"
)

// DrillReminderGap is the least real time between two routine reminders of
// one clock in a drill: at speed 10000 the playbook's 4-hourly cadence would
// otherwise post every 1.4 seconds. Escalations and the overdue alert are
// never held back.
const DrillReminderGap = time.Minute

// PlayPause is how long play has stood still: Paused is the real time spent
// paused before PausedAt, and PausedAt is set while play is paused.
type PlayPause struct {
	Paused   time.Duration `json:"paused"`
	PausedAt *time.Time    `json:"paused_at,omitempty"`
}

// Virtual is the scenario (incident) time at real time now, for play that
// started at origin and runs speed times faster than real time.
func (p *PlayPause) Virtual(origin, now time.Time, speed float64) time.Time {
	if origin.IsZero() {
		return now
	}
	var paused time.Duration
	if p != nil {
		paused = p.Paused
		if p.PausedAt != nil && now.After(*p.PausedAt) {
			now = *p.PausedAt
		}
	}
	if speed < 1 {
		speed = 1
	}
	d := now.Sub(origin) - paused
	return origin.Add(time.Duration(float64(d) * speed))
}

// Real is the real time at which scenario time virtual falls, given the
// pauses so far (while paused, the earliest: when play resumes now).
func (p *PlayPause) Real(origin, virtual time.Time, speed float64) time.Time {
	if origin.IsZero() {
		return virtual
	}
	if speed < 1 {
		speed = 1
	}
	at := origin.Add(time.Duration(float64(virtual.Sub(origin)) / speed))
	if p != nil {
		at = at.Add(p.Paused)
	}
	return at
}

// drillPause is the pause record of a drill's state.
func (s DrillState) drillPause() PlayPause {
	return PlayPause{Paused: s.Paused, PausedAt: s.PausedAt}
}

// tellIncidentPause tells the drill's incident (and through it every clock)
// that play paused, resumed or ended; nothing waits on it.
func (d *drill) tellIncidentPause(ctx workflow.Context) {
	if !d.pauseClocks {
		return
	}
	workflow.SignalExternalWorkflow(ctx, IncidentWorkflowID(d.in.IncidentID), "", SignalDrillPause, d.state.drillPause())
}

// drillPauses receives the DrillWorkflow's pause signals: the incident keeps
// the pause for its own scenario time (the card, /incident clocks, met or
// late) and passes it to every running clock.
func (inc *incident) drillPauses(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalDrillPause)
	for {
		var p PlayPause
		ch.Receive(ctx, &p)
		inc.state.DrillPause = &p
		for _, c := range inc.state.Clocks {
			if c.Started && c.Open() {
				inc.signalClock(ctx, c.Key(), SignalClockDrillPause, p)
			}
		}
	}
}

// scenarioAt is the incident's own time at real time t: scenario time in a
// drill whose history knows it, t otherwise.
func (inc *incident) scenarioAt(t time.Time) time.Time {
	if !inc.drillTime {
		return t
	}
	return IncidentNow(inc.state, t)
}
