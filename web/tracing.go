package web

import (
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// spanByRoute names the request's span by its route ("POST
// /requests/:id/approve"), never by its path, whose ids would make every
// request a name of its own; and records the request id the error page
// shows, so that a user's quote leads to the trace. The span was started
// outside Echo, before the route was known.
func spanByRoute(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		span := trace.SpanFromContext(c.Request().Context())
		if span.IsRecording() {
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			span.SetName(c.Request().Method + " " + route)
			span.SetAttributes(attribute.String("http.route", route),
				attribute.String("kvportal.request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
		}
		return next(c)
	}
}
