package domain_test

import (
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// Each action's sentence puts its details in: quoted, counted, and a part
// whose detail is missing left out; the details it names or covers are
// said, so that nobody lists them again.
func TestActionSentences(t *testing.T) {
	for _, c := range []struct {
		action string
		d      domain.Details
		want   string
		said   []domain.DetailKey
	}{
		{domain.ActionLoginFailed, domain.Details{domain.KeyUsername: "dev"}, `failed sign-in as "dev"`, []domain.DetailKey{domain.KeyUsername}},
		{domain.ActionSessionsEnded, domain.Details{domain.KeySessions: 1, domain.KeyUsername: "dev"}, "ended 1 session of dev", nil},
		{domain.ActionSessionsEnded, domain.Details{domain.KeySessions: 3, domain.KeyUsername: "dev"}, "ended 3 sessions of dev", nil},
		{domain.ActionInstanceStatus, domain.Details{domain.KeyTo: "Normal", domain.KeyFrom: "Creating"},
			"saw the instance status change to Normal (it was Creating)", []domain.DetailKey{domain.KeyFrom, domain.KeyTo}},
		{domain.ActionInstanceStatus, domain.Details{domain.KeyTo: "Normal"}, "saw the instance status change to Normal", nil},
		{domain.ActionTeamMemberAdded, domain.Details{domain.KeyUsername: "dev", domain.KeyTeam: "payments", domain.KeyTeamID: 3},
			"added dev to team payments", []domain.DetailKey{domain.KeyTeamID, domain.KeyUserID}},
		{"some.new_action", nil, "some.new_action", nil},
	} {
		got, said := domain.ActionOf(c.action).Sentence(c.d)
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.action, got, c.want)
		}
		for _, k := range c.said {
			if !said[k] {
				t.Errorf("%s: %s not said", c.action, k)
			}
		}
	}
	if _, said := domain.ActionOf(domain.ActionInstanceStatus).Sentence(domain.Details{domain.KeyFrom: "Creating"}); said[domain.KeyTo] {
		t.Error("a part left out still counts its detail as said")
	}
}

// Every action has its words, and none is listed twice.
func TestActionTableIsWhole(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range domain.Actions() {
		if seen[a] {
			t.Errorf("%s listed twice", a)
		}
		seen[a] = true
		if info := domain.ActionOf(a); info.Says == "" || info.Says == a {
			t.Errorf("%s has no words", a)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[string]string{"0": "0 findings", "1": "1 finding", "2": "2 findings"} {
		if got := domain.Count(n, "finding"); got != want {
			t.Errorf("Count(%s) = %q, want %q", n, got, want)
		}
	}
}
