package domain

import "time"

// Clock tells the time. Every part of the portal that decides by the time
// (a session's expiry, a retry's password window, a token's lifetime, a
// sweep) reads the one Clock that cmd/portal gives it, so that tests move
// all of them together with one settable clock. It lives here, at the
// bottom of the imports, so that every package can take one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the machine's clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Now reads c, or the system's clock when c is nil: a zero config field
// needs no clock of its own.
func Now(c Clock) time.Time {
	if c == nil {
		return time.Now()
	}
	return c.Now()
}
