package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
)

// CreateUser adds a user (POST /admin/users, fields username and role) with
// a generated one-time password, which the users page shows once after the
// redirect: it travels in the encrypted session, never in a URL, a log or
// the audit trail (whose user.created event names the admin). A bad or
// taken username: 422, the page again with the error beside the field.
func (h *Handlers) CreateUser(c echo.Context) error {
	ctx := c.Request().Context()
	username := strings.TrimSpace(c.FormValue("username"))
	role, err := domain.ParseRole(c.FormValue("role"))
	if err != nil {
		return Errorf(EInvalid, "Choose a role: requester, approver or admin.")
	}
	problem := ""
	if !store.ValidUsername(username) {
		problem = "is not valid: " + store.UsernameRule
	}
	var u store.User
	password := auth.GeneratePassword()
	if problem == "" {
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		me := user(c)
		u, err = h.Store.CreateUser(ctx, username, role, hash, &me.ID)
		switch {
		case errors.Is(err, store.ErrDuplicate):
			problem = "is taken: " + username + " already exists"
		case err != nil:
			return err
		}
	}
	if problem != "" {
		v, err := h.usersView(c, username, string(role), problem)
		if err != nil {
			return err
		}
		return h.render(c, http.StatusUnprocessableEntity, "users", pages.Users(v))
	}
	auth.SessionFrom(ctx).SetOneTimePassword(u.Username, password)
	return h.redirect(c, "/admin/users", "User "+u.Username+" added as "+string(u.Role))
}
