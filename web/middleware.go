package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
)

// securityHeaders sets the headers every response carries: a CSP without
// inline script, no sniffing, no framing, same-origin referrers.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// sessions loads the visitor's session (a signed-in one is checked against
// the database: ended, expired or disabled is signed out; the user and role
// are the ones stored now) and saves the cookie just before the response is
// written.
func sessions(sm *auth.Sessions) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			sess, err := sm.Load(r.Context(), r)
			if err != nil {
				return err
			}
			c.Response().Before(func() {
				if err := sm.Save(r, c.Response().Writer, sess); err != nil {
					c.Logger().Error("save session: ", err)
				}
			})
			ctx := auth.WithSession(r.Context(), sess)
			switch {
			case sess.Expired:
				sess.SetFlash("Your session has expired: sign in again.")
			case sess.Ended:
				sess.SetFlash("You have been signed out.")
			}
			if u, ok := sess.User(); ok {
				ctx = auth.WithUser(ctx, u)
			}
			c.SetRequest(r.WithContext(ctx))
			return next(c)
		}
	}
}

// csrf refuses every state-changing request whose csrf_token field (or
// X-CSRF-Token header) is not the session's token: 403, nothing done.
func csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		token := c.Request().Header.Get("X-CSRF-Token")
		if token == "" {
			form, err := c.FormParams()
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return handlers.Errorf(handlers.ETooLarge, "What you sent is too large.")
			}
			if err != nil {
				return handlers.Errorf(handlers.EForbidden, "The form could not be read; reload the page and try again.")
			}
			if vs := form["csrf_token"]; len(vs) == 1 {
				token = vs[0]
			}
		}
		if !auth.SessionFrom(c.Request().Context()).CheckCSRF(token) {
			return handlers.Errorf(handlers.EForbidden, "The form had expired or did not come from this site. Reload the page and try again.")
		}
		return next(c)
	}
}

// limitBody caps the request body at n bytes.
func limitBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > n {
				return handlers.Errorf(handlers.ETooLarge, "What you sent is too large.")
			}
			r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, n)
			return next(c)
		}
	}
}

// requireRole lets through users with at least role min. Visitors who are
// not signed in are sent to sign in, and back here afterwards.
func requireRole(min domain.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, ok := auth.UserFrom(c.Request().Context())
			if !ok {
				target := "/login"
				if c.Request().Method == http.MethodGet {
					target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
				}
				return c.Redirect(http.StatusSeeOther, target)
			}
			if !u.Role.AtLeast(min) {
				return handlers.Errorf(handlers.EForbidden, "Your role (%s) does not allow this: it needs %s or above.", u.Role, min)
			}
			return next(c)
		}
	}
}
