package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/views/pages"
)

// CreateUser adds a user (POST /admin/users, fields username and role) with
// a generated one-time password, which the users page shows once after the
// redirect: it travels in the encrypted session, never in a URL, a log or
// the audit trail (whose user.created event names the admin). A bad or
// taken username: 422, the page again with the error beside the field.
func (h *Handlers) CreateUser(c echo.Context) error {
	ctx := c.Request().Context()
	username, role := strings.TrimSpace(c.FormValue("username")), c.FormValue("role")
	me := user(c)
	password := auth.GeneratePassword()
	u, errs, err := h.Admin.CreateUser(ctx, &me.ID, username, role, password)
	switch {
	case err != nil:
		return err
	case errs[admin.FieldRole] != "":
		// The role is a choice of the page's own menu: only a forged form
		// gets this far.
		return Errorf(EInvalid, "Choose a role: requester, approver or admin.")
	case len(errs) > 0:
		// A generated password always passes the rules: the one field
		// left is the username.
		v, err := h.usersView(c, username, role, errs[admin.FieldUsername])
		if err != nil {
			return err
		}
		return h.render(c, http.StatusUnprocessableEntity, "users", pages.Users(v))
	}
	auth.SessionFrom(ctx).SetOneTimePassword(u.Username, password)
	return h.redirect(c, "/admin/users", "User "+u.Username+" added as "+string(u.Role))
}
