package web

import (
	"github.com/labstack/echo/v4"

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
		h.RenderError(c, err)
	}
}
