package admin

import (
	"context"
	"errors"
	"time"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// The fields of the token steps (as apitoken.Issue keys its problems).
const (
	FieldTokenName    = "name"
	FieldTokenExpires = "expires"
	FieldTokenUser    = "user"
)

// CreateToken issues a personal access token of owner, with its
// token.created event, and returns it: the only time it is seen. ttl 0 is
// the default lifetime.
func (a *Admin) CreateToken(ctx context.Context, by *int64, owner store.User, name string, ttl time.Duration) (string, store.APIToken, domain.FieldErrors, error) {
	if _, problem := text(name); problem != "" {
		return "", store.APIToken{}, domain.FieldErrors{FieldTokenName: problem}, nil
	}
	return apitoken.Issue(ctx, a.Store, owner, name, ttl, by, domain.Now(a.Clock))
}

// RevokeToken revokes token id, with its token.revoked event. A user
// revokes their own; an admin, or an operator at the console (viewer
// nil), anyone's. Another user's token is not found for anyone else, as if
// it did not exist.
func (a *Admin) RevokeToken(ctx context.Context, viewer *store.User, id int64) (store.APIToken, error) {
	var by *int64
	if viewer != nil {
		t, err := a.Store.Token(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.UserID != viewer.ID && !viewer.Role.AtLeast(domain.RoleAdmin)) {
			return store.APIToken{}, ErrNoToken
		}
		if err != nil {
			return store.APIToken{}, err
		}
		by = &viewer.ID
	}
	t, err := a.Store.RevokeToken(ctx, id, by)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.APIToken{}, ErrNoToken
	case errors.Is(err, domain.ErrStateChanged):
		return t, ErrRevoked
	}
	return t, err
}
