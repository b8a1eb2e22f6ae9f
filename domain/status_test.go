package domain

import "testing"

// A failed or approved request succeeds only when its instance was found by
// its tag; every other move needs no cause.
func TestCanMoveWithNeedsTheCauseOfAnAdoption(t *testing.T) {
	byTag := Details{KeyFoundByTag: "by its tag kvportal:request=7"}
	cases := []struct {
		from, to Status
		d        Details
		want     bool
	}{
		{StatusFailed, StatusSucceeded, nil, false},
		{StatusFailed, StatusSucceeded, Details{KeyAttempt: 3}, false},
		{StatusFailed, StatusSucceeded, byTag, true},
		{StatusApproved, StatusSucceeded, nil, false},
		{StatusApproved, StatusSucceeded, byTag, true},
		{StatusProvisioning, StatusSucceeded, nil, true},
		{StatusFailed, StatusApproved, nil, true},
		{StatusRejected, StatusSucceeded, byTag, false},
		{StatusCancelled, StatusSucceeded, byTag, false},
	}
	for _, c := range cases {
		if got := CanMoveWith(c.from, c.to, c.d); got != c.want {
			t.Errorf("%s → %s with %v: %v, want %v", c.from, c.to, c.d, got, c.want)
		}
	}
}
