// Package admin is the steps that decide who may do what: teams, their
// limits and members; users, their roles and passwords; personal access
// tokens; the approval policies. The admin pages, the JSON API and the
// command line all take these steps here, as they take a request's steps
// through workflow, so that each rule (a name's shape, a limit's range, the
// last admin kept) and each refusal's words are written once, and each
// step's audit event is written by the store in the step's transaction.
//
// It sits beside workflow rather than in it: these steps need only the
// store and the clock, while a request's steps carry the catalog, the
// sealer, the checks and the queue, which a command that adds a user has
// no business opening.
//
// A step answers like a workflow step: the thing as it now is;
// domain.FieldErrors when the input breaks a rule (keyed by the form's
// field names; the command line says them under its flags' names); an
// *Error when the step is refused as a whole; any other error when the
// database failed. By is who takes a step: a user's id, or nil for an
// operator at the console, whom the audit trail names as the system.
package admin

import (
	"strings"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Admin takes the admin steps. Store is required; a zero Clock reads the
// system's.
type Admin struct {
	Store *store.Store
	Clock domain.Clock
}

// Error is a step refused as a whole, with words safe to show.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

// Kind classifies an Error.
type Kind int

// The kinds of Error.
const (
	// NotFound: no such team, user or token (or the actor may not see it).
	NotFound Kind = iota + 1
	// Conflict: the change would break a rule about the whole (the last
	// admin, one's own account); nothing was changed.
	Conflict
)

// The refusals of the steps.
var (
	ErrNoTeam    = &Error{NotFound, "There is no such team."}
	ErrNoUser    = &Error{NotFound, "There is no such user."}
	ErrNoToken   = &Error{NotFound, "There is no such token, or you may not see it."}
	ErrLastAdmin = &Error{Conflict, "Nothing was changed: that would leave no enabled admin."}
	ErrSelf      = &Error{Conflict, "Nothing was changed: you cannot disable your own account."}
	ErrRevoked   = &Error{Conflict, "That token had already been revoked."}
)

// text is a typed name as a step reads it: surrounding white space
// trimmed, and a problem when it holds what no name may (control
// characters, bytes that are not UTF-8), said before any rule of its own
// and before the database sees it.
func text(s string) (string, string) {
	s = strings.TrimSpace(s)
	return s, domain.TextProblem(s)
}
