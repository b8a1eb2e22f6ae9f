package pages

import (
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
)

// StepState is how far a request is along one of its steps.
type StepState string

// The states of a step, also its data-state attribute.
const (
	StepDone    StepState = "done"
	StepCurrent StepState = "current"
	StepTodo    StepState = "todo"
	StepStopped StepState = "stopped" // the request ended here (rejected, cancelled, failed)
)

// Step is one step of a request's way to a usable instance.
type Step struct {
	Label string
	State StepState
}

// Steps are the request's way: submitted → approved → creating → ready.
// A request ends at Ready only once its instance is Normal: until then the
// cloud is still creating it, whatever the request's state.
func Steps(r domain.Request) []Step {
	steps := []Step{{"Submitted", StepDone}, {"Approved", StepTodo}, {"Creating", StepTodo}, {"Ready", StepTodo}}
	if r.Kind.IsChange() {
		// A change is done when the cloud made it; a new class once the
		// instance serves with it (Normal again).
		steps[2].Label, steps[3].Label = "Applying", "Done"
		if r.Status == domain.StatusSucceeded && (r.Kind != domain.KindModifySpec || r.InstanceStatus != "Changing") {
			steps[1].State, steps[2].State, steps[3].State = StepDone, StepDone, StepDone
			return steps
		}
	}
	switch r.Status {
	case domain.StatusPendingApproval:
		// Said as what is happening: "Approved" in bold reads as done.
		steps[1] = Step{"Awaiting approval", StepCurrent}
	case domain.StatusRejected, domain.StatusCancelled:
		// The step says what became of the request, not what did not.
		steps[1] = Step{r.Status.Label(), StepStopped}
	case domain.StatusApproved, domain.StatusProvisioning:
		steps[1].State, steps[2].State = StepDone, StepCurrent
	case domain.StatusFailed:
		steps[1].State, steps[2].State = StepDone, StepStopped
	case domain.StatusSucceeded:
		steps[1].State, steps[2].State = StepDone, StepCurrent
		switch {
		case r.InstanceStatus == domain.InstanceNormal:
			steps[2].State, steps[3].State = StepDone, StepDone
		case domain.InstanceSettled(r.InstanceStatus):
			steps[2].State, steps[3].State = StepDone, StepStopped
		}
	}
	return steps
}

// stepLabel is what a screen reader hears for a step.
func stepLabel(s Step) string {
	switch s.State {
	case StepDone:
		return s.Label + ": done"
	case StepCurrent:
		return s.Label + ": in progress"
	case StepStopped:
		return s.Label + ": stopped here"
	}
	return s.Label + ": not yet"
}

// addressID is the id of request id's connection address input.
func addressID(id int64) string { return "address-" + itoa(id) }

// privateID is the id of request id's private address input.
func privateID(id int64) string { return "private-" + itoa(id) }

// InstancesView is a list of instances: the viewer's and their teams', or
// for an admin every instance, filterable (Filter set).
type InstancesView struct {
	Now       time.Time
	Instances []domain.Instance
	NextURL   string
	// Filter is the admins' filter form; nil for anyone else's list.
	Filter *FilterForm
}

// InstanceView is an instance's page.
type InstanceView struct {
	Now time.Time
	I   domain.Instance
	// Capacity is its class's memory in words ("" when unknown).
	Capacity string
	// Requests are its creation and every change asked for, newest first.
	Requests []domain.Request
	// HeldBy is the change in progress (0: none): the next waits for it.
	HeldBy int64
}

// instanceURL is the address of an instance's page.
func instanceURL(id string) string { return "/instances/" + id }

// instanceName is how an instance is called: its name, else its id.
func instanceName(i domain.Instance) string {
	if i.InstanceName != "" {
		return i.InstanceName
	}
	return i.InstanceID
}

// instancePlacement is "cn-hangzhou / cn-hangzhou-b".
func instancePlacement(i domain.Instance) string {
	return placement(domain.Params{RegionId: i.RegionID, ZoneId: i.ZoneID})
}

// RetryView is the requester's form to retry a failed request whose
// password was erased, with a new one.
type RetryView struct {
	Password components.Field
}

// DriftRow is one finding of a drift check.
type DriftRow struct {
	InstanceID string
	Kind       string // missing, unknown, class, name, status
	What       string // the kind in words
	Portal     string
	Cloud      string
	RegionID   string
	RequestID  int64 // 0: none
	FirstSeen  time.Time
}

// DriftView is the last drift check.
type DriftView struct {
	Now       time.Time
	CheckedAt time.Time // zero: never
	Problems  []string
	Rows      []DriftRow
	CanCheck  bool
}

// ChangeView is the form of one kind of change of an instance.
type ChangeView struct {
	Now  time.Time
	I    domain.Instance
	Spec domain.KindSpec
	// Refusal says why the instance can't have this change ("": it can).
	Refusal string
	// HeldBy is the request that holds the instance with a change in
	// progress; 0 when none does.
	HeldBy int64
	Fields []components.Field
	// Errors are the submission's field errors; FormError the one about
	// the request as a whole; Summary lists them at the top.
	Errors    domain.FieldErrors
	FormError string
	Summary   []components.FieldError
	// CurrentPrice and NewPrice are the monthly estimates of a new class
	// beside the current one ("" when unknown).
	CurrentPrice string
	NewPrice     string
}

// changeURL is the form of a kind of change of instance id.
func changeURL(id string, k domain.RequestKind) string {
	return "/instances/" + id + "/change?kind=" + string(k)
}

// changeDone says where a change that succeeded left its instance.
func changeDone(r domain.Request) string {
	switch {
	case r.Kind == domain.KindRelease:
		return "Released: the instance no longer exists."
	case r.Kind == domain.KindModifySpec && r.InstanceStatus == "Changing":
		return "Changing to " + r.Change.InstanceClass + ": done once the instance is Normal again with it."
	case r.Kind == domain.KindModifySpec && r.Change.EffectiveTime == domain.EffectiveMaintain:
		return "Ordered: the class changes to " + r.Change.InstanceClass + " in the instance's maintenance window."
	case r.Kind == domain.KindModifySpec:
		return orDash(r.InstanceStatus) + ", now " + r.Change.InstanceClass + "."
	}
	return "Done: " + r.Kind.Spec().Operation + " made the change (the instance is " + orDash(r.InstanceStatus) + ")."
}

// boolText is "true" or "false", for data attributes.
func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// leaseText says when an instance's lease ends: "released in 3 days", or
// that it ended ("" without a lease).
func leaseText(now time.Time, i domain.Instance) string {
	switch {
	case i.ReleaseAfter == nil:
		return ""
	case i.Released():
		return "lease ended"
	case !i.ReleaseAfter.After(now):
		return "lease ended: release requested"
	}
	return "released " + components.Ago(now, *i.ReleaseAfter)
}
