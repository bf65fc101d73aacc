package deadline

import (
	"fmt"
	"strings"
	"time"
)

// How every surface words time left and margins, in one place: the Slack
// card, clocks pages and alerts, the workflows' alert and escalation texts,
// `irbot clocks`, the CLI's `show`, the evidence report and the register.

// Span words a duration for people, to the minute and without its sign:
// "4 d 23 h" (minutes dropped from a day on), "22 h", "3 h 5 min", "12 min",
// "under 1 min".
func Span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	switch {
	case days > 0:
		parts = append(parts, fmt.Sprintf("%d d", days))
		if hours > 0 {
			parts = append(parts, fmt.Sprintf("%d h", hours))
		}
	case hours > 0:
		parts = append(parts, fmt.Sprintf("%d h", hours))
		if mins > 0 {
			parts = append(parts, fmt.Sprintf("%d min", mins))
		}
	case mins > 0:
		parts = append(parts, fmt.Sprintf("%d min", mins))
	default:
		return "under 1 min"
	}
	return strings.Join(parts, " ")
}

// Left words the time until due as seen at now: "due in 3 h 5 min", or
// "overdue by 4 d 23 h" once due has passed.
func Left(due, now time.Time) string {
	if d := due.Sub(now); d > 0 {
		return "due in " + Span(d)
	}
	return "overdue by " + Span(now.Sub(due))
}

// Settled words the margin of a settled clock from its met_by or late_by
// (each a Span): "met with 22 h to spare", "late by 4 d 23 h", or "" when
// neither is known.
func Settled(metBy, lateBy string) string {
	switch {
	case metBy != "":
		return "met with " + metBy + " to spare"
	case lateBy != "":
		return "late by " + lateBy
	}
	return ""
}
