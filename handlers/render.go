package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/clientgone"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/layout"
	"github.com/kvportal/kvportal/views/pages"
)

// render writes page with the given status. It renders into a buffer first,
// so that a failure becomes a clean error page rather than half a page.
func (h *Handlers) render(c echo.Context, status int, section string, page templ.Component) error {
	return h.renderIn(c, status, h.chrome(c, section, nil), page)
}

// renderIn is render with the chrome the page made itself.
func (h *Handlers) renderIn(c echo.Context, status int, ch layout.Chrome, page templ.Component) error {
	ctx := layout.WithChrome(c.Request().Context(), ch)
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	if err := page.Render(ctx, buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "no-store")
	// The page is whole already: with its length, the response goes out
	// as is rather than in chunks, in fewer writes.
	hdr.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// pageBuffers keeps the buffers pages are rendered into: a list page is
// 40-120 KB, and a new buffer grows to that size by copying itself a
// dozen times, on every view.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage is the largest buffer kept for the next page: a rare huge
// page is not held on to.
const maxPooledPage = 1 << 20

func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledPage {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

// chrome is what the base page shows around the page: the user, the CSRF
// token, the flash message (taken: shown once) and the pending count, which
// is read unless the page read it with its own query (waiting).
func (h *Handlers) chrome(c echo.Context, section string, waiting *int) layout.Chrome {
	ctx := c.Request().Context()
	sess := auth.SessionFrom(ctx)
	ch := layout.Chrome{CSRF: sess.CSRFToken(), Simulated: h.Simulated, Section: section}
	ch.FlashKind, ch.Flash = readFlash(sess.TakeFlash())
	if u, ok := auth.UserFrom(ctx); ok {
		ch.SignedIn = true
		ch.Username = u.Username
		ch.Role = string(u.Role)
		ch.IsApprover = u.Role.AtLeast(domain.RoleApprover)
		ch.IsAdmin = u.Role.AtLeast(domain.RoleAdmin)
		if ch.IsApprover {
			var n int
			if waiting != nil {
				n = *waiting
			} else {
				var err error
				if n, err = h.Store.CountPending(ctx, u.ID); err != nil {
					h.logger().WarnContext(c.Request().Context(), "count pending requests", "err", err)
				}
			}
			ch.Pending = n
			if n >= store.PendingCountCap {
				ch.Pending, ch.PendingMore = store.PendingCountCap-1, true
			}
		}
	}
	return ch
}

// RenderError writes the error page for err (see Describe); internal errors
// are logged with the request id, which the page shows.
func (h *Handlers) RenderError(c echo.Context, err error) {
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	if clientgone.Is(c.Request().Context()) {
		// Nobody reads a page, and it is not the portal's failure.
		h.logger().DebugContext(c.Request().Context(), "client went away", "request_id", reqID,
			"method", c.Request().Method, "path", c.Request().URL.Path)
		return
	}
	status, title, message := Describe(err)
	if status >= 500 {
		h.logger().ErrorContext(c.Request().Context(), "request failed", "request_id", reqID, "method", c.Request().Method,
			"path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	v := pages.ErrorView{Status: status, Title: title, Message: message}
	if status >= 500 {
		v.RequestID = reqID
	}
	_, signedIn := auth.UserFrom(c.Request().Context())
	v.SignIn = !signedIn
	if rerr := h.render(c, status, "", pages.Error(v)); rerr != nil {
		h.logger().ErrorContext(c.Request().Context(), "render error page", "request_id", reqID, "err", rerr)
		_ = c.String(status, title+"\n")
	}
}

// user is the signed-in user; the route's middleware guarantees one.
func user(c echo.Context) store.User {
	u, _ := auth.UserFrom(c.Request().Context())
	return u
}
