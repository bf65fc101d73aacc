package workflows

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Business rules on what a person states, in one place. The incident service
// and the Update validators call them; surfaces (Slack modals, the console)
// may call them too, to show the same words under the field, but never
// restate them.

// MinRationale is the shortest documented reason, in characters: a decision
// not to notify, a law-enforcement delay ("at least a sentence").
const MinRationale = 10

// MaxFutureSkew is how far a stated moment that has happened (awareness,
// the time a notice was sent) may lie after the moment it is recorded: the
// clock skew between the person's machine and irbot.
const MaxFutureSkew = 5 * time.Minute

// Documented reports whether reason is long enough to document a decision:
// at least MinRationale characters once trimmed.
func Documented(reason string) bool {
	return utf8.RuneCountInString(strings.TrimSpace(reason)) >= MinRationale
}

// CheckNotNotifyRationale refuses an undocumented decision not to notify.
func CheckNotNotifyRationale(reason string) error {
	if !Documented(reason) {
		return rejection("a decision not to notify must be documented: give the rationale (reason), at least a sentence (%d characters)", MinRationale)
	}
	return nil
}

// CheckRejectReason refuses a notice's rejection without a reason: its
// drafter must learn what to change.
func CheckRejectReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return rejection("a rejection needs a reason, so the drafter knows what to change")
	}
	return nil
}

// CheckHappened refuses a stated moment (field, e.g. aware_at or sent_at)
// more than MaxFutureSkew after now.
func CheckHappened(field string, t, now time.Time) error {
	if t.After(now.Add(MaxFutureSkew)) {
		return rejection("%s %s is in the future (it is now %s): give a moment that has happened", field, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckFactTime applies CheckHappened to the time a set_fact states (aware_at,
// discovered_at and the other trigger facts). The sent_at of
// record_notification is checked by its Update validator against the
// workflow's clock.
func CheckFactTime(a Action, now time.Time) error {
	if _, trigger := TriggerFacts[a.Name]; a.Type != ActionSetFact || !trigger {
		return nil
	}
	v, err := NormalizeFact(a.Name, a.Value)
	if err != nil {
		return err
	}
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return CheckHappened(a.Name, t, now)
}
