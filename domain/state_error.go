package domain

import (
	"errors"
	"fmt"
)

// ErrStateChanged: a step found its row (a request, a token) in another
// state than the one it moves from; nothing was changed.
var ErrStateChanged = errors.New("state changed")

// StateError is the ErrStateChanged of a request's step, with the request
// as it was found, so that the person can be told who decided it first. It
// is domain's so that every caller of a step (a page, the API, the
// provisioner) reads it without the store.
type StateError struct {
	Current Request
}

func (e *StateError) Error() string {
	return fmt.Sprintf("request %d is %s", e.Current.ID, e.Current.Status)
}

// AlreadyDecided says, in words every interface shows, that a decision on
// r came too late: who decided it first, and that nothing was changed.
func AlreadyDecided(r Request) string {
	id := fmt.Sprint(r.ID)
	by := ""
	if r.DeciderName != "" {
		by = " by " + r.DeciderName
	}
	switch r.Status {
	case StatusRejected:
		return "Request " + id + " was already rejected" + by + ": nothing was changed."
	case StatusCancelled:
		return "Request " + id + " was already cancelled by its requester: nothing was changed."
	case StatusPendingApproval:
		return "Request " + id + " is still pending: nothing was changed."
	}
	return "Request " + id + " was already approved" + by + ": nothing was changed."
}

// Is makes errors.Is(err, ErrStateChanged) true.
func (e *StateError) Is(target error) bool { return target == ErrStateChanged }

// ChangeHeldError refuses a change of an instance that already has one in
// progress (pending, approved or provisioning): one change at a time, so
// that two changes never race at the cloud. RequestID is the request that
// holds the instance.
type ChangeHeldError struct {
	InstanceID string
	RequestID  int64
}

func (e *ChangeHeldError) Error() string {
	return fmt.Sprintf("Instance %s already has a change in progress: request %d. One change at a time: "+
		"wait for it to end (or cancel it, if it is yours and still pending). Nothing was submitted.", e.InstanceID, e.RequestID)
}
