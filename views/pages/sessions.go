package pages

import (
	"strconv"
	"time"
)

// SessionRow is one of the user's signed-in sessions.
type SessionRow struct {
	ID       int64
	Browser  string
	Address  string
	Started  time.Time
	LastSeen time.Time
	// Current is the session this page is shown in.
	Current bool
}

// SessionsView is the user's sessions page.
type SessionsView struct {
	Now  time.Time
	Rows []SessionRow
	// Idle and Absolute are the session timeouts.
	Idle, Absolute time.Duration
}

// sessionURL is the base of the actions on session id.
func sessionURL(id int64) string { return "/settings/sessions/" + strconv.FormatInt(id, 10) }
