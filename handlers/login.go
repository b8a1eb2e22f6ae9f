package handlers

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
)

const (
	msgBadLogin    = "The username or password is not right."
	msgRateLimited = "Too many failed sign-ins. Wait 15 minutes and try again."
	msgLocalOff    = "Password sign-in is switched off on this portal: sign in with SSO."
)

// Home sends the signed-in user to their landing page (GET /); the route's
// middleware sends others to sign in.
func (h *Handlers) Home(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, h.landing(c, user(c)))
}

// landing is where u starts: the approvals queue for an approver when a
// request waits that they may decide, otherwise their own requests.
func (h *Handlers) landing(c echo.Context, u store.User) string {
	if u.Role.AtLeast(domain.RoleApprover) {
		n, err := h.Store.CountPending(c.Request().Context(), u.ID)
		if err != nil {
			h.logger().WarnContext(c.Request().Context(), "count pending requests", "err", err)
		}
		if n > 0 {
			return "/approvals"
		}
	}
	return "/requests"
}

// LoginForm shows the sign-in page (GET /login).
func (h *Handlers) LoginForm(c echo.Context) error {
	if u, ok := auth.UserFrom(c.Request().Context()); ok {
		return c.Redirect(http.StatusSeeOther, h.landing(c, u))
	}
	return h.loginPage(c, http.StatusOK, LocalPath(c.QueryParam("next")), "")
}

// loginView is the sign-in page with what this portal offers.
func (h *Handlers) loginView(next string) pages.LoginView {
	return pages.LoginView{Next: next, SSO: h.OIDC != nil, Local: !h.LocalLoginOff}
}

// loginPage answers the sign-in page with status and an error message.
func (h *Handlers) loginPage(c echo.Context, status int, next, msg string) error {
	v := h.loginView(next)
	v.Error = msg
	return h.render(c, status, "", pages.Login(v))
}

// Login signs a user in (POST /login): rate-limited per username and per
// address, every failure an audit event, the same answer whether or not the
// user exists.
func (h *Handlers) Login(c echo.Context) error {
	ctx := c.Request().Context()
	typed := c.FormValue("username")
	password := c.FormValue("password")
	username := strings.ToLower(strings.TrimSpace(typed))
	shown := printable(username, 64) // what the audit trail and the form keep
	next := LocalPath(c.FormValue("next"))
	addr := c.RealIP()
	limits := h.LoginLimits
	if limits.Window == 0 {
		limits = DefaultLoginLimits
	}

	if h.LocalLoginOff {
		return h.loginPage(c, http.StatusForbidden, next, msgLocalOff)
	}
	view := h.loginView(next)
	view.Username = shown
	// A control character can be in no username or password: said beside
	// its field before the database or the rate limit sees it (the username
	// is kept without it, the password never shown back).
	view.UsernameError, view.PasswordError = domain.TextProblem(typed), domain.TextProblem(password)
	if view.UsernameError != "" || view.PasswordError != "" {
		return h.render(c, http.StatusUnprocessableEntity, "", pages.Login(view))
	}
	byUser, byAddr, err := h.Store.LoginFailures(ctx, shown, addr, h.now().Add(-limits.Window))
	if err != nil {
		return err
	}
	if byUser >= limits.PerUser || byAddr >= limits.PerAddress {
		if err := h.loginFailed(c, shown, addr, "rate_limited"); err != nil {
			return err
		}
		view.Error = msgRateLimited
		return h.render(c, http.StatusTooManyRequests, "", pages.Login(view))
	}

	u, found, err := h.lookupUser(c, username)
	if err != nil {
		return err
	}
	ok := false
	switch {
	case !found || len(password) > 1024:
		auth.DummyCheck(password)
	default:
		ok = auth.CheckPassword(u.PasswordHash, password) && !u.Disabled
	}
	if !ok {
		if err := h.loginFailed(c, shown, addr, "bad_credentials"); err != nil {
			return err
		}
		view.Error = msgBadLogin
		return h.render(c, http.StatusUnauthorized, "", pages.Login(view))
	}

	if err := h.Sessions.SignIn(ctx, auth.SessionFrom(ctx), u, addr, c.Request().UserAgent(), store.NewEvent{
		ActorID: &u.ID, Action: domain.ActionLogin, Details: domain.Details{domain.KeyUsername: u.Username, domain.KeyAddress: addr}}); err != nil {
		return err
	}
	if next == "" {
		next = h.landing(c, u)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (h *Handlers) lookupUser(c echo.Context, username string) (store.User, bool, error) {
	// Anything that breaks the username rule can't be a user: not looked up.
	if !store.ValidUsername(username) {
		return store.User{}, false, nil
	}
	u, err := h.Store.UserByUsername(c.Request().Context(), username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	return u, err == nil, err
}

// loginFailed records a failed sign-in: the username typed (never the
// password) and the address.
func (h *Handlers) loginFailed(c echo.Context, username, addr, reason string) error {
	return h.Store.RecordEvent(c.Request().Context(), store.NewEvent{Action: domain.ActionLoginFailed,
		Details: domain.Details{domain.KeyUsername: username, domain.KeyAddress: addr, domain.KeyReason: reason}})
}

// Logout signs the user out (POST /logout): the session's row is deleted,
// so a copy of the cookie no longer signs anybody in.
func (h *Handlers) Logout(c echo.Context) error {
	ctx := c.Request().Context()
	var ev store.NewEvent
	if u, ok := auth.UserFrom(ctx); ok {
		ev = store.NewEvent{ActorID: &u.ID, Action: domain.ActionLogout,
			Details: domain.Details{domain.KeyUsername: u.Username, domain.KeyAddress: c.RealIP()}}
	}
	if err := h.Sessions.SignOut(ctx, auth.SessionFrom(ctx), ev); err != nil {
		return err
	}
	return h.redirectNote(c, "/login", "You have signed out.")
}

// LocalPath returns p when it is a path on this site ("/requests?x=1"),
// and "" otherwise: no scheme, no host, no "//" or "/\" prefix.
func LocalPath(p string) string {
	if len(p) > 2048 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		!utf8.ValidString(p) || strings.IndexFunc(p, unicode.IsControl) >= 0 {
		return ""
	}
	return p
}

// printable keeps at most n runes of s, valid UTF-8 without control
// characters, for the audit trail.
func printable(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}
