package incident

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// DrillScheduleRequest schedules a shipped scenario on a cron expression in
// an IANA time zone (default UTC).
type DrillScheduleRequest struct {
	Scenario string  `json:"scenario"`
	Cron     string  `json:"cron"`
	TimeZone string  `json:"time_zone,omitempty"`
	Speed    float64 `json:"speed,omitempty"`
	// Channel is a Slack channel also told a day ahead (the managers always
	// are).
	Channel string `json:"channel,omitempty"`
}

// DrillScheduleList answers GET /api/v1/drills/schedules.
type DrillScheduleList struct {
	Schedules []schedule.DrillSchedule `json:"schedules"`
}

// MinDrillInterval is the least time between two runs of one drill schedule:
// the managers are told a day ahead, and a drill is an exercise, not a job.
const MinDrillInterval = workflows.DrillReminderLead

var slackChannelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)

// CreateDrillSchedule validates the request (scenario, cron with the clocks'
// parser, time zone, speed) and creates the drill's Temporal Schedule.
func (s *Service) CreateDrillSchedule(ctx context.Context, actor workflows.Actor, req DrillScheduleRequest) (*schedule.DrillSchedule, error) {
	if err := mayRunDrills(actor); err != nil {
		return nil, err
	}
	sc, ok := playbooks.EmbeddedScenario(strings.TrimSpace(req.Scenario))
	if !ok {
		var ids []string
		for _, x := range playbooks.EmbeddedScenarios() {
			ids = append(ids, x.ID)
		}
		return nil, apperr.New(apperr.Invalid, "unknown scenario %q; use one of %s", req.Scenario, strings.Join(ids, ", "))
	}
	tz := strings.TrimSpace(req.TimeZone)
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" || len(tz) > 64 {
		return nil, apperr.New(apperr.Invalid, "time_zone %q is not an IANA time zone name such as Europe/Paris or America/New_York", req.TimeZone)
	}
	spec := strings.Join(strings.Fields(req.Cron), " ")
	if len(spec) > 100 {
		return nil, apperr.New(apperr.Invalid, "cron is longer than 100 characters")
	}
	sched, err := schedule.ParseDrillCron(spec, loc)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "%v", err)
	}
	now := s.now()
	first := sched.Next(now)
	if first.IsZero() {
		return nil, apperr.New(apperr.Invalid, "cron %q never falls due", spec)
	}
	prev := first
	for range 5 {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		if next.Sub(prev) < MinDrillInterval {
			return nil, apperr.New(apperr.Invalid, "cron %q runs a drill at %s and again at %s; drills are at least a day apart (managers are reminded a day ahead)",
				spec, prev.Format("2006-01-02 15:04 MST"), next.Format("2006-01-02 15:04 MST"))
		}
		prev = next
	}
	if req.Speed != 0 && (req.Speed < 1 || req.Speed > MaxDrillSpeed) {
		return nil, apperr.New(apperr.Invalid, "speed must be from 1 to %d (60 plays a 72 h clock in 72 minutes)", MaxDrillSpeed)
	}
	if req.Channel != "" && !slackChannelID.MatchString(req.Channel) {
		return nil, apperr.New(apperr.Invalid, "channel %q is not a Slack channel ID (C…, G…)", req.Channel)
	}
	in := workflows.ScheduledDrillInput{
		ScheduleID: drillScheduleID(sc.ID, spec, loc.String()),
		Scenario:   sc.ID, Speed: req.Speed, Cron: spec, TimeZone: loc.String(), Channel: req.Channel, By: actor,
	}
	if err := s.refuseDuplicateDrillSchedule(ctx, in, sched, now); err != nil {
		return nil, err
	}
	if err := schedule.CreateDrill(ctx, s.Temporal, in, s.taskQueue()); err != nil {
		if errors.Is(err, schedule.ErrScheduleExists) {
			// Two requests at once: the ID is the scenario's and the
			// expression's, so the engine lets one of them through.
			return nil, duplicateDrillSchedule(in.Scenario, in.ScheduleID, spec, in.TimeZone)
		}
		return nil, apperr.New(apperr.Unavailable, "the drill schedule was not created: %v", err)
	}
	// The first run is reminded like every later one (each run reminds of
	// the next).
	if _, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DrillReminderWorkflowID(in.ScheduleID, first), TaskQueue: s.taskQueue(),
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	},
		workflows.DrillReminderWorkflowName, workflows.DrillReminderInput{
			ScheduleID: in.ScheduleID, Scenario: in.Scenario, RunAt: first.UTC(), TimeZone: in.TimeZone, Channel: in.Channel,
		}); err != nil {
		return nil, apperr.New(apperr.Unavailable, "drill schedule %s was created but its first reminder did not start: %v", in.ScheduleID, err)
	}
	d, err := schedule.DescribeDrill(ctx, s.Temporal, s.Payloads, in.ScheduleID)
	if err != nil {
		// Created; answer with what was asked and the parser's next time.
		first = first.In(loc)
		return &schedule.DrillSchedule{ID: in.ScheduleID, Scenario: in.Scenario, Cron: in.Cron, TimeZone: in.TimeZone,
			Speed: in.Speed, Channel: in.Channel, By: actor.ID, NextRun: &first, NextRuns: []time.Time{first}}, nil
	}
	return d, nil
}

// drillScheduleID names a schedule by its scenario and its expression in its
// time zone, so the same schedule asked for twice at once is one Temporal
// Schedule (the engine refuses the second create).
func drillScheduleID(scenario, spec, tz string) string {
	// Length-prefixed, so no expression and zone read as another pair.
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s%s", len(spec), spec, tz))
	return workflows.DrillScheduleIDPrefix + scenario + "-" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:8])
}

// duplicateRunsCompared is how many upcoming runs two expressions must share
// to be the same schedule ("@monthly" and "0 0 1 * *" are).
const duplicateRunsCompared = 8

// refuseDuplicateDrillSchedule refuses a schedule of a scenario that is
// already scheduled at the same times: the same expression in the same time
// zone, or another spelling of it there ("@monthly", "0 0 1 * *") that falls
// due at the same instants.
func (s *Service) refuseDuplicateDrillSchedule(ctx context.Context, in workflows.ScheduledDrillInput, sched cron.Schedule, now time.Time) error {
	list, err := schedule.ListDrillRequests(ctx, s.Temporal, s.Payloads)
	if err != nil {
		return apperr.New(apperr.Unavailable, "the drill schedule was not created: the existing schedules could not be read to rule out a duplicate")
	}
	for _, d := range list {
		if d.Scenario != in.Scenario || d.TimeZone != in.TimeZone {
			continue
		}
		if d.ScheduleID != in.ScheduleID && d.Cron != in.Cron && !sameRuns(d.Cron, d.TimeZone, sched, now) {
			continue
		}
		// Listed: still there? (The list may trail a delete.) One that
		// cannot be described now is being created: it counts.
		if _, err := schedule.DescribeDrill(ctx, s.Temporal, s.Payloads, d.ScheduleID); errors.Is(err, schedule.ErrNoSchedule) {
			continue
		}
		return duplicateDrillSchedule(in.Scenario, d.ScheduleID, d.Cron, d.TimeZone)
	}
	return nil
}

// sameRuns says whether expression spec in time zone tz falls due at the
// same upcoming instants as sched.
func sameRuns(spec, tz string, sched cron.Schedule, now time.Time) bool {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return false
	}
	other, err := schedule.ParseDrillCron(spec, loc)
	if err != nil {
		return false
	}
	a, b := now, now
	for range duplicateRunsCompared {
		a, b = sched.Next(a), other.Next(b)
		if !a.Equal(b) {
			return false
		}
		if a.IsZero() {
			return true
		}
	}
	return true
}

func duplicateDrillSchedule(scenario, id, spec, tz string) error {
	return apperr.New(apperr.Conflict, "%s is already scheduled at these times: schedule %s (%q in %s); delete it first to change it", scenario, id, spec, tz)
}

// DrillSchedules lists the scheduled drills, soonest first.
func (s *Service) DrillSchedules(ctx context.Context, actor workflows.Actor) ([]schedule.DrillSchedule, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	list, err := schedule.ListDrills(ctx, s.Temporal, s.Payloads)
	if err != nil {
		return nil, apperr.New(apperr.Unavailable, "the drill schedules could not be listed: the workflow engine did not answer")
	}
	return list, nil
}

// DeleteDrillSchedule deletes a drill schedule: no more runs or reminders.
// Drills it already started play on.
func (s *Service) DeleteDrillSchedule(ctx context.Context, actor workflows.Actor, id string) error {
	if err := mayRunDrills(actor); err != nil {
		return err
	}
	if err := schedule.DeleteDrill(ctx, s.Temporal, id); err != nil {
		if errors.Is(err, schedule.ErrNoSchedule) {
			return apperr.New(apperr.NotFound, "no drill schedule %q", ClipValue(id))
		}
		return apperr.New(apperr.Unavailable, "drill schedule %s was not deleted: the workflow engine did not answer", id)
	}
	return nil
}

// StartScheduledDrill starts the drill a schedule's run asks for, as the
// manager who scheduled it (with the roles they hold now), and reads the
// schedule's next time. A refusal (the manager lost the role, the scenario
// is gone) is final: the run is not retried, and the answer says why
// (Refused) with the next time, so the next run is still reminded.
func (s *Service) StartScheduledDrill(ctx context.Context, in workflows.StartScheduledDrillInput) (workflows.ScheduledDrillStarted, error) {
	actor := in.Drill.By
	if s.RolesOf != nil {
		actor.Roles = s.RolesOf(actor.ID)
	}
	var res workflows.ScheduledDrillStarted
	started, err := s.StartDrill(ctx, actor, DrillRequest{Scenario: in.Drill.Scenario, Speed: in.Drill.Speed, RequestKey: in.Key})
	switch {
	case err == nil:
		res.Incident = started.ID
	case slices.Contains([]string{apperr.Invalid, apperr.Forbidden, apperr.Unauthorized}, apperr.CodeOf(err)):
		res.Refused = fmt.Sprintf("scheduled drill %s not started: %s", in.Drill.ScheduleID, apperr.MessageOf(err))
	default:
		return res, err
	}
	next, err := schedule.NextDrillRun(ctx, s.Temporal, in.Drill.ScheduleID, s.now().Add(time.Minute))
	if err != nil {
		return workflows.ScheduledDrillStarted{}, err
	}
	res.NextRun = next
	return res, nil
}

// DrillScheduleStands says whether drill schedule id still exists and is not
// paused: a reminder of a deleted schedule says nothing.
func (s *Service) DrillScheduleStands(ctx context.Context, id string) (bool, error) {
	d, err := schedule.DescribeDrill(ctx, s.Temporal, s.Payloads, id)
	if errors.Is(err, schedule.ErrNoSchedule) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !d.Paused, nil
}
