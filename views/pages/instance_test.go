package pages

import (
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// Each state marks where the request stands, and the step in progress is
// named as what is happening.
func TestSteps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		r    domain.Request
		want []Step
	}{
		{domain.Request{Status: domain.StatusPendingApproval},
			[]Step{{"Submitted", StepDone}, {"Awaiting approval", StepCurrent}, {"Creating", StepTodo}, {"Ready", StepTodo}}},
		{domain.Request{Status: domain.StatusRejected},
			[]Step{{"Submitted", StepDone}, {"Rejected", StepStopped}, {"Creating", StepTodo}, {"Ready", StepTodo}}},
		{domain.Request{Status: domain.StatusCancelled},
			[]Step{{"Submitted", StepDone}, {"Cancelled", StepStopped}, {"Creating", StepTodo}, {"Ready", StepTodo}}},
		{domain.Request{Status: domain.StatusProvisioning},
			[]Step{{"Submitted", StepDone}, {"Approved", StepDone}, {"Creating", StepCurrent}, {"Ready", StepTodo}}},
		{domain.Request{Status: domain.StatusFailed},
			[]Step{{"Submitted", StepDone}, {"Approved", StepDone}, {"Creating", StepStopped}, {"Ready", StepTodo}}},
		{domain.Request{Status: domain.StatusSucceeded, InstanceStatus: "Creating"},
			[]Step{{"Submitted", StepDone}, {"Approved", StepDone}, {"Creating", StepCurrent}, {"Ready", StepTodo}}},
		{domain.Request{Status: domain.StatusSucceeded},
			[]Step{{"Submitted", StepDone}, {"Approved", StepDone}, {"Creating", StepCurrent}, {"Ready", StepTodo}}},
		{domain.Request{Status: domain.StatusSucceeded, InstanceStatus: "Released"},
			[]Step{{"Submitted", StepDone}, {"Approved", StepDone}, {"Creating", StepDone}, {"Ready", StepStopped}}},
		{domain.Request{Status: domain.StatusSucceeded, InstanceStatus: domain.InstanceNormal},
			[]Step{{"Submitted", StepDone}, {"Approved", StepDone}, {"Creating", StepDone}, {"Ready", StepDone}}},
	}
	for _, c := range cases {
		got := Steps(c.r)
		if len(got) != len(c.want) {
			t.Fatalf("%s: %v", c.r.Status, got)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s/%s: step %d = %v, want %v", c.r.Status, c.r.InstanceStatus, i, got[i], c.want[i])
			}
		}
	}
}
