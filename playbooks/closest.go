package playbooks

// Closest suggests which of allowed a typed word was probably meant to be
// ("" when none is close): the same rule that suggests playbook keys, used
// by the Slack command parser for "did you mean …?".
func Closest(got string, allowed []string) string { return playbookClosestKey(got, allowed) }
