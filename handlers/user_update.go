package handlers

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// SetUserRole changes a user's role (POST /admin/users/{id}/role, field
// role). Taking the last enabled admin's role away is refused with a plain
// message, nothing changed.
func (h *Handlers) SetUserRole(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	role, err := domain.ParseRole(c.FormValue("role"))
	if err != nil {
		return Errorf(EInvalid, "Choose a role: requester, approver or admin.")
	}
	me := user(c)
	before, u, err := h.Admin.SetRole(c.Request().Context(), &me.ID, id, role)
	if err != nil {
		return h.userRefused(c, err)
	}
	if before.Role == u.Role {
		return h.redirectNote(c, "/admin/users", u.Username+" is already "+string(u.Role)+": nothing was changed.")
	}
	if u.ID == me.ID {
		// The change ended every session of the user, this one included:
		// the admin carries on in a new one (a new id for the new role).
		ctx := c.Request().Context()
		if err := h.Sessions.SignIn(ctx, auth.SessionFrom(ctx), u, c.RealIP(), c.Request().UserAgent(), store.NewEvent{}); err != nil {
			return err
		}
		if !u.Role.AtLeast(domain.RoleAdmin) {
			return h.redirect(c, "/requests", "You are now "+string(u.Role))
		}
	}
	return h.redirect(c, "/admin/users", u.Username+" is now "+string(u.Role))
}

// DisableUser disables a user (POST /admin/users/{id}/disable): their
// sessions end (they are signed out at their next click) and they can't
// sign in. An admin can't disable
// themselves, nor the last enabled admin.
func (h *Handlers) DisableUser(c echo.Context) error { return h.setDisabled(c, true) }

// EnableUser enables a disabled user (POST /admin/users/{id}/enable).
func (h *Handlers) EnableUser(c echo.Context) error { return h.setDisabled(c, false) }

func (h *Handlers) setDisabled(c echo.Context, disabled bool) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	me := user(c)
	before, u, err := h.Admin.SetDisabled(c.Request().Context(), &me.ID, id, disabled)
	if err != nil {
		return h.userRefused(c, err)
	}
	if before.Disabled == disabled {
		state := "enabled"
		if disabled {
			state = "disabled"
		}
		return h.redirectNote(c, "/admin/users", u.Username+" is already "+state+": nothing was changed.")
	}
	if disabled {
		return h.redirect(c, "/admin/users", "User "+u.Username+" disabled")
	}
	return h.redirect(c, "/admin/users", "User "+u.Username+" enabled")
}

// userRefused answers a refused change: the rules about admins as a plain
// message on the users page, an unknown user as not found.
func (h *Handlers) userRefused(c echo.Context, err error) error {
	var refused *admin.Error
	switch {
	case errors.Is(err, admin.ErrNoUser):
		return errNotFound
	case errors.As(err, &refused):
		return h.redirectProblem(c, "/admin/users", refused.Message)
	}
	return err
}

func userNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}
