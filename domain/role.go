package domain

import "fmt"

// Role is what a user may do. Roles are cumulative: an approver can also
// request, an admin can also approve.
type Role string

// The roles, from least to most.
const (
	RoleRequester Role = "requester"
	RoleApprover  Role = "approver"
	RoleAdmin     Role = "admin"
)

// Roles lists every role, least first.
func Roles() []Role { return []Role{RoleRequester, RoleApprover, RoleAdmin} }

func (r Role) rank() int {
	switch r {
	case RoleRequester:
		return 1
	case RoleApprover:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r includes min.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q: use requester, approver or admin", s)
	}
	return r, nil
}
