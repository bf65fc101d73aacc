package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	tpl "github.com/irbot/irbot/templates/slack"
)

// The RBAC matrix through the surfaces (issue 15 point 3): every role against
// every incident action, each request valid for its action, so that a
// refusal can only be the role's. A refused cell is a 403 (Slack: a private
// answer) naming the reason, and exactly one action.denied entry naming the
// person and the action; an allowed cell succeeds and adds none.

// matrixRow is one person of the matrix: the role the row stands for and
// where that role comes from (the users file, or an assignment inside the
// incident).
type matrixRow struct {
	name    string // the row as failures name it
	role    string // the role the row stands for
	token   string // API bearer token
	slackID string // Slack user, also the actor ID on the timeline
	// inIncident: the role is assigned in the incident (by the admin, during
	// setup); the users file gives this person only compliance, which acts
	// under nothing, so every allowed cell of the row is the incident role's.
	inIncident bool
}

// Test tokens of the matrix's extra people (obviously fake, hashed in the
// users file like the others).
const (
	commanderToken   = "test-token-commander-0005"
	incCommanderTok  = "test-token-inc-commander-0006"
	complianceToken  = "test-token-compliance-0007"
	matrixAdminToken = "test-token-admin-user-0008"
	spareSlackID     = "U0000000009" // the person assign_role gives a role to
)

var matrixRows = []matrixRow{
	{name: "responder", role: policy.Responder, token: responderToken, slackID: "U0000000003"},
	{name: "commander", role: policy.Commander, token: commanderToken, slackID: "U0000000005"},
	{name: "commander (in the incident)", role: policy.Commander, token: incCommanderTok, slackID: "U0000000006", inIncident: true},
	{name: "dpo", role: policy.DPO, token: dpoToken, slackID: "U0000000001"},
	{name: "legal", role: policy.Legal, token: legalToken, slackID: "U0000000002"},
	{name: "manager", role: policy.Manager, token: managerToken, slackID: "U0000000004"},
	{name: "compliance", role: policy.Compliance, token: complianceToken, slackID: "U0000000007"},
	{name: "admin", role: policy.Admin, token: matrixAdminToken, slackID: "U0000000008"},
}

// matrixAllowed is who may take each action, written out (as the policy
// package's own matrix is) so that a change of the policy shows up here as
// an edit. Each action is asked on a fixed object: complete_task on
// count-subjects (a responder's task of the assess phase), approve on the
// risk-assessment gate (dpo or legal), assign_role gives responder to
// someone else.
var matrixAllowed = map[string][]string{
	"note":                 {policy.Responder, policy.Commander, policy.DPO, policy.Legal, policy.Manager, policy.Admin},
	"set_fact":             {policy.Responder, policy.Commander, policy.DPO, policy.Legal, policy.Admin},
	"set_severity":         {policy.Responder, policy.Commander, policy.Manager, policy.Admin},
	"assign_role":          {policy.Commander, policy.Manager, policy.Admin},
	"complete_task":        {policy.Responder, policy.Commander, policy.Admin},
	"approve":              {policy.DPO, policy.Legal},
	"record_notification":  {policy.Commander, policy.DPO, policy.Legal, policy.Admin},
	"decide_not_to_notify": {policy.DPO, policy.Legal, policy.Admin},
	"snooze_clock":         {policy.Commander, policy.DPO, policy.Legal, policy.Admin},
	"delay_clock":          {policy.Commander, policy.DPO, policy.Legal, policy.Admin},
	"create_notice":        {policy.Commander, policy.DPO, policy.Legal, policy.Admin},
	"add_reference":        {policy.Commander, policy.DPO, policy.Legal, policy.Admin},
	"close":                {policy.Commander, policy.Admin},
}

// matrixActions is the order cells run in on a row's incident: close last.
var matrixActions = []string{
	"note", "set_fact", "set_severity", "assign_role", "complete_task", "approve", "record_notification",
	"decide_not_to_notify", "snooze_clock", "delay_clock", "create_notice", "add_reference", "close",
}

// The clocks the cells act on, in an incident under eu-gdpr and eu-nis2
// that is aware now; sentClock is recorded as sent during setup, so that
// add_reference has a notice to refer to.
const (
	sentRegime, sentObligation = "eu-nis2", "early-warning"
)

var matrixClock = map[string][2]string{
	"record_notification":  {"eu-gdpr", "internal-register"},
	"decide_not_to_notify": {"eu-nis2", "service-recipients"},
	"snooze_clock":         {"eu-gdpr", "supervisory-authority"},
	"delay_clock":          {"eu-nis2", "incident-notification"},
	"create_notice":        {"eu-gdpr", "supervisory-authority"},
	"add_reference":        {sentRegime, sentObligation},
}

// matrixPayload is a valid request for action by row: every field its
// validator checks before the roles is right for the incident as set up.
func matrixPayload(action string, row matrixRow, now time.Time) map[string]any {
	c := matrixClock[action]
	tag := strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(row.name)
	switch action {
	case "note":
		return map[string]any{"type": action, "text": "matrix note by " + row.name}
	case "set_fact":
		return map[string]any{"type": action, "name": "measures", "value": "Keys rotated (" + row.name + ")."}
	case "set_severity":
		return map[string]any{"type": action, "severity": "critical"}
	case "assign_role":
		return map[string]any{"type": action, "role": policy.Responder, "user": spareSlackID}
	case "complete_task":
		return map[string]any{"type": action, "task": "count-subjects"}
	case "approve":
		return map[string]any{"type": action, "gate": "risk-assessment"}
	case "record_notification":
		return map[string]any{"type": action, "regime": c[0], "obligation": c[1], "reference": "REF-" + tag}
	case "decide_not_to_notify":
		return map[string]any{"type": action, "regime": c[0], "obligation": c[1], "reason": "No service recipient was affected: the outage never reached them."}
	case "snooze_clock":
		return map[string]any{"type": action, "regime": c[0], "obligation": c[1], "until": now.Add(time.Hour).UTC().Format(time.RFC3339)}
	case "delay_clock":
		return map[string]any{"type": action, "regime": c[0], "obligation": c[1], "reason": "The police asked in writing (case 2026-17) to hold the notice."}
	case "create_notice":
		return map[string]any{"regime": c[0], "obligation": c[1], "to": []string{"authority@example.org"}}
	case "add_reference":
		return map[string]any{"type": action, "regime": c[0], "obligation": c[1], "reference": "CASE-" + tag}
	case "close":
		return map[string]any{"type": action, "reason": "matrix: closed early on purpose"}
	}
	panic("no payload for " + action)
}

// matrixDenialWords is what a refusal of action must say: the roles that
// may take it (or, for compliance, that it only reads).
func matrixDenialWords(action string, row matrixRow) []string {
	if row.role == policy.Compliance {
		return []string{"compliance is read-only"}
	}
	switch action {
	case "approve":
		return []string{"gate risk-assessment must be approved by someone with the role dpo or legal"}
	case "complete_task":
		return []string{"task count-subjects is for the responder role"}
	case "assign_role":
		return []string{"only the commander, a manager or an admin may assign responder"}
	}
	return append([]string{action + " needs one of the roles"}, matrixAllowed[action]...)
}

// TestMatrixIsThePolicy cross-checks the written-out matrix with the policy
// table: a change to either without the other fails here first.
func TestMatrixIsThePolicy(t *testing.T) {
	require.ElementsMatch(t, slices.Collect(maps.Keys(policy.Actions)), matrixActions, "the matrix covers every action in the policy")
	require.ElementsMatch(t, matrixActions, slices.Collect(maps.Keys(matrixAllowed)))
	var roles []string
	for _, r := range matrixRows {
		roles = append(roles, r.role)
	}
	for _, r := range policy.Roles {
		require.Contains(t, roles, r, "the matrix has a row for every role")
	}
	for _, action := range matrixActions {
		for _, row := range matrixRows {
			roles := []string{row.role}
			want := policy.Allowed(action, roles)
			switch action {
			case "complete_task":
				want = want || policy.MayActAs(roles, []string{policy.Responder}) // the task's own role
			case "approve":
				want = policy.MayActAs(roles, []string{policy.DPO, policy.Legal}) // the gate's roles
			}
			require.Equal(t, want, slices.Contains(matrixAllowed[action], row.role), "%s × %s", row.name, action)
		}
	}
}

// writeMatrixUsers writes the users file of the matrix: the usual people
// plus a commander, a compliance officer who is made commander inside the
// incident, a compliance officer, an admin with a Slack ID and a spare
// responder to give roles to.
func writeMatrixUsers(t *testing.T) string {
	t.Helper()
	base, err := os.ReadFile(writeUsersFile(t, t.TempDir()))
	require.NoError(t, err)
	extra := fmt.Sprintf(`  - name: Cole Commander
    email: cole@example.com
    slack_id: U0000000005
    roles: [commander]
    token_sha256: %s
  - name: Ines Incident
    email: ines@example.com
    slack_id: U0000000006
    roles: [compliance]
    token_sha256: %s
  - name: Cora Compliance
    email: cora@example.com
    slack_id: U0000000007
    roles: [compliance]
    token_sha256: %s
  - name: Ada Admin
    email: ada@example.com
    slack_id: U0000000008
    roles: [admin]
    token_sha256: %s
  - name: Sam Spare
    email: sam@example.com
    slack_id: %s
    roles: [responder]
`, auth.HashToken(commanderToken), auth.HashToken(incCommanderTok), auth.HashToken(complianceToken), auth.HashToken(matrixAdminToken), spareSlackID)
	path := filepath.Join(t.TempDir(), "users.yaml")
	require.NoError(t, os.WriteFile(path, append(base, extra...), 0o600))
	return path
}

// matrixIncident declares an incident for a row's cells and sets it up with
// the bootstrap admin (no row's person): the row's in-incident role, the
// contain phase done (so the assess phase's task and gate are current) and
// one clock recorded as sent. A closable one is under us-sec-8k only, whose
// clock waits for a materiality determination, so close has no open clock
// to wait for.
func matrixIncident(t *testing.T, c apiClient, row matrixRow, closable bool) string {
	t.Helper()
	body := map[string]any{"title": "Matrix " + row.name, "severity": "high", "regimes": []string{"eu-gdpr", "eu-nis2"},
		"aware_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)}
	if closable {
		body["regimes"] = []string{"us-sec-8k"}
	}
	code, inc := c.do("POST", "/api/v1/incidents", adminToken, body)
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	if row.inIncident {
		c.act(adminToken, id, map[string]any{"type": "assign_role", "role": row.role, "user": row.slackID})
	}
	if closable {
		return id
	}
	for _, task := range []string{"isolate", "preserve-evidence", "revoke-credentials", "appoint-roles", "record-awareness"} {
		c.act(adminToken, id, map[string]any{"type": "complete_task", "task": task})
	}
	st := c.act(adminToken, id, map[string]any{"type": "record_notification", "regime": sentRegime, "obligation": sentObligation, "reference": "EW-1"})
	require.Equal(t, "assess", st["phase"], "the contain phase is done: the assess phase's task and gate are current")
	return id
}

// deniedEvents returns the incident's action.denied entries.
func deniedEvents(t *testing.T, c apiClient, id string) []map[string]any {
	t.Helper()
	return slices.DeleteFunc(timelineEvents(t, c, id), func(ev map[string]any) bool { return ev["kind"] != "action.denied" })
}

// eventData is an event's data as an object.
func eventData(t *testing.T, ev map[string]any) map[string]any {
	t.Helper()
	d, ok := ev["data"].(map[string]any)
	require.True(t, ok, "event data is an object: %v", ev)
	return d
}

// TestRBACMatrixThroughTheAPI asks every role for every incident action
// through POST /api/v1/incidents/{id}/actions (create_notice: POST
// .../notices) and checks each answer and the timeline against the
// written-out matrix.
func TestRBACMatrixThroughTheAPI(t *testing.T) {
	start := time.Now()
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), map[string]string{"IRBOT_USERS_FILE": writeMatrixUsers(t)})
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	ready := time.Since(start)

	cells, refusals := 0, 0
	for _, row := range matrixRows {
		id := matrixIncident(t, c, row, false)
		for _, action := range matrixActions {
			target := id
			allowed := slices.Contains(matrixAllowed[action], row.role)
			if action == "close" && allowed {
				target = matrixIncident(t, c, row, true) // closing is for good: its own incident
			}
			path, wantOK := "/api/v1/incidents/"+target+"/actions", http.StatusOK
			if action == "create_notice" {
				path, wantOK = "/api/v1/incidents/"+target+"/notices", http.StatusCreated
			}
			before := deniedEvents(t, c, target)
			code, out := c.do("POST", path, row.token, matrixPayload(action, row, time.Now()))
			after := deniedEvents(t, c, target)
			cells++
			if allowed {
				require.Equal(t, wantOK, code, "%s may %s, but the API answered: %v", row.name, action, out)
				require.Len(t, after, len(before), "%s × %s succeeded, yet a refusal was recorded: %v", row.name, action, after)
				continue
			}
			refusals++
			require.Equal(t, http.StatusForbidden, code, "%s may not %s: a role refusal is 403, got %v", row.name, action, out)
			msg, _ := out["error"].(string)
			for _, w := range matrixDenialWords(action, row) {
				require.Contains(t, msg, w, "%s × %s: the refusal names who may", row.name, action)
			}
			require.Len(t, after, len(before)+1, "%s × %s: one action.denied per refusal", row.name, action)
			ev := after[len(after)-1]
			require.Equal(t, row.slackID, ev["actor"], "%s × %s: the refusal names who asked", row.name, action)
			d := eventData(t, ev)
			require.Equal(t, action, d["action"], "%s × %s: the refusal names the action", row.name, action)
			require.Equal(t, msg, d["reason"], "%s × %s: the timeline keeps the reason the person was given", row.name, action)
			require.Equal(t, "api", d["source"], "%s × %s", row.name, action)
		}
	}
	t.Logf("RBAC matrix through the API: %d cells (%d refusals) in %s (server ready in %s, %d incidents)",
		cells, refusals, time.Since(start).Round(time.Millisecond), ready.Round(time.Millisecond), len(matrixRows)+3)
}

// slackNotOffered are the incident actions Slack has no command, button or
// form for: a law-enforcement delay and an authority's case number are
// rare, written with care, and taken in the console or the API.
// TestSlackOffersEveryActionButTheListed keeps this list true.
var slackNotOffered = []string{"delay_clock", "add_reference"}

// TestSlackOffersEveryActionButTheListed reads the Slack adapter's source:
// it names the constant of every incident action (a command, a button or a
// form takes it) except slackNotOffered's. A new action without a Slack
// path, or a Slack path for a listed one, fails here until the list (and
// the matrix through Slack) says so.
func TestSlackOffersEveryActionButTheListed(t *testing.T) {
	names := map[string]string{} // action -> its constant's name in workflows
	inspectSource(t, filepath.Join("..", "..", "workflows"), func(n ast.Node) {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				if lit, ok := valueAt(vs, i).(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.HasPrefix(name.Name, "Action") {
					names[strings.Trim(lit.Value, `"`)] = name.Name
				}
			}
		}
	})
	used := map[string]bool{}
	inspectSource(t, filepath.Join("..", "..", "internal", "slackbot"), func(n ast.Node) {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "workflows" {
				used[sel.Sel.Name] = true
			}
		}
	})
	for _, action := range matrixActions {
		name := names[action]
		require.NotEmpty(t, name, "workflows has no constant for %s", action)
		require.Equal(t, !slices.Contains(slackNotOffered, action), used[name],
			"%s: Slack offers every incident action except %v (a changed Slack path? update slackNotOffered)", action, slackNotOffered)
	}
}

// inspectSource calls visit on every node of the Go files (not tests) in
// dir.
func inspectSource(t *testing.T, dir string, visit func(ast.Node)) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, dir)
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			visit(n)
			return true
		})
	}
}

// valueAt is the i-th value of a declaration, or nil.
func valueAt(vs *ast.ValueSpec, i int) ast.Expr {
	if i < len(vs.Values) {
		return vs.Values[i]
	}
	return nil
}

// slackIncident is an incident as the Slack cells need it: its channel and
// card, once irbot has made them.
type slackIncident struct{ id, channel, card string }

func waitSlackIncident(t *testing.T, c apiClient, id string) slackIncident {
	t.Helper()
	var inc slackIncident
	require.Eventually(t, func() bool {
		_, st := c.do("GET", "/api/v1/incidents/"+id, adminToken, nil)
		s, _ := st["slack"].(map[string]any)
		inc.channel, _ = s["channel_id"].(string)
		inc.card, _ = s["card_ts"].(string)
		return inc.channel != "" && inc.card != ""
	}, 30*time.Second, 50*time.Millisecond, "incident %s must get its channel and card", id)
	inc.id = id
	return inc
}

// timelineEvents is the incident's whole timeline.
func timelineEvents(t *testing.T, c apiClient, id string) []map[string]any {
	t.Helper()
	code, tl := c.do("GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", tl)
	var out []map[string]any
	for _, e := range tl["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// sendSlack asks for action as row the way Slack offers it: a slash
// command in the incident's channel, the card's Approve button, or the
// snooze and notify forms. answer names the response URL.
func sendSlack(sc *slackClient, fake *slackfake.Server, row matrixRow, action string, inc slackIncident, answer string) {
	c := matrixClock[action]
	clock := c[0] + "/" + c[1]
	p := matrixPayload(action, row, time.Now())
	url := fake.ResponseURL(answer)
	switch action {
	case "note":
		sc.command(row.slackID, inc.channel, "note "+p["text"].(string), url)
	case "set_fact":
		sc.command(row.slackID, inc.channel, "aware 2h ago", url)
	case "set_severity":
		sc.command(row.slackID, inc.channel, "severity "+p["severity"].(string), url)
	case "assign_role":
		sc.command(row.slackID, inc.channel, "role "+p["role"].(string)+" <@"+spareSlackID+">", url)
	case "complete_task":
		sc.command(row.slackID, inc.channel, "task done "+p["task"].(string), url)
	case "approve":
		sc.press(row.slackID, inc.channel, inc.card, tpl.ActionApprove, tpl.Value(inc.id, p["gate"].(string)), url)
	case "record_notification":
		sc.command(row.slackID, inc.channel, "notified "+clock+" "+p["reference"].(string), url)
	case "decide_not_to_notify":
		sc.command(row.slackID, inc.channel, "not-notify "+clock+" "+p["reason"].(string), url)
	case "snooze_clock":
		sc.submitView(row.slackID, "V-"+answer, tpl.CallbackSnooze, tpl.Value(inc.id, clock), nil)
	case "create_notice":
		sc.submitView(row.slackID, "V-"+answer, tpl.CallbackNotify, tpl.Value(inc.id, clock),
			map[string]map[string]any{tpl.BlockRecipients: textInput(strings.Join(p["to"].([]string), ", "))})
	case "close":
		sc.command(row.slackID, inc.channel, "close "+p["reason"].(string), url)
	default:
		panic("Slack does not offer " + action)
	}
}

// privateAnswer waits for irbot's answer to a cell and checks it is private:
// on the response URL (ephemeral), or an ephemeral message to the person
// (forms answer there), after the first skip ephemerals.
func privateAnswer(t *testing.T, fake *slackfake.Server, answer, user string, skip int) string {
	t.Helper()
	var got, kind string
	require.Eventually(t, func() bool {
		for _, r := range fake.Responses() {
			if r["_path"] == answer {
				got, kind = fmt.Sprint(r["text"]), fmt.Sprint(r["response_type"])
				return true
			}
		}
		eph := fake.Ephemerals()
		for _, e := range eph[min(skip, len(eph)):] {
			if e.User == user {
				got, kind = e.Text, "ephemeral"
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "%s must be answered privately (%s)", user, answer)
	require.Equal(t, "ephemeral", kind, "%s: irbot answers privately, not in the channel: %q", answer, got)
	return got
}

// TestRBACMatrixThroughSlack asks every role for every incident action Slack
// offers, as the Slack user the users file maps to that person, and checks
// each answer and the timeline against the written-out matrix: a refusal
// is answered privately with the words the API's 403 carries and recorded
// once; an allowed action is applied and nothing is refused.
func TestRBACMatrixThroughSlack(t *testing.T) {
	start := time.Now()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := startSlackMainEnv(t, fake, map[string]string{"IRBOT_USERS_FILE": writeMatrixUsers(t)})
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	api := apiClient{t: t, base: "http://" + m.Addr()}
	ready := time.Since(start)

	cells, refusals, incidents := 0, 0, 0
	for ri, row := range matrixRows {
		inc := waitSlackIncident(t, api, matrixIncident(t, api, row, false))
		incidents++
		for _, action := range matrixActions {
			if slices.Contains(slackNotOffered, action) {
				continue
			}
			allowed := slices.Contains(matrixAllowed[action], row.role)
			target := inc
			if action == "close" && allowed {
				target = waitSlackIncident(t, api, matrixIncident(t, api, row, true))
				incidents++
			}
			before := len(deniedEvents(t, api, target.id))
			skip := len(fake.Ephemerals())
			answer := fmt.Sprintf("r%d-%s", ri, action)
			sendSlack(sc, fake, row, action, target, answer)
			cells++

			// Done when the person is answered (a refusal is recorded
			// before it is answered); an approval is answered on the card.
			var got string
			if allowed && action == "approve" {
				require.Eventually(t, func() bool {
					return slices.ContainsFunc(timelineEvents(t, api, target.id), func(ev map[string]any) bool {
						return ev["kind"] == "gate.approved" && ev["actor"] == row.slackID
					})
				}, 30*time.Second, 50*time.Millisecond, "%s × approve through Slack: the gate must be approved; answers: %v", row.name, fake.Responses())
			} else {
				got = privateAnswer(t, fake, answer, row.slackID, skip)
			}
			denied := deniedEvents(t, api, target.id)[before:]
			if allowed {
				require.Empty(t, denied, "%s may %s, but Slack refused it: %q", row.name, action, got)
				continue
			}
			refusals++
			require.Len(t, denied, 1, "%s × %s: one action.denied per refusal, got %v", row.name, action, denied)
			require.Equal(t, row.slackID, denied[0]["actor"], "%s × %s: the refusal names who asked", row.name, action)
			d := eventData(t, denied[0])
			require.Equal(t, action, d["action"], "%s × %s: the refusal names the action", row.name, action)
			require.Equal(t, "slack", d["source"], "%s × %s: the refusal says it came from Slack", row.name, action)
			reason, _ := d["reason"].(string)
			for _, w := range matrixDenialWords(action, row) {
				require.Contains(t, reason, w, "%s × %s: the refusal names who may", row.name, action)
			}
			require.Contains(t, got, reason, "%s × %s: Slack answers in the words the API's 403 carries", row.name, action)
		}
		// A refusal recorded late (twice) would show up here.
		n := len(deniedEvents(t, api, inc.id))
		want := 0
		for _, action := range matrixActions {
			if !slices.Contains(slackNotOffered, action) && !slices.Contains(matrixAllowed[action], row.role) {
				want++
			}
		}
		require.Equal(t, want, n, "%s: every refusal on its incident is on the timeline once", row.name)
	}
	t.Logf("RBAC matrix through Slack: %d cells (%d refusals) in %s (server ready in %s, %d incidents)",
		cells, refusals, time.Since(start).Round(time.Millisecond), ready.Round(time.Millisecond), incidents)
}
