package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// EndSession ends one of the user's own sessions (POST
// /settings/sessions/{id}/end): that browser is signed out at its next
// request. Ending the current one is signing out.
func (h *Handlers) EndSession(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if id == auth.SessionFrom(ctx).ID() {
		return h.Logout(c)
	}
	me := user(c)
	err = h.Store.EndSession(ctx, me.ID, id, store.NewEvent{ActorID: &me.ID, Action: domain.ActionSessionEnded,
		Details: domain.Details{domain.KeyUserID: me.ID, domain.KeyUsername: me.Username, domain.KeySessionID: id}})
	if errors.Is(err, store.ErrNotFound) {
		return h.redirectNote(c, "/settings/sessions", "That session had already ended.")
	}
	if err != nil {
		return err
	}
	return h.redirect(c, "/settings/sessions", "Session ended: that browser is signed out.")
}

// EndOtherSessions ends every session of the user but the current one
// (POST /settings/sessions/end-others).
func (h *Handlers) EndOtherSessions(c echo.Context) error {
	ctx := c.Request().Context()
	me := user(c)
	n, err := h.Store.EndOtherSessions(ctx, me.ID, auth.SessionFrom(ctx).IDHash(), store.NewEvent{ActorID: &me.ID,
		Action: domain.ActionSessionsEnded, Details: domain.Details{domain.KeyUserID: me.ID, domain.KeyUsername: me.Username}})
	if err != nil {
		return err
	}
	if n == 0 {
		return h.redirectNote(c, "/settings/sessions", "No other session was open.")
	}
	return h.redirect(c, "/settings/sessions", "Signed out everywhere else: "+plural(n, "session")+" ended.")
}

// EndUserSessions ends every session of a user, for admins (POST
// /admin/users/{id}/sessions/end): they are signed out everywhere at their
// next request. An admin ending their own keeps the current one.
func (h *Handlers) EndUserSessions(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := h.Store.UserByID(ctx, id)
	if err != nil {
		return userNotFound(err)
	}
	me := user(c)
	var keep []byte
	if u.ID == me.ID {
		keep = auth.SessionFrom(ctx).IDHash()
	}
	n, err := h.Store.EndOtherSessions(ctx, u.ID, keep, store.NewEvent{ActorID: &me.ID,
		Action: domain.ActionSessionsEnded, Details: domain.Details{domain.KeyUserID: u.ID, domain.KeyUsername: u.Username}})
	if err != nil {
		return err
	}
	if n == 0 {
		return h.redirectNote(c, "/admin/users", u.Username+" had no session to end.")
	}
	return h.redirect(c, "/admin/users", u.Username+" is signed out: "+plural(n, "session")+" ended.")
}

// plural is "1 session", "3 sessions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
