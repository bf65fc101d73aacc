// Package templates holds irbot's message templates: Slack Block Kit
// messages (templates/slack), email and notice templates, and report
// templates. Each message is built in one place from state, so re-rendering a
// message after a change is the same call as rendering it the first time.
package templates
