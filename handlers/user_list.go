package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// Users lists the users for admins (GET /admin/users), with the forms to
// add one, change a role, disable or enable; a user just added has their
// one-time password shown here, once.
func (h *Handlers) Users(c echo.Context) error {
	v, err := h.usersView(c, "", "", "")
	if err != nil {
		return err
	}
	v.NewUser, v.OneTimePassword = auth.SessionFrom(c.Request().Context()).TakeOneTimePassword()
	return h.render(c, http.StatusOK, "users", pages.Users(v))
}

// usersView is the users page with the add form holding username and role,
// and problem beside the username.
func (h *Handlers) usersView(c echo.Context, username, role, problem string) (pages.UsersView, error) {
	users, err := h.Store.ListUsers(c.Request().Context())
	if err != nil {
		return pages.UsersView{}, err
	}
	sessions, err := h.Store.CountSessions(c.Request().Context())
	if err != nil {
		return pages.UsersView{}, err
	}
	me := user(c)
	v := pages.UsersView{Now: h.now()}
	for _, u := range users {
		v.Users = append(v.Users, pages.UserRow{U: pages.UserInfo{ID: u.ID, Username: u.Username, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt}, Self: u.ID == me.ID, Sessions: sessions[u.ID], Roles: roleOptions(string(u.Role))})
	}
	if role == "" {
		role = string(domain.RoleRequester)
	}
	name := components.Field{Name: "username", Label: "Username", Value: printable(username, 64), Required: true,
		MaxLength: 64, Plain: true, Mono: true, Autocomplete: "off", Error: problem,
		Help: "1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit."}
	roles := components.Field{Name: "role", Label: "Role", Kind: "select", Required: true, Plain: true,
		Options: roleOptions(role)}
	v.Add = []components.Field{name, roles}
	if problem != "" {
		v.Errors = []components.FieldError{{Name: name.Name, Label: name.Label, Message: problem}}
	}
	return v, nil
}

// roleOptions are the roles, selected the one named.
func roleOptions(selected string) []components.Option {
	var opts []components.Option
	for _, r := range domain.Roles() {
		opts = append(opts, components.Option{Value: string(r), Label: roleLabel(r), Selected: string(r) == selected})
	}
	return opts
}

func roleLabel(r domain.Role) string {
	switch r {
	case domain.RoleRequester:
		return "Requester"
	case domain.RoleApprover:
		return "Approver"
	case domain.RoleAdmin:
		return "Admin"
	}
	return string(r)
}
