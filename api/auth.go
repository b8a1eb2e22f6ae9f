package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// bearerScheme names the bearer token scheme in the description.
const bearerScheme = "bearer"

// bearer is the security requirement of every authenticated operation.
var bearer = []map[string][]string{{bearerScheme: {}}}

type ownerKey struct{}

// owner is the token and its user that the operation acts for.
func owner(ctx context.Context) store.TokenOwner {
	o, _ := ctx.Value(ownerKey{}).(store.TokenOwner)
	return o
}

// actor is the token's user as the workflow sees them.
func actor(ctx context.Context) workflow.Actor {
	o := owner(ctx)
	return workflow.Actor{ID: o.UserID, Role: o.Role}
}

// authenticate lets an operation that asks for the bearer scheme run only
// with a working token, within its rate limit. A token that does not work
// is a 401 with WWW-Authenticate (RFC 6750) saying why; past the limit, a
// 429 with Retry-After. Every audit event written while the operation runs
// names the token. The token itself is never logged: only its name is
// known past this point.
func (s *server) authenticate(a huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if len(ctx.Operation().Security) == 0 {
			next(ctx)
			return
		}
		raw := ctx.Header("Authorization")
		token, ok := strings.CutPrefix(raw, "Bearer ")
		if !ok {
			token, _ = strings.CutPrefix(raw, "bearer ")
		}
		o, err := apitoken.Authenticate(ctx.Context(), s.Store, strings.TrimSpace(token), s.now())
		var authErr *apitoken.AuthError
		switch {
		case errors.As(err, &authErr):
			challenge := `Bearer realm="kvportal"`
			if !errors.Is(err, apitoken.ErrMissing) {
				challenge += `, error="invalid_token", error_description="` + authErr.Reason + `"`
			}
			ctx.SetHeader("WWW-Authenticate", challenge)
			_ = huma.WriteErr(a, ctx, http.StatusUnauthorized, strings.TrimSuffix(authErr.Reason, "."))
			return
		case err != nil:
			s.logger().ErrorContext(ctx.Context(), "api: authenticate", "err", err)
			_ = huma.WriteErr(a, ctx, http.StatusInternalServerError, "")
			return
		}
		if wait := s.limits.Wait(o.ID, s.now()); wait > 0 {
			ctx.SetHeader("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			_ = huma.WriteErr(a, ctx, http.StatusTooManyRequests,
				"too many requests with this token: wait for the time Retry-After says")
			return
		}
		c := context.WithValue(store.ViaToken(ctx.Context(), o.Name), ownerKey{}, o)
		next(huma.WithContext(ctx, c))
	}
}
