package workflows

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/policy"
)

var assignRoleAction = incidentAction{
	name:     ActionAssignRole,
	describe: "gives a role in this incident to a person, replacing its holder (role, user); a person may claim a role they hold in the users file",
	validate: func(inc *incident, a Action, _ time.Time) error {
		if !slices.Contains(policy.Roles, a.Role) {
			return rejection("unknown role %q; roles are %s", a.Role, strings.Join(policy.Roles, ", "))
		}
		if strings.TrimSpace(a.User) == "" {
			return rejection("assign_role needs the user who takes the role")
		}
		self := a.User == a.Actor.ID && slices.Contains(a.Actor.Roles, a.Role)
		if !self && !policy.Allowed(ActionAssignRole, inc.effectiveRoles(a.Actor)) {
			return denied("only the commander, a manager or an admin may assign %s to someone else; you may claim a role you hold in the users file", a.Role)
		}
		assignee := a.AssigneeRoles
		if a.User == a.Actor.ID {
			assignee = a.Actor.Roles
		}
		if err := policy.CanAssign(a.Role, assignee); err != nil {
			return denied("%v", err)
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		kept := inc.state.Roles[:0:0]
		for _, r := range inc.state.Roles {
			if r.Role != a.Role {
				kept = append(kept, r)
			}
		}
		inc.state.Roles = append(kept, RoleAssignment{Role: a.Role, User: a.User, By: at.actor, At: at.now})
		return inc.recordEvent(ctx, "role.assigned", at.actor, at.with("role", a.Role, "user", a.User), nil)
	},
}
