package domain

// Status is where a request is in its life.
type Status string

// The states of a request; transitions below is the only way between them.
const (
	StatusPendingApproval Status = "pending_approval"
	StatusApproved        Status = "approved"
	StatusProvisioning    Status = "provisioning"
	StatusSucceeded       Status = "succeeded"
	StatusFailed          Status = "failed"
	StatusRejected        Status = "rejected"
	StatusCancelled       Status = "cancelled"
)

// Statuses lists every state in the order of a request's life.
func Statuses() []Status {
	return []Status{StatusPendingApproval, StatusApproved, StatusProvisioning, StatusSucceeded,
		StatusFailed, StatusRejected, StatusCancelled}
}

// Valid reports whether s is one of the states.
func (s Status) Valid() bool {
	for _, v := range Statuses() {
		if v == s {
			return true
		}
	}
	return false
}

// Label is the state as people read it.
func (s Status) Label() string {
	switch s {
	case StatusPendingApproval:
		return "Pending approval"
	case StatusApproved:
		return "Approved"
	case StatusProvisioning:
		return "Provisioning"
	case StatusSucceeded:
		return "Succeeded"
	case StatusFailed:
		return "Failed"
	case StatusRejected:
		return "Rejected"
	case StatusCancelled:
		return "Cancelled"
	}
	return string(s)
}

// Terminal reports whether nothing more happens to a request in state s
// (a failed request can still be re-queued by an admin).
func (s Status) Terminal() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusRejected, StatusCancelled:
		return true
	}
	return false
}

// transitions is the whole state machine: from → allowed targets.
var transitions = map[Status][]Status{
	StatusPendingApproval: {StatusApproved, StatusRejected, StatusCancelled},
	// approved → failed: no provisioning job is left to work on it (the
	// provisioner's sweep for stranded requests).
	// approved → succeeded and failed → succeeded: the instance was found
	// in the cloud by its kvportal:request tag after an answer was lost
	// (store.AdoptInstance), the only way to succeed without provisioning.
	StatusApproved:     {StatusProvisioning, StatusFailed, StatusSucceeded},
	StatusProvisioning: {StatusSucceeded, StatusFailed, StatusApproved},
	StatusFailed:       {StatusApproved, StatusSucceeded},
}

// byTagOnly are the moves made for one cause only: the request's instance
// was found in the cloud by its kvportal:request tag (the event's
// KeyFoundByTag says how). Nothing else may make an approved or a failed
// request succeed: a success otherwise comes from a call's own answer.
var byTagOnly = map[[2]Status]bool{
	{StatusApproved, StatusSucceeded}: true,
	{StatusFailed, StatusSucceeded}:   true,
}

// CanMoveWith reports whether the state machine allows from → to with the
// move's audit details d: CanMove, and for a move made for one cause only
// (an instance found by its tag), d saying that cause.
func CanMoveWith(from, to Status, d Details) bool {
	if !CanMove(from, to) {
		return false
	}
	return !byTagOnly[[2]Status{from, to}] || d.String(KeyFoundByTag) != ""
}

// CanMove reports whether the state machine allows from → to, whatever the
// cause (CanMoveWith checks the cause of the moves that need one).
func CanMove(from, to Status) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}
