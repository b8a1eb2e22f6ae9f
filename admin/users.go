package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// The fields of the user steps.
const (
	FieldUsername = "username"
	FieldRole     = "role"
	FieldPassword = "password"
)

// CreateUser adds a user with a role and a password (never recorded
// anywhere but as its hash), with its user.created event.
func (a *Admin) CreateUser(ctx context.Context, by *int64, username, role, password string) (store.User, domain.FieldErrors, error) {
	errs := domain.FieldErrors{}
	// The username's rule admits no control character: it is the only
	// check a name needs before the database.
	username = strings.TrimSpace(username)
	if !store.ValidUsername(username) {
		errs[FieldUsername] = "is not valid: " + store.UsernameRule
	}
	r, err := domain.ParseRole(role)
	if err != nil {
		errs[FieldRole] = err.Error()
	}
	if err := auth.CheckNewPassword(password); err != nil {
		errs[FieldPassword] = err.Error()
	}
	if len(errs) > 0 {
		return store.User{}, errs, nil
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return store.User{}, nil, err
	}
	u, err := a.Store.CreateUser(ctx, username, r, hash, by)
	if errors.Is(err, store.ErrDuplicate) {
		return store.User{}, domain.FieldErrors{FieldUsername: "is taken: " + username + " already exists"}, nil
	}
	return u, nil, err
}

// User finds a user by their username.
func (a *Admin) User(ctx context.Context, username string) (store.User, error) {
	u, problem, err := a.userNamed(ctx, username)
	if err == nil && problem != "" {
		err = ErrNoUser
	}
	return u, err
}

// SetRole gives user id role, with its user.role_changed event; the user's
// sessions end. before is the user as they were: a role they already had
// changes nothing. Taking the last enabled admin's role away is refused.
func (a *Admin) SetRole(ctx context.Context, by *int64, id int64, role domain.Role) (before, after store.User, err error) {
	if before, err = a.Store.UserByID(ctx, id); err != nil {
		return before, after, userError(err)
	}
	after, err = a.Store.SetRole(ctx, id, role, by)
	return before, after, userError(err)
}

// SetDisabled disables (or enables) user id, with its event; a disabled
// user's sessions end. Disabling oneself, or the last enabled admin, is
// refused. before is the user as they were.
func (a *Admin) SetDisabled(ctx context.Context, by *int64, id int64, disabled bool) (before, after store.User, err error) {
	if before, err = a.Store.UserByID(ctx, id); err != nil {
		return before, after, userError(err)
	}
	after, err = a.Store.SetDisabled(ctx, id, disabled, by)
	return before, after, userError(err)
}

// ResetPassword gives user id a new random password, returned to be shown
// once, with its user.password_changed event; their sessions end.
func (a *Admin) ResetPassword(ctx context.Context, by *int64, id int64) (store.User, string, error) {
	password := auth.GeneratePassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return store.User{}, "", err
	}
	u, err := a.Store.SetPassword(ctx, id, hash, by)
	if err != nil {
		return store.User{}, "", userError(err)
	}
	return u, password, nil
}

// userError says the store's refusals of a user change as the steps'.
func userError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNoUser
	case errors.Is(err, store.ErrLastAdmin):
		return ErrLastAdmin
	case errors.Is(err, store.ErrSelf):
		return ErrSelf
	}
	return err
}
