package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/store"
)

// OIDCLogin starts a single sign-on (GET /auth/oidc/login): a new state,
// nonce and PKCE verifier, stored with the hash of a random value only this
// browser's cookie holds, then off to the identity provider. An address
// that starts too many at once is asked to wait (429).
func (h *Handlers) OIDCLogin(c echo.Context) error {
	if h.OIDC == nil {
		return errNotFound
	}
	ctx := c.Request().Context()
	if _, ok := auth.UserFrom(ctx); ok {
		return c.Redirect(http.StatusSeeOther, "/requests")
	}
	if wait := h.ssoStarts.Wait(c.RealIP(), h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return h.loginPage(c, http.StatusTooManyRequests, LocalPath(c.QueryParam("next")), msgSSOStartsLimited)
	}
	sess := auth.SessionFrom(ctx)
	f := auth.NewFlow()
	if err := h.Store.StartSSOFlow(ctx, store.SSOFlow{StateHash: auth.StateHash(f.State),
		BindingHash: auth.StateHash(sess.FlowBinding()), Nonce: f.Nonce, Verifier: f.Verifier,
		Next: LocalPath(c.QueryParam("next")), CreatedAt: h.now()}); err != nil {
		return err
	}
	target, err := h.OIDC.AuthURL(ctx, f, h.redirectURI())
	if err != nil {
		h.logger().WarnContext(c.Request().Context(), "single sign-on: provider unavailable", "err", err)
		return h.loginPage(c, http.StatusBadGateway, "", msgProviderDown)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

const msgSSOStartsLimited = "Too many single sign-ons were started from your address just now. Wait a moment and try again."
