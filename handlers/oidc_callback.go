package handlers

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
)

// What the sign-in page says when a single sign-on fails.
const (
	msgSSODenied    = "The identity provider did not sign you in: you declined, or it refused the request. Try again, or ask your administrator."
	msgSSOStale     = "That sign-in had expired, was already used, or was not started in this browser. Start again with “Sign in with SSO”."
	msgSSOCode      = "The identity provider refused the sign-in code: it had expired or was already used. Start again with “Sign in with SSO”."
	msgSSOInvalid   = "The identity provider's answer could not be verified, so you were not signed in. Start again; if it happens again, tell your administrator."
	msgProviderDown = "The identity provider could not be reached. Try again in a moment."
	msgSSODisabled  = "Your KVPortal account is disabled. Ask an administrator to enable it."
)

// OIDCCallback finishes a single sign-on (GET /auth/oidc/callback, the
// redirect URI): the state must be one this browser started and not yet
// used, the code is exchanged with the PKCE verifier, the ID token
// verified and its nonce compared; the user (issuer + sub) is created or
// given the role their groups give now, put in the teams their groups give
// now (PORTAL_OIDC_TEAM_GROUPS), and signed in with a new session.
func (h *Handlers) OIDCCallback(c echo.Context) error {
	if h.OIDC == nil {
		return errNotFound
	}
	ctx := c.Request().Context()
	sess := auth.SessionFrom(ctx)
	q := c.Request().URL.Query()
	state := q.Get("state")
	var flow store.SSOFlow
	found := false
	if state != "" && len(state) <= 512 {
		// Taken (deleted) first, whatever happens next: a state works once.
		f, err := h.Store.TakeSSOFlow(ctx, auth.StateHash(state))
		switch {
		case err == nil:
			flow, found = f, true
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if found {
		binding := auth.StateHash(sess.FlowBindingValue())
		found = subtle.ConstantTimeCompare(binding, flow.BindingHash) == 1 && h.now().Sub(flow.CreatedAt) <= auth.FlowTimeout
	}
	if code := q.Get("error"); code != "" {
		msg := msgSSODenied
		if code != "access_denied" {
			msg = "The identity provider answered “" + printable(code, 64) + "”: you were not signed in. Try again, or ask your administrator."
		}
		return h.loginPage(c, http.StatusUnauthorized, "", msg)
	}
	if !found || q.Get("code") == "" {
		return h.loginPage(c, http.StatusBadRequest, "", msgSSOStale)
	}
	id, err := h.OIDC.Exchange(ctx, auth.Flow{State: state, Nonce: flow.Nonce, Verifier: flow.Verifier}, q.Get("code"), h.redirectURI())
	if err != nil {
		h.logger().WarnContext(c.Request().Context(), "single sign-on failed", "err", err)
		switch {
		case errors.Is(err, auth.ErrCodeRejected):
			return h.loginPage(c, http.StatusBadRequest, "", msgSSOCode)
		case errors.Is(err, auth.ErrTokenInvalid):
			return h.loginPage(c, http.StatusUnauthorized, "", msgSSOInvalid)
		}
		return h.loginPage(c, http.StatusBadGateway, "", msgProviderDown)
	}
	shown := printable(id.Name, 64)
	addr := c.RealIP()
	role, ok := h.OIDC.Role(id.Groups)
	if !ok {
		groups := id.Groups
		if len(groups) > 20 {
			groups = groups[:20]
		}
		if err := h.Store.RefuseSSO(ctx, id.Issuer, id.Subject, domain.Details{domain.KeyUsername: shown, domain.KeyIssuer: id.Issuer,
			domain.KeySubject: printable(id.Subject, 255), domain.KeyAddress: addr, domain.KeyReason: "no_mapped_group", domain.KeyGroups: printableAll(groups, 128)}); err != nil {
			return err
		}
		return h.render(c, http.StatusForbidden, "", pages.NoAccess(pages.NoAccessView{Name: shown, Groups: printableAll(groups, 128)}))
	}
	u, err := h.Store.UpsertSSOUser(ctx, store.SSOUser{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email,
		Username: auth.Username(id.Name, id.Subject), Role: role})
	if err != nil {
		return err
	}
	if u.Disabled {
		if err := h.Store.RecordEvent(ctx, store.NewEvent{Action: domain.ActionSSORefused, Details: domain.Details{
			"username": u.Username, domain.KeyUserID: u.ID, domain.KeyIssuer: id.Issuer, domain.KeyAddress: addr, domain.KeyReason: "disabled"}}); err != nil {
			return err
		}
		return h.loginPage(c, http.StatusForbidden, "", msgSSODisabled)
	}
	// The teams the groups say, as of this sign-in.
	if want, managed := h.OIDC.Teams(id.Groups); len(managed) > 0 {
		missing, err := h.Store.SyncTeams(ctx, u.ID, managed, want)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			h.logger().WarnContext(c.Request().Context(), "single sign-on maps groups to teams that don't exist: create them (portal teams add)", "teams", missing)
		}
	}
	if err := h.Sessions.SignIn(ctx, sess, u, addr, c.Request().UserAgent(), store.NewEvent{ActorID: &u.ID,
		Action: domain.ActionSSOLogin, Details: domain.Details{domain.KeyUsername: u.Username, domain.KeyAddress: addr,
			"issuer": id.Issuer, domain.KeyRole: string(u.Role)}}); err != nil {
		return err
	}
	next := flow.Next
	if next == "" {
		next = h.landing(c, u)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// redirectURI is where the identity provider sends people back.
func (h *Handlers) redirectURI() string { return h.BaseURL + "/auth/oidc/callback" }

// printableAll is printable on each of list.
func printableAll(list []string, n int) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(printable(s, n)); s != "" {
			out = append(out, s)
		}
	}
	return out
}
