package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/api"
	"github.com/kvportal/kvportal/handlers"
)

// errorHandler renders every error as a calm page (handlers.Describe maps
// it to a status and a message); internal errors are logged with the
// request id the page shows.
func errorHandler(h *handlers.Handlers) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if strings.HasPrefix(c.Request().URL.Path, api.Prefix+"/") {
			// The API's own routes answer for themselves; what reaches here
			// is a path or method it does not have.
			status, _, message := handlers.Describe(err)
			_ = api.WriteProblem(c, status, message)
			return
		}
		h.RenderError(c, err)
	}
}
