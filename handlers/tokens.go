package handlers

import (
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// The token form's fields.
const (
	tokenNameField = "name"
	tokenDaysField = "expires_days"
)

// Tokens shows the personal access tokens page (GET /settings/tokens): the
// form that makes one, a token just made (once), the user's tokens and,
// for admins, everyone else's.
func (h *Handlers) Tokens(c echo.Context) error {
	name, token := auth.SessionFrom(c.Request().Context()).TakeNewToken()
	v, err := h.tokensView(c, "", "", nil)
	if err != nil {
		return err
	}
	v.NewName, v.NewToken = name, token
	return h.render(c, http.StatusOK, "tokens", pages.Tokens(v))
}

// CreateToken makes a token of the signed-in user (POST /settings/tokens,
// fields name and expires_days) through the token step, as the command line
// does, with its token.created event in the same transaction. The token is
// shown once, on the page the redirect lands on: it travels in the
// encrypted session, never in a URL, a log or the audit trail. A field
// that breaks a rule: 422, the page again with the error beside it.
func (h *Handlers) CreateToken(c echo.Context) error {
	ctx := c.Request().Context()
	me := user(c)
	name, days := c.FormValue(tokenNameField), c.FormValue(tokenDaysField)
	ttl, daysProblem := apitoken.ParseDays(days)
	if daysProblem != "" {
		// A lifetime Issue refuses, so that the name is still checked and
		// nothing is made; the problem is then said in days.
		ttl = -1
	}
	token, t, errs, err := h.Admin.CreateToken(ctx, &me.ID, me, name, ttl)
	if err != nil {
		return err
	}
	if daysProblem != "" {
		errs["expires"] = daysProblem
	}
	if len(errs) > 0 {
		v, err := h.tokensView(c, name, days, errs)
		if err != nil {
			return err
		}
		return h.render(c, http.StatusUnprocessableEntity, "tokens", pages.Tokens(v))
	}
	auth.SessionFrom(ctx).SetNewToken(t.Name, token)
	return h.redirect(c, "/settings/tokens", "")
}

// RevokeToken revokes a token (POST /settings/tokens/{id}/revoke) through
// the token step, as the command line does, with its
// token.revoked event in the same transaction. A user revokes their own;
// an admin anyone's. Another user's token is not found for a non-admin, as
// if it did not exist.
func (h *Handlers) RevokeToken(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	me := user(c)
	t, err := h.Admin.RevokeToken(c.Request().Context(), &me, id)
	switch {
	case errors.Is(err, admin.ErrNoToken):
		return errNotFound
	case errors.Is(err, admin.ErrRevoked):
		return h.redirectNote(c, "/settings/tokens", admin.ErrRevoked.Message)
	case err != nil:
		return err
	}
	whose := ""
	if t.UserID != me.ID {
		whose = " of " + t.Username
	}
	return h.redirect(c, "/settings/tokens", "Token "+t.Name+whose+" revoked: it no longer works.")
}

// tokensView builds the page: the form with what was typed and its errors
// (keyed as apitoken.Issue keys them), and the lists.
func (h *Handlers) tokensView(c echo.Context, name, days string, errs domain.FieldErrors) (pages.TokensView, error) {
	me := user(c)
	admin := me.Role.AtLeast(domain.RoleAdmin)
	owner := me.ID
	if admin {
		owner = 0 // everyone's
	}
	list, err := h.Store.ListTokens(c.Request().Context(), owner)
	if err != nil {
		return pages.TokensView{}, err
	}
	v := pages.TokensView{Now: h.now(), ShowOthers: admin}
	for _, t := range list {
		row := pages.TokenRow{ID: t.ID, Owner: t.Username, Name: t.Name, Created: t.CreatedAt,
			Expires: t.ExpiresAt, LastUsed: t.LastUsedAt, Revoked: t.RevokedAt, State: apitoken.State(t, v.Now)}
		if t.UserID == me.ID {
			v.Own = append(v.Own, row)
		} else {
			v.Others = append(v.Others, row)
		}
	}
	// Others' tokens by owner, each owner's newest first.
	sort.SliceStable(v.Others, func(i, j int) bool { return v.Others[i].Owner < v.Others[j].Owner })

	nameField := components.Field{Name: tokenNameField, Label: "Name", Value: printable(name, 2*apitoken.NameMaxLen),
		Required: true, MaxLength: apitoken.NameMaxLen, Plain: true, Autocomplete: "off", Error: errs[tokenNameField],
		Help: "What the token is for (\"deploy pipeline\"): the audit trail names it beside every action taken with it."}
	if p := errs["user"]; p != "" && nameField.Error == "" {
		// Only a disabled user, who cannot be signed in for long.
		nameField.Error = "cannot be used: your user " + p
	}
	daysField := components.Field{Name: tokenDaysField, Label: "Expires after (days)", Value: printable(days, 20),
		Plain: true, Autocomplete: "off", MaxLength: 20, Error: errs["expires"],
		Placeholder: strconv.Itoa(apitoken.DefaultDays),
		Help:        "1 to " + strconv.Itoa(apitoken.MaxDays) + " days; " + strconv.Itoa(apitoken.DefaultDays) + " when left empty. A token always expires."}
	v.Create = []components.Field{nameField, daysField}
	for _, f := range v.Create {
		if f.Error != "" {
			v.Errors = append(v.Errors, components.FieldError{Name: f.Name, Label: f.Label, Message: f.Error})
		}
	}
	return v, nil
}
