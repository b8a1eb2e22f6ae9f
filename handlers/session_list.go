package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/views/pages"
)

// SessionList lists the signed-in user's sessions (GET /settings/sessions):
// browser, address, started, last seen; each but the current one can be
// ended, or all of them at once.
func (h *Handlers) SessionList(c echo.Context) error {
	ctx := c.Request().Context()
	me := user(c)
	list, err := h.Store.ListSessions(ctx, me.ID)
	if err != nil {
		return err
	}
	current := auth.SessionFrom(ctx).ID()
	v := pages.SessionsView{Now: h.now()}
	v.Idle, v.Absolute = h.Sessions.Timeouts()
	for _, s := range list {
		row := pages.SessionRow{ID: s.ID, Browser: describeBrowser(s.UserAgent), Address: s.Address,
			Started: s.CreatedAt, LastSeen: s.SeenAt, Current: s.ID == current}
		if row.Current {
			// The page itself is a visit: the stored time is at most a
			// minute behind (it is written at most once a minute).
			row.LastSeen = v.Now
			v.Rows = append([]pages.SessionRow{row}, v.Rows...)
			continue
		}
		v.Rows = append(v.Rows, row)
	}
	return h.render(c, http.StatusOK, "sessions", pages.Sessions(v))
}

// describeBrowser names the browser and system a user agent string says,
// in the words people use ("Firefox on Linux"); "Unknown browser" when it
// says nothing recognisable.
func describeBrowser(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	case ua != "":
		return printable(ua, 40)
	}
	return "Unknown browser"
}
