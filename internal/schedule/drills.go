package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/irbot/irbot/workflows"
)

// drillMemo is the memo key that keeps a drill schedule's request (scenario,
// cron, time zone, who), sealed like every payload.
const drillMemo = "irbot.drill"

// ErrNoSchedule is returned for a drill schedule ID that does not exist.
var ErrNoSchedule = errors.New("no such drill schedule")

// ErrScheduleExists is returned when a drill schedule with the ID exists.
var ErrScheduleExists = errors.New("drill schedule exists already")

// DrillSchedule is one scheduled drill as irbot lists it.
type DrillSchedule struct {
	ID       string     `json:"id"`
	Scenario string     `json:"scenario"`
	Cron     string     `json:"cron"`
	TimeZone string     `json:"time_zone"`
	Speed    float64    `json:"speed,omitempty"`
	Channel  string     `json:"channel,omitempty"`
	By       string     `json:"by"`
	Paused   bool       `json:"paused"`
	NextRun  *time.Time `json:"next_run"`
	// NextRuns are the next few times, in the schedule's time zone.
	NextRuns []time.Time `json:"next_runs"`
}

// ParseDrillCron checks a drill's cron expression (five standard fields or a
// descriptor such as @monthly) in time zone tz with the clocks' parser and
// returns the schedule it describes. The time zone is a field of its own,
// and a day of the month together with a day of the week is refused:
// Temporal matches both where cron matches either, so the drill would not
// run when the expression reads.
func ParseDrillCron(spec string, loc *time.Location) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("cron is empty; write five fields, e.g. \"0 9 1 */3 *\" for 09:00 on the first day of every quarter")
	}
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		return nil, fmt.Errorf("cron %q: give the time zone as its own field (time_zone), not in the expression", spec)
	}
	if strings.HasPrefix(spec, "@every") {
		return nil, fmt.Errorf("cron %q: @every is not a calendar time; write five fields or @daily, @weekly, @monthly, @yearly", spec)
	}
	if err := ValidateCron(spec); err != nil {
		return nil, err
	}
	if f := strings.Fields(spec); len(f) == 5 && restricted(f[2]) && restricted(f[4]) {
		return nil, fmt.Errorf("cron %q: give a day of the month (%s) or a day of the week (%s), not both", spec, f[2], f[4])
	}
	return cron.ParseStandard("CRON_TZ=" + loc.String() + " " + spec)
}

func restricted(field string) bool { return field != "*" && field != "?" }

// CreateDrill creates the Temporal Schedule of a drill: at each cron time in
// the time zone it starts a ScheduledDrillWorkflow on taskQueue.
func CreateDrill(ctx context.Context, c client.Client, in workflows.ScheduledDrillInput, taskQueue string) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   in.ScheduleID,
		Spec: client.ScheduleSpec{CronExpressions: []string{in.Cron}, TimeZoneName: in.TimeZone},
		Action: &client.ScheduleWorkflowAction{
			ID:        in.ScheduleID + "/run",
			Workflow:  workflows.ScheduledDrillWorkflowName,
			Args:      []any{in},
			TaskQueue: taskQueue,
		},
		// A drill still being played when the next one falls due: the next
		// one starts anyway (they are separate incidents), none is lost.
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
		Memo:    map[string]any{drillMemo: in},
		Note:    "irbot drill " + in.Scenario,
	})
	if err != nil {
		var exists *serviceerror.AlreadyExists
		if errors.Is(err, temporal.ErrScheduleAlreadyRunning) || errors.As(err, &exists) {
			return fmt.Errorf("drill schedule %s: %w", in.ScheduleID, ErrScheduleExists)
		}
		return fmt.Errorf("create drill schedule: %w", err)
	}
	return nil
}

// DescribeDrill returns drill schedule id, ErrNoSchedule if there is none.
func DescribeDrill(ctx context.Context, c client.Client, dc converter.DataConverter, id string) (*DrillSchedule, error) {
	if !isDrillScheduleID(id) {
		return nil, ErrNoSchedule
	}
	d, err := c.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, ErrNoSchedule
		}
		return nil, err
	}
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	var in workflows.ScheduledDrillInput
	if p := d.Memo.GetFields()[drillMemo]; p == nil {
		return nil, ErrNoSchedule
	} else if err := dc.FromPayload(p, &in); err != nil {
		return nil, fmt.Errorf("drill schedule %s: %w", id, err)
	}
	out := &DrillSchedule{
		ID: id, Scenario: in.Scenario, Cron: in.Cron, TimeZone: in.TimeZone, Speed: in.Speed,
		Channel: in.Channel, By: in.By.ID, Paused: d.Schedule.State != nil && d.Schedule.State.Paused,
		NextRuns: []time.Time{},
	}
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	for i, t := range d.Info.NextActionTimes {
		if i == 3 {
			break
		}
		out.NextRuns = append(out.NextRuns, t.In(loc))
	}
	if len(out.NextRuns) > 0 {
		out.NextRun = &out.NextRuns[0]
	}
	return out, nil
}

// ListDrills returns every drill schedule, soonest first. Schedules are
// listed through Temporal's visibility, which may trail a create by a
// moment.
func ListDrills(ctx context.Context, c client.Client, dc converter.DataConverter) ([]DrillSchedule, error) {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 200})
	if err != nil {
		return nil, err
	}
	out := []DrillSchedule{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(e.ID, workflows.DrillScheduleIDPrefix) {
			continue
		}
		d, err := DescribeDrill(ctx, c, dc, e.ID)
		if errors.Is(err, ErrNoSchedule) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	slices.SortStableFunc(out, func(a, b DrillSchedule) int {
		switch {
		case a.NextRun == nil && b.NextRun == nil:
			return strings.Compare(a.ID, b.ID)
		case a.NextRun == nil:
			return 1
		case b.NextRun == nil:
			return -1
		}
		return a.NextRun.Compare(*b.NextRun)
	})
	return out, nil
}

// ListDrillRequests returns what every drill schedule was made with, as
// Temporal's visibility lists them: without asking each schedule, so one
// being created at this moment is listed too. Visibility may trail by a
// moment, and may still list one just deleted (DescribeDrill tells).
func ListDrillRequests(ctx context.Context, c client.Client, dc converter.DataConverter) ([]workflows.ScheduledDrillInput, error) {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 200})
	if err != nil {
		return nil, err
	}
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	var out []workflows.ScheduledDrillInput
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(e.ID, workflows.DrillScheduleIDPrefix) {
			continue
		}
		p := e.Memo.GetFields()[drillMemo]
		if p == nil {
			continue
		}
		var in workflows.ScheduledDrillInput
		if err := dc.FromPayload(p, &in); err != nil {
			return nil, fmt.Errorf("drill schedule %s: %w", e.ID, err)
		}
		in.ScheduleID = e.ID
		out = append(out, in)
	}
	return out, nil
}

// isDrillScheduleID reports whether id can name a drill schedule: the
// prefix, then the scenario's name and a hash, in ASCII letters, digits,
// '-', '_' and '.' (what drill schedule IDs are made of), at most 200
// bytes. Anything else (a NUL, invalid UTF-8, 60 KB) is no schedule and
// never reaches the workflow engine.
func isDrillScheduleID(id string) bool {
	rest, ok := strings.CutPrefix(id, workflows.DrillScheduleIDPrefix)
	if !ok || rest == "" || len(id) > 200 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// DeleteDrill deletes drill schedule id: no more runs, no more reminders
// (a pending reminder finds the schedule gone and says nothing).
func DeleteDrill(ctx context.Context, c client.Client, id string) error {
	if !isDrillScheduleID(id) {
		return ErrNoSchedule
	}
	err := c.ScheduleClient().GetHandle(ctx, id).Delete(ctx)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return ErrNoSchedule
	}
	return err
}

// NextDrillRun is drill schedule id's next time after the run now starting
// (nil if it has none), for the reminder of that run.
func NextDrillRun(ctx context.Context, c client.Client, id string, after time.Time) (*time.Time, error) {
	d, err := c.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, nil
		}
		return nil, err
	}
	for _, t := range d.Info.NextActionTimes {
		if t.After(after) {
			return &t, nil
		}
	}
	return nil, nil
}
