package pages

import (
	"strconv"
	"time"

	"github.com/kvportal/kvportal/views/components"
)

// TokenRow is one personal access token, never the token itself.
type TokenRow struct {
	ID       int64
	Owner    string
	Name     string
	Created  time.Time
	Expires  time.Time
	LastUsed *time.Time
	Revoked  *time.Time
	// State is "active", "expired" or "revoked".
	State string
}

// Active says whether the token still works, and so can be revoked.
func (r TokenRow) Active() bool { return r.State == "active" }

// TokensView is the personal access tokens page.
type TokensView struct {
	Now time.Time
	// NewName and NewToken are a token just made: shown this once.
	NewName, NewToken string
	// Create is the form that makes a token, with its errors.
	Create []components.Field
	Errors []components.FieldError
	// Own are the signed-in user's tokens; Others, for admins, everyone
	// else's (ShowOthers is set for admins, even when there are none).
	Own, Others []TokenRow
	ShowOthers  bool
}

// tokenURL is the base of the actions on token id.
func tokenURL(id int64) string { return "/settings/tokens/" + strconv.FormatInt(id, 10) }

// stateLabel is a token's state as the list shows it.
func stateLabel(state string) string {
	switch state {
	case "active":
		return "Active"
	case "expired":
		return "Expired"
	case "revoked":
		return "Revoked"
	}
	return state
}
