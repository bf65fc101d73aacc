package playbooks

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is one tabletop-exercise package, shaped like a CISA Tabletop
// Exercise Package: objectives tied to playbook phases or capabilities, the
// regimes and facts the drill's incident starts with, modules of scenario
// text, injects that arrive at scenario times (and may set facts, so clocks
// react as in a real breach), discussion questions, and the actions the
// team is expected to take with a target scenario time for each.
//
// A Scenario is pinned, as JSON, into each DrillWorkflow's input, so its JSON
// names are part of the workflow history format: add fields, never rename
// them.
type Scenario struct {
	ID         string           `json:"id"`
	Title      string           `json:"title"`
	Version    int              `json:"version"`
	Summary    string           `json:"summary,omitempty"`
	Playbook   string           `json:"playbook"`
	Severity   string           `json:"severity,omitempty"`
	Regimes    []string         `json:"regimes"`
	Facts      map[string]any   `json:"facts,omitempty"`
	Speed      float64          `json:"speed,omitempty"`    // suggested compression
	Duration   Span             `json:"duration"`           // scenario time play lasts
	Objectives []Objective      `json:"objectives"`         // HSEEP objectives
	Modules    []Module         `json:"modules"`            // in order
	Expected   []ExpectedAction `json:"expected,omitempty"` // what a well-run team does, and by when
}

// Span is a scenario-time offset from the start of play (T+0), in whole
// seconds or more. Its JSON form is a Go duration string ("30h0m0s").
type Span time.Duration

// D returns the span as a time.Duration.
func (s Span) D() time.Duration { return time.Duration(s) }

// String formats the span as people write it: "T+30h", "T+1h30m".
func (s Span) String() string {
	d := time.Duration(s)
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	switch {
	case m == 0:
		return fmt.Sprintf("T+%dh", h)
	case h == 0:
		return fmt.Sprintf("T+%dm", m)
	}
	return fmt.Sprintf("T+%dh%02dm", h, m)
}

// MarshalJSON writes the span as a duration string.
func (s Span) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(s).String()) }

// UnmarshalJSON reads a duration string.
func (s *Span) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	d, err := time.ParseDuration(str)
	if err != nil {
		return err
	}
	*s = Span(d)
	return nil
}

// Objective is one thing the exercise sets out to test, tied to playbook
// phases or named capabilities (HSEEP core capabilities, e.g.
// "operational-communications").
type Objective struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Phases       []string `json:"phases,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
}

// Module is one part of the situation manual: scenario text read out at its
// start, injects and discussion questions.
type Module struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	At        Span       `json:"at"`
	Text      string     `json:"text"`
	Injects   []Inject   `json:"injects,omitempty"`
	Questions []Question `json:"questions,omitempty"`
}

// Inject is a development of the scenario delivered at a scenario time:
// text for the players and, optionally, facts set on the incident.
type Inject struct {
	ID    string         `json:"id"`
	At    Span           `json:"at"`
	Title string         `json:"title"`
	Text  string         `json:"text"`
	Facts map[string]any `json:"facts,omitempty"`
}

// Question is a discussion question posed at a scenario time: free text, or
// one of Choices. Expected and Guidance are for the evaluator only.
type Question struct {
	ID       string   `json:"id"`
	At       Span     `json:"at"`
	Text     string   `json:"text"`
	Choices  []string `json:"choices,omitempty"`
	Expected string   `json:"expected,omitempty"`
	Guidance string   `json:"guidance,omitempty"`
}

// Expected action kinds: what the team does in the incident, as irbot sees
// it.
const (
	ExpectTask   = "task"   // a playbook task completed
	ExpectGate   = "gate"   // a playbook gate approved
	ExpectNotify = "notify" // a clock settled: notification recorded, or decided not to notify
	ExpectFact   = "fact"   // a fact recorded
)

// ExpectedAction is one action a well-run team takes, with the scenario time
// it should be done by and the objective it evidences.
type ExpectedAction struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Objective string `json:"objective"`
	Kind      string `json:"kind"`   // task, gate, notify, fact
	Target    string `json:"target"` // task or gate id, REGIME/OBLIGATION, fact name
	By        Span   `json:"by"`
}

// Injects returns every inject of every module, in delivery order (by
// scenario time, then file order).
func (s *Scenario) Injects() []Inject {
	var out []Inject
	for _, m := range s.Modules {
		out = append(out, m.Injects...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// Questions returns every question of every module, in asking order.
func (s *Scenario) Questions() []Question {
	var out []Question
	for _, m := range s.Modules {
		out = append(out, m.Questions...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// Question returns the question with the given id.
func (s *Scenario) Question(id string) (Question, bool) {
	for _, q := range s.Questions() {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// FactCheck says whether value (JSON) is acceptable for fact name; the
// workflows package passes its NormalizeFact. nil skips the check.
type FactCheck func(name string, value json.RawMessage) error

// MaxScenarioFileSize is the largest scenario file accepted.
const MaxScenarioFileSize = 1 << 20

//go:embed scenarios/*.yaml
var embeddedScenarioFiles embed.FS

var embeddedScenarios = sync.OnceValue(func() []*Scenario {
	entries, err := embeddedScenarioFiles.ReadDir("scenarios")
	if err != nil {
		panic(fmt.Sprintf("playbooks: reading embedded scenarios: %v", err))
	}
	var out []*Scenario
	for _, e := range entries {
		data, err := embeddedScenarioFiles.ReadFile("scenarios/" + e.Name())
		if err != nil {
			panic(fmt.Sprintf("playbooks: reading embedded %s: %v", e.Name(), err))
		}
		sc, problems := ParseScenario("scenarios/"+e.Name(), data, nil, nil)
		if sc == nil {
			panic(fmt.Sprintf("playbooks: embedded scenario is broken: %v", problems))
		}
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b *Scenario) int { return strings.Compare(a.ID, b.ID) })
	return out
})

// EmbeddedScenarios returns copies of every scenario shipped in the binary,
// by id.
func EmbeddedScenarios() []*Scenario {
	var out []*Scenario
	for _, s := range embeddedScenarios() {
		out = append(out, s.Clone())
	}
	return out
}

// EmbeddedScenario returns a copy of the shipped scenario with the given id.
func EmbeddedScenario(id string) (*Scenario, bool) {
	for _, s := range embeddedScenarios() {
		if s.ID == id {
			return s.Clone(), true
		}
	}
	return nil, false
}

// Clone returns a deep copy (through JSON, the form the workflow pins).
func (s *Scenario) Clone() *Scenario {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var c Scenario
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// LoadScenarioFile reads and validates the scenario at path.
func LoadScenarioFile(path string, known RegimeKnown, facts FactCheck) (*Scenario, []Problem) {
	f, err := os.Open(path) // #nosec G304 -- a file the person names on irbot's command line (drill run, playbook validate)
	if err != nil {
		return nil, []Problem{{File: path, Message: "cannot read the scenario file: " + playbookPlainFileError(err)}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxScenarioFileSize+1))
	if err != nil {
		return nil, []Problem{{File: path, Message: "cannot read the scenario file: " + playbookPlainFileError(err)}}
	}
	return ParseScenario(path, data, known, facts)
}

// IsScenarioFile reports whether data looks like a scenario package rather
// than a playbook: its top level has objectives or modules.
func IsScenarioFile(data []byte) bool {
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return false
	}
	_, obj := top["objectives"]
	_, mod := top["modules"]
	return obj || mod
}

// ValidateFiles checks playbook and scenario files alike (a file with
// objectives or modules is a scenario), with every problem's file and line.
func ValidateFiles(paths []string, known RegimeKnown, facts FactCheck) []Problem {
	var all []Problem
	var playbookPaths []string
	scenarioFirst := map[string]string{}
	for _, path := range paths {
		data, err := os.ReadFile(path) // #nosec G304 -- a file the person names on irbot's command line (playbook validate)
		if err != nil || !IsScenarioFile(data) {
			playbookPaths = append(playbookPaths, path)
			continue
		}
		sc, problems := ParseScenario(path, data, known, facts)
		all = append(all, problems...)
		if sc == nil {
			continue
		}
		if other, dup := scenarioFirst[sc.ID]; dup {
			all = append(all, Problem{File: path, Message: fmt.Sprintf("scenario id %q is also used by %s; each scenario needs its own id", sc.ID, other)})
			continue
		}
		scenarioFirst[sc.ID] = path
	}
	return append(all, ValidatePlaybookFiles(playbookPaths, known)...)
}

var (
	scenarioTopKeys       = []string{"id", "title", "version", "summary", "playbook", "severity", "regimes", "facts", "speed", "duration", "objectives", "modules", "expected"}
	scenarioObjectiveKeys = []string{"id", "title", "phases", "capabilities"}
	scenarioModuleKeys    = []string{"id", "title", "at", "text", "injects", "questions"}
	scenarioInjectKeys    = []string{"id", "at", "title", "text", "facts"}
	scenarioQuestionKeys  = []string{"id", "at", "text", "choices", "expected", "guidance"}
	scenarioExpectedKeys  = []string{"id", "title", "objective", "task", "gate", "notify", "fact", "by"}
)

// ParseScenario parses and validates one scenario file; name is used as
// Problem.File. Every problem is reported with its line and column. The
// scenario is nil when any problem is an error. known and facts may be nil.
// It never panics, whatever data holds.
func ParseScenario(name string, data []byte, known RegimeKnown, facts FactCheck) (*Scenario, []Problem) {
	if len(data) > MaxScenarioFileSize {
		return nil, []Problem{{File: name, Message: fmt.Sprintf("the file is %d bytes, more than the %d a scenario may be; is it the right file?", len(data), MaxScenarioFileSize)}}
	}
	ps := &playbookParser{file: name, known: known}
	sc := ps.parseScenario(data, facts)
	slices.SortStableFunc(ps.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	if sc == nil || slices.ContainsFunc(ps.problems, func(p Problem) bool { return !p.Warning }) {
		return nil, ps.problems
	}
	return sc, ps.problems
}

// span reads a scenario time: a Go duration such as 6h, 30h, 90m, with an
// optional "T+" in front.
func (ps *playbookParser) span(e playbookEntry, what string, required bool, at *yaml.Node) Span {
	s := strings.TrimSpace(ps.text(e, what))
	if s == "" {
		if required {
			ps.errorAt(at, "%s is missing; write a scenario time such as 6h or T+30h", what)
		}
		return 0
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "T+"))
	if err != nil || d < 0 {
		ps.errorAt(e.value, "%s %q is not a scenario time; write hours and minutes from the start of play, such as 6h, 90m or T+30h (there is no \"d\")", what, s)
		return 0
	}
	return Span(d.Truncate(time.Second))
}

func (ps *playbookParser) factsMap(e playbookEntry, what string, check FactCheck) map[string]any {
	v := e.value
	if v == nil || (v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		ps.errorAt(v, "%s should be a set of facts (name: value), but it is %s", what, playbookKindWords(v))
		return nil
	}
	out := map[string]any{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], playbookResolve(v.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			ps.errorAt(k, "fact names in %s must be plain names such as affected", what)
			continue
		}
		if _, dup := out[k.Value]; dup {
			ps.errorAt(k, "fact %q appears twice in %s", k.Value, what)
			continue
		}
		var x any
		if err := val.Decode(&x); err != nil {
			ps.errorAt(val, "fact %q in %s cannot be read: %v", k.Value, what, err)
			continue
		}
		raw, err := json.Marshal(x)
		if err != nil {
			ps.errorAt(val, "fact %q in %s cannot be stored as JSON (%v); write plain text, numbers, lists or jurisdiction: count pairs", k.Value, what, err)
			continue
		}
		if check != nil {
			if err := check(k.Value, raw); err != nil {
				ps.errorAt(val, "fact %q in %s: %v", k.Value, what, err)
				continue
			}
		}
		var norm any
		_ = json.Unmarshal(raw, &norm)
		out[k.Value] = norm
	}
	return out
}

func (ps *playbookParser) parseScenario(data []byte, facts FactCheck) (sc *Scenario) {
	defer func() {
		if r := recover(); r != nil {
			sc = nil
			ps.errorLine(0, "the file could not be read as a scenario (the reader failed: %v)", r)
		}
	}()
	root := ps.rootNode(data, "a scenario needs at least an id, a title, objectives and modules")
	if root == nil {
		return nil
	}
	top := ps.mapping(root, "the scenario", "top-level keys", scenarioTopKeys)
	if top == nil {
		return nil
	}
	sc = &Scenario{}
	at := func(key string) *yaml.Node {
		if e, ok := top[key]; ok {
			return e.value
		}
		return root
	}
	sc.ID = strings.TrimSpace(ps.text(top["id"], "the scenario id"))
	if sc.ID == "" {
		ps.errorAt(at("id"), "the scenario has no id; give it one such as ransomware-exfiltration")
	} else {
		ps.checkID(at("id"), "scenario id", sc.ID)
	}
	sc.Title = strings.TrimSpace(ps.text(top["title"], "the scenario title"))
	if sc.Title == "" {
		ps.errorAt(at("title"), "the scenario has no title; people choose it by its title in Slack")
	}
	if v, ok := ps.integer(top["version"], "the scenario version"); ok {
		if v < 1 {
			ps.errorAt(at("version"), "the scenario version should be 1 or more, but it is %d", v)
		}
		sc.Version = v
	} else {
		sc.Version = 1
	}
	sc.Summary = ps.text(top["summary"], "the scenario summary")
	sc.Playbook = strings.TrimSpace(ps.text(top["playbook"], "the scenario playbook"))
	if sc.Playbook == "" {
		sc.Playbook = DefaultPlaybookID
	}
	pb, ok := EmbeddedPlaybook(sc.Playbook)
	if !ok {
		ps.errorAt(at("playbook"), "the scenario names playbook %q, which is not one irbot ships (%s)", sc.Playbook, DefaultPlaybookID)
	}
	sc.Severity = strings.TrimSpace(ps.text(top["severity"], "the scenario severity"))
	if sc.Severity != "" && !slices.Contains([]string{"critical", "high", "medium", "low"}, sc.Severity) {
		ps.errorAt(at("severity"), "severity %q should be critical, high, medium or low", sc.Severity)
	}
	regimes, rnodes := ps.textList(top["regimes"], "the scenario regimes", "[eu-gdpr, us-ca]")
	for i, r := range regimes {
		ps.checkRegime(rnodes[i], "the scenario", r)
	}
	if len(regimes) == 0 {
		ps.errorAt(at("regimes"), "the scenario names no regimes; list the regimes whose clocks the drill runs, such as [eu-gdpr]")
	}
	sc.Regimes = regimes
	sc.Facts = ps.factsMap(top["facts"], "the starting facts", facts)
	if e, ok := top["speed"]; ok && e.value != nil && e.value.ShortTag() != "!!null" {
		var f float64
		if e.value.Kind != yaml.ScalarNode || e.value.Decode(&f) != nil || f < 1 || f > 100000 {
			ps.errorAt(e.value, "speed should be a number from 1 to 100000 (60 plays a 72 h clock in 72 minutes), but it is %s", playbookKindWords(e.value))
		} else {
			sc.Speed = f
		}
	}
	sc.Duration = ps.span(top["duration"], "the scenario duration", true, at("duration"))
	if _, ok := top["duration"]; ok && sc.Duration == 0 {
		ps.errorAt(at("duration"), "the scenario duration must be more than zero")
	}

	// Objectives.
	objSeen := map[string]int{}
	for _, it := range ps.items(top["objectives"], "objective", "objectives", scenarioObjectiveKeys) {
		id := ps.scenarioItemID(it, "objective", "notify-authority-on-time", objSeen)
		o := Objective{ID: id, Title: strings.TrimSpace(ps.text(it.fields["title"], playbookFieldIn("title", it.label)))}
		if o.Title == "" {
			ps.errorAt(it.pos("title"), "%s has no title; say what the exercise tests", it.label)
		}
		var pnodes []*yaml.Node
		o.Phases, pnodes = ps.textList(it.fields["phases"], playbookFieldIn("phases", it.label), "[notify-regulators]")
		for i, p := range o.Phases {
			if pb != nil && pb.PhaseIndex(p) < 0 {
				ps.errorAt(pnodes[i], "%s names phase %q, which playbook %s does not have (%s)", it.label, p, sc.Playbook, strings.Join(phaseIDs(pb), ", "))
			}
		}
		var cnodes []*yaml.Node
		o.Capabilities, cnodes = ps.textList(it.fields["capabilities"], playbookFieldIn("capabilities", it.label), "[operational-communications]")
		for i, c := range o.Capabilities {
			ps.checkID(cnodes[i], "capability", c)
		}
		if len(o.Phases)+len(o.Capabilities) == 0 {
			ps.errorAt(it.node, "%s is tied to no playbook phase or capability; name at least one under phases or capabilities", it.label)
		}
		sc.Objectives = append(sc.Objectives, o)
	}
	if len(sc.Objectives) == 0 {
		ps.errorAt(at("objectives"), "the scenario has no objectives; an exercise is evaluated against its objectives")
	}

	// Modules, injects and questions share one id space, so a facilitator's
	// "inject now" or an answer names exactly one thing.
	modSeen, eventSeen := map[string]int{}, map[string]int{}
	var lastModuleAt Span
	for _, it := range ps.items(top["modules"], "module", "modules", scenarioModuleKeys) {
		m := Module{ID: ps.scenarioItemID(it, "module", "detection", modSeen)}
		m.Title = strings.TrimSpace(ps.text(it.fields["title"], playbookFieldIn("title", it.label)))
		if m.Title == "" {
			ps.errorAt(it.pos("title"), "%s has no title", it.label)
		}
		m.At = ps.span(it.fields["at"], playbookFieldIn("at", it.label), false, it.node)
		if m.At < lastModuleAt {
			ps.errorAt(it.pos("at"), "%s starts at %s, before the module above it (%s); list modules in the order they are played", it.label, m.At, lastModuleAt)
		}
		lastModuleAt = m.At
		m.Text = strings.TrimSpace(ps.text(it.fields["text"], playbookFieldIn("text", it.label)))
		if m.Text == "" {
			ps.errorAt(it.pos("text"), "%s has no scenario text; write what the players are told", it.label)
		}
		for _, ji := range ps.items(it.fields["injects"], "inject", "injects", scenarioInjectKeys) {
			in := Inject{ID: ps.scenarioItemID(ji, "inject", "journalist-calls", eventSeen)}
			in.At = ps.span(ji.fields["at"], playbookFieldIn("at", ji.label), true, ji.node)
			in.Title = strings.TrimSpace(ps.text(ji.fields["title"], playbookFieldIn("title", ji.label)))
			in.Text = strings.TrimSpace(ps.text(ji.fields["text"], playbookFieldIn("text", ji.label)))
			if in.Text == "" {
				ps.errorAt(ji.pos("text"), "%s has no text; write what arrives (a call, an email, a post)", ji.label)
			}
			if in.Title == "" {
				in.Title = in.ID
			}
			in.Facts = ps.factsMap(ji.fields["facts"], "the facts of "+ji.label, facts)
			ps.checkWithin(ji, in.At, m.At, sc.Duration, ji.label)
			m.Injects = append(m.Injects, in)
		}
		for _, qi := range ps.items(it.fields["questions"], "question", "questions", scenarioQuestionKeys) {
			q := Question{ID: ps.scenarioItemID(qi, "question", "who-tells-the-regulator", eventSeen)}
			q.At = ps.span(qi.fields["at"], playbookFieldIn("at", qi.label), false, qi.node)
			if _, ok := qi.fields["at"]; !ok {
				q.At = m.At
			}
			q.Text = strings.TrimSpace(ps.text(qi.fields["text"], playbookFieldIn("text", qi.label)))
			if q.Text == "" {
				ps.errorAt(qi.pos("text"), "%s has no text; write the question", qi.label)
			}
			var chNodes []*yaml.Node
			q.Choices, chNodes = ps.textList(qi.fields["choices"], playbookFieldIn("choices", qi.label), "[Yes, No]")
			for i, c := range q.Choices {
				if len(c) > 75 {
					ps.errorAt(chNodes[i], "choice %q of %s is %d characters; a Slack button holds at most 75", c, qi.label, len(c))
				}
			}
			if len(q.Choices) > 5 {
				ps.errorAt(qi.pos("choices"), "%s has %d choices; at most 5 fit as buttons", qi.label, len(q.Choices))
			}
			q.Expected = strings.TrimSpace(ps.text(qi.fields["expected"], playbookFieldIn("expected", qi.label)))
			if q.Expected != "" && len(q.Choices) > 0 && !slices.Contains(q.Choices, q.Expected) {
				ps.errorAt(qi.pos("expected"), "the expected answer %q of %s is not one of its choices (%s)", q.Expected, qi.label, strings.Join(q.Choices, ", "))
			}
			q.Guidance = strings.TrimSpace(ps.text(qi.fields["guidance"], playbookFieldIn("guidance", qi.label)))
			ps.checkWithin(qi, q.At, m.At, sc.Duration, qi.label)
			m.Questions = append(m.Questions, q)
		}
		sc.Modules = append(sc.Modules, m)
	}
	if len(sc.Modules) == 0 {
		ps.errorAt(at("modules"), "the scenario has no modules; write at least one with scenario text")
	}

	// Expected actions.
	expSeen := map[string]int{}
	covered := map[string]bool{}
	for _, it := range ps.items(top["expected"], "expected action", "expected", scenarioExpectedKeys) {
		x := ExpectedAction{ID: ps.scenarioItemID(it, "expected action", "isolate-systems", expSeen)}
		x.Title = strings.TrimSpace(ps.text(it.fields["title"], playbookFieldIn("title", it.label)))
		x.Objective = strings.TrimSpace(ps.text(it.fields["objective"], playbookFieldIn("objective", it.label)))
		if x.Objective == "" {
			ps.errorAt(it.pos("objective"), "%s evidences no objective; name one of the objectives' ids", it.label)
		} else if _, ok := objSeen[x.Objective]; !ok {
			ps.errorAt(it.pos("objective"), "%s names objective %q, which the scenario does not define", it.label, x.Objective)
		}
		covered[x.Objective] = true
		kinds := 0
		for _, k := range []string{ExpectTask, ExpectGate, ExpectNotify, ExpectFact} {
			if _, ok := it.fields[k]; !ok {
				continue
			}
			kinds++
			x.Kind = k
			x.Target = strings.TrimSpace(ps.text(it.fields[k], playbookFieldIn(k, it.label)))
			pos := it.pos(k)
			switch k {
			case ExpectTask:
				if t, ok := pb.taskOK(x.Target); !ok {
					ps.errorAt(pos, "%s names task %q, which playbook %s does not have", it.label, x.Target, sc.Playbook)
				} else if t.Regime != "" && !slices.Contains(regimes, t.Regime) {
					ps.errorAt(pos, "%s names task %q, which only applies under %s; the scenario's regimes are %s", it.label, x.Target, t.Regime, strings.Join(regimes, ", "))
				}
			case ExpectGate:
				if _, ok := pb.gateOK(x.Target); !ok {
					ps.errorAt(pos, "%s names gate %q, which playbook %s does not have", it.label, x.Target, sc.Playbook)
				}
			case ExpectNotify:
				regime, obligation, ok := strings.Cut(x.Target, "/")
				if !ok || regime == "" || obligation == "" {
					ps.errorAt(pos, "%s: notify %q should be REGIME/OBLIGATION, such as eu-gdpr/supervisory-authority", it.label, x.Target)
				} else if !slices.Contains(regimes, regime) {
					ps.errorAt(pos, "%s: regime %q is not one of the scenario's regimes (%s)", it.label, regime, strings.Join(regimes, ", "))
				}
			case ExpectFact:
				if x.Target == "" {
					ps.errorAt(pos, "%s: fact needs a fact name such as affected", it.label)
				}
			}
		}
		if kinds != 1 {
			ps.errorAt(it.node, "%s needs exactly one of task, gate, notify or fact (the thing the team does), but it has %d", it.label, kinds)
		}
		if x.Title == "" {
			x.Title = x.Kind + " " + x.Target
		}
		x.By = ps.span(it.fields["by"], playbookFieldIn("by", it.label), true, it.node)
		if sc.Duration > 0 && x.By > sc.Duration {
			ps.errorAt(it.pos("by"), "%s is due at %s, after the drill ends (%s)", it.label, x.By, sc.Duration)
		}
		sc.Expected = append(sc.Expected, x)
	}
	for _, o := range sc.Objectives {
		if o.ID != "" && !covered[o.ID] {
			ps.warnAt(at("objectives"), "objective %q has no expected action, so it can only be rated by the evaluator", o.ID)
		}
	}
	return sc
}

func (ps *playbookParser) scenarioItemID(it playbookItem, kind, example string, seen map[string]int) string {
	id := strings.TrimSpace(ps.text(it.fields["id"], playbookFieldIn("id", it.label)))
	if id == "" {
		ps.errorAt(it.pos("id"), "%s has no id; give it a short id such as %s", it.label, example)
		return ""
	}
	pos := it.pos("id")
	ps.checkID(pos, kind+" id", id)
	if first, dup := seen[id]; dup {
		ps.errorAt(pos, "%s id %q is used twice (first on line %d); every %s needs its own id", kind, id, first, kind)
	} else {
		seen[id] = it.node.Line
	}
	return id
}

func (ps *playbookParser) checkWithin(it playbookItem, at, moduleAt, duration Span, label string) {
	if at < moduleAt {
		ps.errorAt(it.pos("at"), "%s comes at %s, before its module starts (%s)", label, at, moduleAt)
	}
	if duration > 0 && at > duration {
		ps.errorAt(it.pos("at"), "%s comes at %s, after the drill ends (%s)", label, at, duration)
	}
}

func phaseIDs(pb *Playbook) []string {
	var ids []string
	for _, p := range pb.Phases {
		ids = append(ids, p.ID)
	}
	return ids
}

func (p *Playbook) taskOK(id string) (Task, bool) {
	if p == nil {
		return Task{}, true // the playbook problem is reported already
	}
	return p.Task(id)
}

func (p *Playbook) gateOK(id string) (Gate, bool) {
	if p == nil {
		return Gate{}, true
	}
	return p.Gate(id)
}
