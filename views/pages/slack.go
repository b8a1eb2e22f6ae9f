package pages

import (
	"time"

	"github.com/kvportal/kvportal/views/components"
)

// SlackView is the Slack settings page: the signed-in user's link between
// their Slack account and their portal account.
type SlackView struct {
	// Enabled: the portal has a Slack app (PORTAL_SLACK_*); without one
	// the page only says so.
	Enabled bool
	// Linked is the linked Slack member id ("" for none), since LinkedAt.
	Linked   string
	LinkedAt time.Time
	// Pending is the member id a code was sent to and waits for ("" for
	// none).
	Pending string
	// Member asks for the member id to send a code to; Code for the code.
	Member components.Field
	Code   components.Field
	Errors []components.FieldError
}
