// Package playbooks holds the data irbot runs incidents from, and the code
// that loads and validates it: playbook files (the phases, tasks and approval
// gates of a response, with the reminder and escalation policy for its
// regulatory clocks), drill scenario files, and regime-rule files (which
// regulator must be told what, and by when).
//
// The default playbook, data-breach.yaml, is embedded in the binary; others
// are loaded from a path with [LoadPlaybookFile] and checked with
// [ValidatePlaybookFiles], which reports every problem with its file, line
// and column. A [Playbook] is pinned, JSON-serialised, into each incident's
// workflow input when the incident is declared, so its JSON field names are
// part of the workflow history format: add fields, never rename them.
package playbooks
