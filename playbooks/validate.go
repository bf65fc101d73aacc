package playbooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// Time zones are checked against the Go tz database compiled into the
	// binary, so a playbook that validates on a laptop also loads in a
	// minimal container image with no /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/irbot/irbot/internal/policy"
)

// Problem is one thing wrong with a playbook file, with where it is. Line and
// Column are 1-based; both are 0 for a problem with the whole file (it cannot
// be read, or is empty), and Column is 0 when only the line is known (YAML
// syntax errors).
type Problem struct {
	File    string
	Line    int
	Column  int
	Message string
	// Warning marks a problem that does not stop the playbook loading: it
	// works, but probably not as its author meant.
	Warning bool
}

// String formats the problem the way compilers do, so editors can jump to it:
// "path/to/file.yaml:12:5: task "notify-sa" names phase "notify", ...".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteString(":" + strconv.Itoa(p.Column))
		}
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// MaxPlaybookFileSize is the largest playbook file accepted. The default
// playbook is about 12 KiB; the limit keeps a wrong path (a log, a disk
// image) from being read into every incident's workflow input.
const MaxPlaybookFileSize = 1 << 20

// RegimeKnown says whether a regime id exists in the rule files; the caller
// passes the rule set's lookup.
type RegimeKnown func(id string) bool

// ParsePlaybook parses and validates one playbook file. name is used as
// Problem.File. It reports every problem it finds, in file order, not just
// the first. The playbook is nil when any problem is an error (not a
// warning). known may be nil, and then regime ids are not checked.
func ParsePlaybook(name string, data []byte, known RegimeKnown) (*Playbook, []Problem) {
	ps := &playbookParser{file: name, known: known}
	if len(data) > MaxPlaybookFileSize {
		return nil, []Problem{{File: name, Message: fmt.Sprintf(
			"the file is %d bytes, more than the %d a playbook may be; is it the right file?", len(data), MaxPlaybookFileSize)}}
	}
	pb := ps.parse(data)
	slices.SortStableFunc(ps.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	if slices.ContainsFunc(ps.problems, func(p Problem) bool { return !p.Warning }) {
		return nil, ps.problems
	}
	return pb, ps.problems
}

// ValidatePlaybookFiles loads every file and returns every problem of every
// file, file by file in the order given. It also reports two files that use
// the same playbook id, since only one of them could be chosen by id.
func ValidatePlaybookFiles(paths []string, known RegimeKnown) []Problem {
	var all []Problem
	firstFile := map[string]string{}
	for _, path := range paths {
		pb, problems := LoadPlaybookFile(path, known)
		all = append(all, problems...)
		if pb == nil {
			continue
		}
		if other, dup := firstFile[pb.ID]; dup {
			all = append(all, Problem{File: path, Message: fmt.Sprintf(
				"playbook id %q is also used by %s; each playbook needs its own id", pb.ID, other)})
			continue
		}
		firstFile[pb.ID] = path
	}
	return all
}

func playbookPlainFileError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Keys each part of a playbook file may use, in the order the messages list
// them.
var (
	playbookTopKeys    = []string{"id", "name", "version", "description", "regimes", "clocks", "updates", "phases", "tasks", "gates"}
	playbookClockKeys  = []string{"reminder_cron", "time_zone", "escalate_before", "escalate_to"}
	playbookUpdateKeys = []string{"cadence", "unowned_after"}
	playbookSeverities = []string{"critical", "high", "medium", "low"}
	playbookPhaseKeys  = []string{"id", "title", "description"}
	playbookTaskKeys   = []string{"id", "phase", "title", "role", "required", "regime", "help"}
	playbookGateKeys   = []string{"id", "phase", "title", "roles", "two_person"}
)

// playbookIDPattern is the shape of playbook, phase, task and gate ids: people
// type them in Slack commands and the API, so no spaces or capitals.
var playbookIDPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// playbookParser walks the yaml.v3 node tree of one file, filling a Playbook
// and collecting problems with their positions.
type playbookParser struct {
	file     string
	known    RegimeKnown
	problems []Problem
}

func (ps *playbookParser) errorAt(n *yaml.Node, format string, args ...any) {
	ps.problems = append(ps.problems, Problem{File: ps.file, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)})
}

func (ps *playbookParser) warnAt(n *yaml.Node, format string, args ...any) {
	ps.problems = append(ps.problems, Problem{File: ps.file, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...), Warning: true})
}

func (ps *playbookParser) errorLine(line int, format string, args ...any) {
	ps.problems = append(ps.problems, Problem{File: ps.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// decodeDocument reads the single YAML document of the file. yaml.v3 is not
// expected to panic on any input, but a malformed file must never take down
// the caller (the validator, or a server loading a playbook), so a panic is
// reported as a problem with the file.
func (ps *playbookParser) decodeDocument(data []byte) (doc *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			doc = nil
			ps.errorLine(0, "the file could not be read as YAML (the YAML reader failed: %v)", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			ps.errorLine(0, "the file is empty; a playbook needs at least an id, a name, a version, clocks and phases")
		} else {
			ps.syntaxError(data, err)
		}
		return nil
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		ps.syntaxError(data, err)
		return nil
	default:
		ps.errorAt(&second, "the file holds a second YAML document (after ---); a playbook file holds exactly one playbook")
	}
	return &first
}

var playbookYAMLLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (ps *playbookParser) syntaxError(data []byte, err error) {
	msg := err.Error()
	if m := playbookYAMLLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		line = playbookSyntaxErrorLine(data, line, m[2])
		ps.errorLine(max(line, 1), "this is not valid YAML: %s", playbookPlainSyntax(m[2]))
		return
	}
	ps.errorLine(0, "this is not valid YAML: %s", playbookPlainSyntax(strings.TrimPrefix(msg, "yaml: ")))
}

// playbookPlainSyntax explains the YAML reader's commonest complaints in
// words a playbook author can act on, keeping the original for searching.
func playbookPlainSyntax(problem string) string {
	plain := map[string]string{
		"found unexpected end of stream":                  "the file ends inside quoted text or a bracket; look for a missing closing quote, ] or }",
		"mapping values are not allowed in this context":  "a \": \" appears where it cannot; put quotes around text that contains \": \", or fix the indentation",
		"found a tab character that violates indentation": "a tab is used for indentation; YAML needs spaces",
		"did not find expected key":                       "the indentation is off: this line does not line up with the keys around it",
		"did not find expected '-' indicator":             "the indentation is off: this list item does not line up with the items before it",
		"did not find expected ',' or ']'":                "a list in [brackets] is not closed with ]",
		"did not find expected ',' or '}'":                "a set of keys in {braces} is not closed with }",
		"found character that cannot start any token":     "a line starts with a character YAML reserves (such as @, ` or a tab); put quotes around the text",
	}[problem]
	if plain == "" {
		return problem
	}
	return plain + " (" + problem + ")"
}

// playbookSyntaxErrorLine finds the line a YAML syntax error is really on.
// yaml.v3 reports the line where the enclosing block began, and for parser
// errors counts from 0, so "line 6" may mean a bad indent on line 9. The
// first prefix of the file, from the reported line on, that fails with the
// same complaint ends on the offending line. The search is bounded so a huge
// file costs at most a few megabytes of re-parsing.
func playbookSyntaxErrorLine(data []byte, reported int, problem string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	end := 0
	for i := 0; i < len(lines) && i < reported-1; i++ {
		end += len(lines[i])
	}
	budget := 4 << 20 // bytes re-parsed in all; beyond it, yaml.v3's line will do
	for l := max(reported, 1); l <= len(lines) && l < reported+200; l++ {
		end += len(lines[l-1])
		if budget -= end; budget < 0 {
			break
		}
		if playbookPrefixFailsWith(data[:end], problem) {
			return l
		}
	}
	return reported
}

func playbookPrefixFailsWith(prefix []byte, problem string) (fails bool) {
	defer func() {
		if recover() != nil {
			fails = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(prefix))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == nil {
			continue
		}
		m := playbookYAMLLine.FindStringSubmatch(err.Error())
		return m != nil && m[2] == problem
	}
}

// resolve follows an alias (*name) to the node it stands for.
func playbookResolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func playbookKindWords(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a set of keys"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// playbookEntry is one key of a mapping, with both nodes for positions.
type playbookEntry struct {
	key, value *yaml.Node
}

// mapping checks that n is a mapping with no unknown or repeated keys, and
// returns its entries by key. what names the thing for messages ("the
// playbook", `task "isolate"`); kind is the plural used in the list of valid
// keys ("task keys").
func (ps *playbookParser) mapping(n *yaml.Node, what, kind string, allowed []string) map[string]playbookEntry {
	n = playbookResolve(n)
	if n.Kind != yaml.MappingNode {
		ps.errorAt(n, "%s should be a set of keys (%s), but it is %s", what, strings.Join(allowed, ", "), playbookKindWords(n))
		return nil
	}
	out := map[string]playbookEntry{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			ps.errorAt(k, "keys in %s must be plain names such as %s", what, allowed[0])
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			ps.errorAt(k, "merge keys (<<) are not supported in playbooks; write the keys of %s out in full", what)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			hint := ""
			if s := playbookClosestKey(k.Value, allowed); s != "" {
				hint = fmt.Sprintf("; did you mean %q?", s)
			}
			ps.errorAt(k, "unknown key %q in %s%s (%s are %s)", k.Value, what, hint, kind, strings.Join(allowed, ", "))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			ps.errorAt(k, "key %q appears twice in %s (first on line %d); the second would silently replace the first", k.Value, what, prev.key.Line)
			continue
		}
		out[k.Value] = playbookEntry{key: k, value: playbookResolve(v)}
	}
	return out
}

// closestKey suggests the allowed key a typo was probably meant to be.
func playbookClosestKey(got string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		limit := 2
		if len(a) <= 4 {
			limit = 1
		}
		if d := playbookEditDistance(strings.ToLower(got), a); d <= limit && d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func playbookEditDistance(a, b string) int {
	ar, br := []rune(a), []rune(b)
	prev := make([]int, len(br)+1)
	cur := make([]int, len(br)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ar); i++ {
		cur[0] = i
		for j := 1; j <= len(br); j++ {
			cost := 1
			if ar[i-1] == br[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(br)]
}

// text reads a scalar as text; a missing key or an explicit null is "".
func (ps *playbookParser) text(e playbookEntry, what string) string {
	v := e.value
	if v == nil {
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		ps.errorAt(v, "%s should be text, but it is %s", what, playbookKindWords(v))
		return ""
	}
	if v.ShortTag() == "!!null" {
		return ""
	}
	return v.Value
}

func (ps *playbookParser) boolean(e playbookEntry, what string) bool {
	v := e.value
	if v == nil || (v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
		return false
	}
	var b bool
	if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
		ps.errorAt(v, "%s should be true or false, but it is %s", what, playbookKindWords(v))
		return false
	}
	return b
}

// integer reads a whole number; ok is false when the key is absent or null.
func (ps *playbookParser) integer(e playbookEntry, what string) (n int, ok bool) {
	v := e.value
	if v == nil || (v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
		return 0, false
	}
	if v.Kind != yaml.ScalarNode || v.Decode(&n) != nil {
		ps.errorAt(v, "%s should be a whole number, but it is %s", what, playbookKindWords(v))
		return 0, false
	}
	return n, true
}

// sequence returns the items of a list; an absent key or null is no items.
func (ps *playbookParser) sequence(e playbookEntry, what, example string) []*yaml.Node {
	v := e.value
	if v == nil || (v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		ps.errorAt(v, "%s should be a list, such as %s, but it is %s", what, example, playbookKindWords(v))
		return nil
	}
	items := make([]*yaml.Node, len(v.Content))
	for i, it := range v.Content {
		items[i] = playbookResolve(it)
	}
	return items
}

// textList reads a list of text items, returning each item's node too.
// Empty items are reported; repeated items are warned about.
func (ps *playbookParser) textList(e playbookEntry, what, example string) ([]string, []*yaml.Node) {
	var vals []string
	var nodes []*yaml.Node
	for _, it := range ps.sequence(e, what, example) {
		if it.Kind != yaml.ScalarNode || it.ShortTag() == "!!null" || strings.TrimSpace(it.Value) == "" {
			ps.errorAt(it, "every item of %s should be a non-empty word, but this one is %s", what, playbookKindWords(it))
			continue
		}
		if slices.Contains(vals, it.Value) {
			ps.warnAt(it, "%q is listed twice in %s", it.Value, what)
			continue
		}
		vals = append(vals, it.Value)
		nodes = append(nodes, it)
	}
	return vals, nodes
}

// checkID reports an id that people could not type in a Slack command.
func (ps *playbookParser) checkID(n *yaml.Node, what, id string) {
	if playbookIDPattern.MatchString(id) {
		return
	}
	hint := ""
	if s := playbookKebab(id); s != "" {
		hint = fmt.Sprintf(" (such as %s)", s)
	}
	ps.errorAt(n, "%s %q should be lower-case letters, digits and single hyphens%s, because people type it in Slack commands", what, id, hint)
}

func playbookKebab(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

func (ps *playbookParser) checkRole(n *yaml.Node, what, role string) {
	if !ValidRole(role) {
		ps.errorAt(n, "%s names role %q, which is not a role irbot knows (%s)", what, role, strings.Join(Roles, ", "))
	}
}

// checkActingRole is checkRole for a task's owner or a gate's approver:
// someone must be able to act under it, so a read-only role (the policy's)
// cannot be named.
func (ps *playbookParser) checkActingRole(n *yaml.Node, what, role string) {
	ps.checkRole(n, what, role)
	if slices.Contains(policy.ReadOnly, role) {
		ps.errorAt(n, "%s names role %q, which is read-only (it reads the record and takes no action); name a role that acts, such as dpo or commander", what, role)
	}
}

func (ps *playbookParser) checkRegime(n *yaml.Node, what, id string) {
	if ps.known != nil && !ps.known(id) {
		ps.errorAt(n, "%s names regime %q, which is not in the regime rules (check the spelling, e.g. eu-gdpr, or add a rule file for it)", what, id)
	}
}

// playbookFieldIn names a key of a phase, task or gate for messages.
func playbookFieldIn(key, label string) string { return key + " in " + label }

// itemLabel names the n-th item of a list for messages, by its id when it
// has a usable one.
func playbookItemLabel(kind string, i int, item *yaml.Node) string {
	if item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], playbookResolve(item.Content[j+1])
			if k.Kind == yaml.ScalarNode && k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" && v.ShortTag() != "!!null" {
				return fmt.Sprintf("%s %q", kind, v.Value)
			}
		}
	}
	return fmt.Sprintf("%s number %d", kind, i+1)
}

// playbookItem is a phase, task or gate with where its parts are.
type playbookItem struct {
	node   *yaml.Node
	label  string
	fields map[string]playbookEntry
}

// pos returns the node of a key's value, or the item itself when the key is
// absent, so a problem always points somewhere useful.
func (it playbookItem) pos(key string) *yaml.Node {
	if e, ok := it.fields[key]; ok {
		return e.value
	}
	return it.node
}

// rootNode decodes data and returns its top node, or nil (with the problem
// recorded) when the file does not parse or is empty; empty says what the
// file needs at least.
func (ps *playbookParser) rootNode(data []byte, empty string) *yaml.Node {
	root := ps.decodeDocument(data)
	if root == nil {
		return nil
	}
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			ps.errorLine(0, "the file is empty; %s", empty)
			return nil
		}
		root = root.Content[0]
	}
	return root
}

func (ps *playbookParser) parse(data []byte) *Playbook {
	root := ps.rootNode(data, "a playbook needs at least an id, a name, a version, clocks and phases")
	if root == nil {
		return nil
	}
	root = playbookResolve(root)
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		ps.errorLine(0, "the file is empty; a playbook needs at least an id, a name, a version, clocks and phases")
		return nil
	}
	top := ps.mapping(root, "the playbook", "playbook keys", playbookTopKeys)
	if top == nil {
		return nil
	}

	pb := &Playbook{}
	pb.ID = strings.TrimSpace(ps.text(top["id"], "the playbook id"))
	if pb.ID == "" {
		ps.errorAt(playbookItem{node: root, fields: top}.pos("id"), "the playbook has no id; give it a short id such as data-breach, used to choose it when declaring")
	} else {
		ps.checkID(top["id"].value, "the playbook id", pb.ID)
	}
	pb.Name = strings.TrimSpace(ps.text(top["name"], "the playbook name"))
	if pb.Name == "" {
		ps.errorAt(playbookItem{node: root, fields: top}.pos("name"), "the playbook has no name; give it a title people will recognise, such as \"Personal data breach\"")
	}
	if v, ok := ps.integer(top["version"], "the playbook version"); !ok {
		if top["version"].value == nil || top["version"].value.Kind == yaml.ScalarNode && top["version"].value.ShortTag() == "!!null" {
			ps.errorAt(playbookItem{node: root, fields: top}.pos("version"), "the playbook has no version; start at 1 and raise it whenever you change the playbook")
		}
	} else {
		pb.Version = v
		if v < 1 {
			ps.errorAt(top["version"].value, "the playbook version is %d, but it must be 1 or more", v)
		}
	}
	pb.Description = ps.text(top["description"], "the playbook description")

	regimes, regimeNodes := ps.textList(top["regimes"], "regimes", "[eu-gdpr, uk-gdpr]")
	for i, r := range regimes {
		ps.checkRegime(regimeNodes[i], "the regimes list", r)
	}
	pb.Regimes = regimes

	if e, ok := top["clocks"]; ok {
		pb.Clocks = ps.clocks(e.value)
	} else {
		ps.errorAt(root, "the playbook has no clocks section; it says when open regulatory clocks send reminders and whom they escalate to (see data-breach.yaml)")
	}

	if e, ok := top["updates"]; ok {
		pb.Updates = ps.updates(e.value)
	}

	phases := ps.items(top["phases"], "phase", "phases", playbookPhaseKeys)
	tasks := ps.items(top["tasks"], "task", "tasks", playbookTaskKeys)
	gates := ps.items(top["gates"], "gate", "gates", playbookGateKeys)

	if len(phases) == 0 {
		at := root
		if e, ok := top["phases"]; ok {
			at = e.value
		}
		ps.errorAt(at, "the playbook has no phases; list at least one, such as contain, assess, notify-regulators")
	}

	// Phases first: tasks and gates are checked against them.
	phaseLine := map[string]int{}
	var phaseIDs []string
	for _, it := range phases {
		ph := Phase{
			ID:          ps.itemID(it, "phase", phaseLine),
			Title:       strings.TrimSpace(ps.text(it.fields["title"], playbookFieldIn("title", it.label))),
			Description: ps.text(it.fields["description"], playbookFieldIn("description", it.label)),
		}
		if ph.Title == "" {
			ps.errorAt(it.pos("title"), "%s has no title; give it one people will see in Slack, such as \"Contain the breach\"", it.label)
		}
		pb.Phases = append(pb.Phases, ph)
		if ph.ID != "" && !slices.Contains(phaseIDs, ph.ID) {
			phaseIDs = append(phaseIDs, ph.ID)
		}
	}
	phaseList := strings.Join(phaseIDs, ", ")
	if phaseList == "" {
		phaseList = "the playbook lists no phases yet"
	}
	checkPhase := func(it playbookItem, phase string) {
		switch {
		case phase == "":
			ps.errorAt(it.pos("phase"), "%s has no phase; say which phase it belongs to (%s)", it.label, phaseList)
		case !slices.Contains(phaseIDs, phase):
			ps.errorAt(it.pos("phase"), "%s names phase %q, which is not one of the playbook's phases (%s)", it.label, phase, phaseList)
		}
	}

	taskLine := map[string]int{}
	for _, it := range tasks {
		t := Task{
			ID:       ps.itemID(it, "task", taskLine),
			Phase:    strings.TrimSpace(ps.text(it.fields["phase"], playbookFieldIn("phase", it.label))),
			Title:    strings.TrimSpace(ps.text(it.fields["title"], playbookFieldIn("title", it.label))),
			Role:     strings.TrimSpace(ps.text(it.fields["role"], playbookFieldIn("role", it.label))),
			Required: ps.boolean(it.fields["required"], playbookFieldIn("required", it.label)),
			Regime:   strings.TrimSpace(ps.text(it.fields["regime"], playbookFieldIn("regime", it.label))),
			Help:     ps.text(it.fields["help"], playbookFieldIn("help", it.label)),
		}
		checkPhase(it, t.Phase)
		if t.Title == "" {
			ps.errorAt(it.pos("title"), "%s has no title; say in a few words what must be done", it.label)
		}
		if t.Role == "" {
			ps.errorAt(it.pos("role"), "%s has no role; say which role owns it (%s)", it.label, strings.Join(Roles, ", "))
		} else {
			ps.checkActingRole(it.pos("role"), it.label, t.Role)
		}
		if t.Regime != "" {
			ps.checkRegime(it.pos("regime"), it.label, t.Regime)
		}
		pb.Tasks = append(pb.Tasks, t)
	}

	gateLine := map[string]int{}
	for _, it := range gates {
		g := Gate{
			ID:        ps.itemID(it, "gate", gateLine),
			Phase:     strings.TrimSpace(ps.text(it.fields["phase"], playbookFieldIn("phase", it.label))),
			Title:     strings.TrimSpace(ps.text(it.fields["title"], playbookFieldIn("title", it.label))),
			TwoPerson: ps.boolean(it.fields["two_person"], playbookFieldIn("two_person", it.label)),
		}
		checkPhase(it, g.Phase)
		if g.Title == "" {
			ps.errorAt(it.pos("title"), "%s has no title; say what is being approved, such as \"Approve the regulator notice\"", it.label)
		}
		roles, roleNodes := ps.textList(it.fields["roles"], playbookFieldIn("roles", it.label), "[dpo, legal]")
		if len(roles) == 0 {
			ps.errorAt(it.pos("roles"), "%s names no roles, so nobody could approve it; list who may, such as [dpo, legal]", it.label)
		}
		for i, r := range roles {
			ps.checkActingRole(roleNodes[i], it.label, r)
		}
		g.Roles = roles
		pb.Gates = append(pb.Gates, g)
	}

	// A phase with nothing in it would end the moment it began.
	for i, it := range phases {
		id := pb.Phases[i].ID
		if id == "" || pb.PhaseIndex(id) != i {
			continue // no id, or a duplicate already reported
		}
		nTasks, nRequired := 0, 0
		for _, t := range pb.Tasks {
			if t.Phase == id {
				nTasks++
				if t.Required {
					nRequired++
				}
			}
		}
		nGates := len(pb.PhaseGates(id))
		switch {
		case nTasks == 0 && nGates == 0:
			ps.errorAt(it.pos("id"), "phase %q has no tasks and no gates; give it at least one required task or a gate, or remove it", id)
		case nRequired == 0 && nGates == 0:
			ps.warnAt(it.pos("id"), "phase %q has no required task and no gate, so it can end with nothing done; mark its essential task required: true", id)
		}
	}
	return pb
}

// items reads a list of phases, tasks or gates.
func (ps *playbookParser) items(e playbookEntry, kind, plural string, allowed []string) []playbookItem {
	var out []playbookItem
	for i, n := range ps.sequence(e, plural, "a list of items starting with \"- id: ...\"") {
		label := playbookItemLabel(kind, i, n)
		fields := ps.mapping(n, label, kind+" keys", allowed)
		if fields == nil {
			continue
		}
		out = append(out, playbookItem{node: n, label: label, fields: fields})
	}
	return out
}

// itemID reads and checks an item's id; seen maps ids to the line of their
// first use, to report repeats.
func (ps *playbookParser) itemID(it playbookItem, kind string, seen map[string]int) string {
	id := strings.TrimSpace(ps.text(it.fields["id"], playbookFieldIn("id", it.label)))
	if id == "" {
		ps.errorAt(it.pos("id"), "%s has no id; give it a short id such as %s", it.label, map[string]string{
			"phase": "assess", "task": "revoke-credentials", "gate": "risk-assessment",
		}[kind])
		return ""
	}
	at := it.pos("id")
	ps.checkID(at, kind+" id", id)
	if first, dup := seen[id]; dup {
		ps.errorAt(at, "%s id %q is used twice (first on line %d); every %s needs its own id", kind, id, first, kind)
	} else {
		seen[id] = it.node.Line
	}
	return id
}

// playbookCronParser is the standard 5-field parser (plus @hourly etc.),
// the same one the clock workflows use.
var playbookCronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (ps *playbookParser) clocks(n *yaml.Node) ClockPolicy {
	var c ClockPolicy
	fields := ps.mapping(n, "clocks", "clocks keys", playbookClockKeys)
	if fields == nil {
		return c
	}
	item := playbookItem{node: playbookResolve(n), fields: fields}

	c.TimeZone = strings.TrimSpace(ps.text(fields["time_zone"], "time_zone in clocks"))
	var loc *time.Location
	switch {
	case c.TimeZone == "":
		c.TimeZone = "UTC"
		loc = time.UTC
	case c.TimeZone == "Local":
		ps.errorAt(item.pos("time_zone"), "time_zone \"Local\" would depend on the machine irbot runs on; name the zone, such as UTC or Europe/Dublin")
	default:
		l, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			ps.errorAt(item.pos("time_zone"), "time_zone %q is not a known IANA time zone name; use one such as UTC, Europe/Berlin or America/New_York", c.TimeZone)
		} else {
			loc = l
		}
	}

	c.ReminderCron = strings.TrimSpace(ps.text(fields["reminder_cron"], "reminder_cron in clocks"))
	if c.ReminderCron == "" {
		if _, present := fields["reminder_cron"]; !present || fields["reminder_cron"].value.Kind == yaml.ScalarNode {
			ps.errorAt(item.pos("reminder_cron"), "clocks has no reminder_cron, so nobody would be reminded of open regulatory clocks; use a cron schedule such as \"0 9-17/4 * * 1-5\" (every 4 hours in working hours on weekdays)")
		}
	} else {
		ps.checkCron(item.pos("reminder_cron"), c.ReminderCron, loc)
	}

	before, beforeNodes := ps.textList(fields["escalate_before"], "escalate_before in clocks", "[24h, 6h, 1h]")
	for i, s := range before {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			ps.errorAt(beforeNodes[i], "escalate_before %q is not a duration; write hours and minutes such as 48h, 6h or 90m (days are not allowed: write 48h for two days)", s)
		case d <= 0:
			ps.errorAt(beforeNodes[i], "escalate_before %q must be more than zero: it is how long before a deadline to escalate", s)
		}
	}
	c.EscalateBefore = before

	to, toNodes := ps.textList(fields["escalate_to"], "escalate_to in clocks", "[commander, dpo, legal]")
	for i, r := range to {
		ps.checkRole(toNodes[i], "escalate_to", r)
	}
	c.EscalateTo = to
	if len(before) > 0 && len(to) == 0 {
		ps.errorAt(item.pos("escalate_to"), "clocks has escalate_before but escalate_to names nobody to escalate to; list roles such as [commander, dpo, legal]")
	}
	return c
}

// updates reads the status-update cadence: durations by severity, and
// when an incident without a commander or severity is pointed out.
func (ps *playbookParser) updates(n *yaml.Node) *UpdatePolicy {
	fields := ps.mapping(n, "updates", "updates keys", playbookUpdateKeys)
	if fields == nil {
		return nil
	}
	u := &UpdatePolicy{}
	duration := func(at *yaml.Node, what, s string) {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			ps.errorAt(at, "%s %q is not a duration; write hours and minutes such as 30m, 4h or 24h", what, s)
		case d < time.Minute:
			ps.errorAt(at, "%s %q is too short: at least 1m", what, s)
		}
	}
	if e, ok := fields["cadence"]; ok {
		sev := ps.mapping(e.value, "cadence in updates", "severities", playbookSeverities)
		if len(sev) > 0 {
			u.Cadence = map[string]string{}
		}
		for _, name := range slices.Sorted(maps.Keys(sev)) {
			v := sev[name]
			s := strings.TrimSpace(ps.text(v, "cadence "+name+" in updates"))
			duration(v.value, "cadence "+name, s)
			u.Cadence[name] = s
		}
	}
	if e, ok := fields["unowned_after"]; ok {
		u.UnownedAfter = strings.TrimSpace(ps.text(e, "unowned_after in updates"))
		duration(e.value, "unowned_after", u.UnownedAfter)
	}
	return u
}

func (ps *playbookParser) checkCron(at *yaml.Node, spec string, loc *time.Location) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		ps.errorAt(at, "reminder_cron %q names a time zone; put the zone in clocks time_zone instead and keep reminder_cron to the five fields", spec)
		return
	}
	sched, err := playbookCronParser.Parse(spec)
	if err != nil {
		ps.errorAt(at, "reminder_cron %q is not a valid cron schedule: %v; it needs five fields, minute hour day-of-month month day-of-week, such as \"0 9-17/4 * * 1-5\"", spec, err)
		return
	}
	if loc == nil {
		loc = time.UTC
	}
	// robfig/cron gives up after five years: a schedule such as "0 9 30 2 *"
	// (30 February) parses but would never remind anyone.
	if sched.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
		ps.errorAt(at, "reminder_cron %q never fires (no such date), so nobody would be reminded", spec)
	}
}
