package components

import "github.com/kvportal/kvportal/domain"

// RequestLabel is what a request's badge says: its state's label, but for
// a succeeded request whose instance the cloud is still setting up. The
// call has succeeded (the state stays succeeded), yet there is nothing to
// connect to: "Succeeded" beside a "being set up" banner would tell two
// stories.
func RequestLabel(r domain.Request) string {
	if SettingUp(r) {
		return "Setting up"
	}
	return r.Status.Label()
}

// SettingUp reports whether r succeeded and its instance is not settled
// yet (Creating, or no status reported so far).
func SettingUp(r domain.Request) bool {
	return r.Status == domain.StatusSucceeded && !domain.InstanceSettled(r.InstanceStatus)
}
