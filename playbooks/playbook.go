package playbooks

import (
	"embed"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"time"
)

// Playbook is one response plan: its phases in order, the tasks and approval
// gates in each phase, and how regulatory clocks remind and escalate.
//
// A Playbook is pinned into each incident's workflow input as JSON, so the
// JSON names below are part of the workflow history format: fields may be
// added, never renamed or retyped.
type Playbook struct {
	ID          string      `yaml:"id" json:"id"` // e.g. "data-breach"
	Name        string      `yaml:"name" json:"name"`
	Version     int         `yaml:"version" json:"version"`
	Description string      `yaml:"description" json:"description,omitempty"`
	Regimes     []string    `yaml:"regimes" json:"regimes,omitempty"` // regimes considered when the declarer names none
	Clocks      ClockPolicy `yaml:"clocks" json:"clocks"`
	// Updates is the status-update cadence; nil (omitted) means the
	// defaults (DefaultUpdateCadence, DefaultUnownedAfter).
	Updates *UpdatePolicy `yaml:"updates" json:"updates,omitempty"`
	Phases  []Phase       `yaml:"phases" json:"phases"` // in order
	Tasks   []Task        `yaml:"tasks" json:"tasks"`
	Gates   []Gate        `yaml:"gates" json:"gates"`
}

// Phase is one stage of a response. An incident moves through the phases in
// the order the playbook lists them.
type Phase struct {
	ID          string `yaml:"id" json:"id"` // e.g. contain, assess, notify-regulators, notify-customers, remediate, review
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description,omitempty"`
}

// Task is one piece of work in a phase, owned by a role.
type Task struct {
	ID       string `yaml:"id" json:"id"`
	Phase    string `yaml:"phase" json:"phase"`
	Title    string `yaml:"title" json:"title"`
	Role     string `yaml:"role" json:"role"` // role that owns it
	Required bool   `yaml:"required" json:"required"`
	Regime   string `yaml:"regime" json:"regime,omitempty"` // optional: only relevant when this regime applies
	Help     string `yaml:"help" json:"help,omitempty"`
}

// Gate is an approval a phase needs before it can end.
type Gate struct {
	ID        string   `yaml:"id" json:"id"`
	Phase     string   `yaml:"phase" json:"phase"`
	Title     string   `yaml:"title" json:"title"`
	Roles     []string `yaml:"roles" json:"roles"`           // an approver must hold one of these
	TwoPerson bool     `yaml:"two_person" json:"two_person"` // needs two distinct approvers, and neither may be the incident's declarer
}

// ClockPolicy says how regulatory clocks remind and escalate.
type ClockPolicy struct {
	ReminderCron   string   `yaml:"reminder_cron" json:"reminder_cron"`     // robfig/cron standard 5-field spec, e.g. "0 9-17/4 * * 1-5"
	TimeZone       string   `yaml:"time_zone" json:"time_zone"`             // IANA name; the cron runs in it; default "UTC"
	EscalateBefore []string `yaml:"escalate_before" json:"escalate_before"` // Go durations before due: ["24h","6h","1h"]
	EscalateTo     []string `yaml:"escalate_to" json:"escalate_to"`         // roles: ["commander","dpo","legal"]
}

// UpdatePolicy says how often the commander owes the channel a status
// update, by severity, and when an incident without a commander or a
// severity is pointed out. Durations are Go durations ("30m", "4h").
type UpdatePolicy struct {
	Cadence      map[string]string `yaml:"cadence" json:"cadence,omitempty"`             // severity -> duration; a severity left out keeps its default
	UnownedAfter string            `yaml:"unowned_after" json:"unowned_after,omitempty"` // default 15m
}

// DefaultUpdateCadence is the status-update cadence by severity when a
// playbook does not say.
var DefaultUpdateCadence = map[string]time.Duration{
	"critical": 30 * time.Minute,
	"high":     time.Hour,
	"medium":   4 * time.Hour,
	"low":      24 * time.Hour,
}

// DefaultUnownedAfter is how long an incident may go without a commander or
// a severity before irbot points it out.
const DefaultUnownedAfter = 15 * time.Minute

// UpdateCadence is how often a status update is due at severity: the
// playbook's setting, else the default; 0 for an unknown or empty severity.
func (p *Playbook) UpdateCadence(severity string) time.Duration {
	if p != nil && p.Updates != nil {
		if d, err := time.ParseDuration(p.Updates.Cadence[severity]); err == nil && d > 0 {
			return d
		}
	}
	return DefaultUpdateCadence[severity]
}

// UnownedAfter is how long after declaration an incident with no
// commander or no severity is pointed out.
func (p *Playbook) UnownedAfter() time.Duration {
	if p != nil && p.Updates != nil {
		if d, err := time.ParseDuration(p.Updates.UnownedAfter); err == nil && d > 0 {
			return d
		}
	}
	return DefaultUnownedAfter
}

// Roles are the valid roles, as listed in CONTRACT.md. Playbooks may name
// only these as task owners, gate approvers and escalation targets.
var Roles = []string{"responder", "commander", "dpo", "legal", "manager", "compliance", "admin"}

// ValidRole says whether r is one of [Roles].
func ValidRole(r string) bool { return slices.Contains(Roles, r) }

// DefaultPlaybookID is the id of the embedded playbook [DefaultPlaybook]
// returns.
const DefaultPlaybookID = "data-breach"

// embeddedPlaybookFiles are the playbooks compiled into the binary. Files are
// listed by name, not by pattern, so that other YAML in this directory
// (regime rules, scenarios) is never mistaken for a playbook.
//
//go:embed data-breach.yaml
var embeddedPlaybookFiles embed.FS

// embeddedPlaybooks parses every embedded playbook once, by id. Regime ids are
// not checked here (the rule set lives elsewhere); a test checks them.
var embeddedPlaybooks = sync.OnceValue(func() map[string]*Playbook {
	entries, err := embeddedPlaybookFiles.ReadDir(".")
	if err != nil {
		panic(fmt.Sprintf("playbooks: reading embedded playbooks: %v", err))
	}
	byID := make(map[string]*Playbook, len(entries))
	for _, e := range entries {
		data, err := embeddedPlaybookFiles.ReadFile(e.Name())
		if err != nil {
			panic(fmt.Sprintf("playbooks: reading embedded %s: %v", e.Name(), err))
		}
		pb, problems := ParsePlaybook(e.Name(), data, nil)
		if pb == nil {
			panic(fmt.Sprintf("playbooks: embedded playbook is broken: %v", problems))
		}
		if _, dup := byID[pb.ID]; dup {
			panic(fmt.Sprintf("playbooks: two embedded playbooks have id %q", pb.ID))
		}
		byID[pb.ID] = pb
	}
	return byID
})

// DefaultPlaybook returns the embedded data-breach playbook. Each call returns
// a fresh copy, so a caller may change it freely. It panics only if the
// embedded file is broken, which the package's tests rule out.
func DefaultPlaybook() *Playbook {
	pb, ok := EmbeddedPlaybook(DefaultPlaybookID)
	if !ok {
		panic("playbooks: the embedded " + DefaultPlaybookID + " playbook is missing")
	}
	return pb
}

// EmbeddedPlaybook returns a copy of the embedded playbook with the given id.
func EmbeddedPlaybook(id string) (*Playbook, bool) {
	pb, ok := embeddedPlaybooks()[id]
	if !ok {
		return nil, false
	}
	return pb.Clone(), true
}

// LoadPlaybookFile reads and validates the playbook at path. The playbook is
// nil when any problem is an error; warnings alone still return it.
func LoadPlaybookFile(path string, known RegimeKnown) (*Playbook, []Problem) {
	f, err := os.Open(path) // #nosec G304 -- a file the person names on irbot's command line (playbook validate)
	if err != nil {
		return nil, []Problem{{File: path, Message: "cannot read the playbook file: " + playbookPlainFileError(err)}}
	}
	defer f.Close()
	// Read one byte past the limit so ParsePlaybook reports an oversized file
	// without this reading all of it.
	data, err := io.ReadAll(io.LimitReader(f, MaxPlaybookFileSize+1))
	if err != nil {
		return nil, []Problem{{File: path, Message: "cannot read the playbook file: " + playbookPlainFileError(err)}}
	}
	return ParsePlaybook(path, data, known)
}

// Clone returns a deep copy of p.
func (p *Playbook) Clone() *Playbook {
	if p == nil {
		return nil
	}
	c := *p
	c.Regimes = slices.Clone(p.Regimes)
	c.Clocks.EscalateBefore = slices.Clone(p.Clocks.EscalateBefore)
	c.Clocks.EscalateTo = slices.Clone(p.Clocks.EscalateTo)
	if p.Updates != nil {
		u := *p.Updates
		u.Cadence = maps.Clone(p.Updates.Cadence)
		c.Updates = &u
	}
	c.Phases = slices.Clone(p.Phases)
	c.Tasks = slices.Clone(p.Tasks)
	c.Gates = slices.Clone(p.Gates)
	for i := range c.Gates {
		c.Gates[i].Roles = slices.Clone(c.Gates[i].Roles)
	}
	return &c
}

// Task returns the task with the given id.
func (p *Playbook) Task(id string) (Task, bool) {
	for _, t := range p.Tasks {
		if t.ID == id {
			return t, true
		}
	}
	return Task{}, false
}

// Gate returns the gate with the given id.
func (p *Playbook) Gate(id string) (Gate, bool) {
	for _, g := range p.Gates {
		if g.ID == id {
			return g, true
		}
	}
	return Gate{}, false
}

// PhaseIndex returns the position of the phase with the given id in the
// playbook's order, or -1 when the playbook has no such phase.
func (p *Playbook) PhaseIndex(id string) int {
	return slices.IndexFunc(p.Phases, func(ph Phase) bool { return ph.ID == id })
}

// PhaseTasks returns the tasks of one phase, in file order.
func (p *Playbook) PhaseTasks(phase string) []Task {
	var out []Task
	for _, t := range p.Tasks {
		if t.Phase == phase {
			out = append(out, t)
		}
	}
	return out
}

// PhaseGates returns the gates of one phase, in file order.
func (p *Playbook) PhaseGates(phase string) []Gate {
	var out []Gate
	for _, g := range p.Gates {
		if g.Phase == phase {
			out = append(out, g)
		}
	}
	return out
}
