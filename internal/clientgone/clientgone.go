// Package clientgone decides one thing for the page handlers, the JSON
// API and the HTTP metrics alike: whether a request failed because its
// client went away (a closed tab, a proxy's timeout, a load generator
// stopping), which is nobody's error to log and no answer to render.
//
// It is its own package because all three need the same rule and none of
// them should import another for it.
package clientgone

import (
	"context"
	"errors"
)

// Is reports whether ctx, a request's context, ended because its client
// went away. The HTTP server cancels a request's context when the
// connection closes; a deadline passing is the portal's own timeout, not
// the client leaving, and so is not counted here.
func Is(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}
