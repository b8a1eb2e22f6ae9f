// Package web assembles the HTTP server: the Echo instance, its middleware
// (logging, recovery, metrics, security headers, sessions, CSRF), the route
// table and the error handler that turns every error into a calm page. The
// handlers themselves live in package handlers.
package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/api"
	"github.com/kvportal/kvportal/handlers"
)

// maxBody bounds a request body: far more than any form of the portal needs.
const maxBody = 256 << 10

// Deps is what the server needs, built in cmd/portal.
type Deps struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Ping checks the database for /readyz.
	Ping func(context.Context) error
	// Handlers serve the pages (with their Store and Sessions); without
	// them only the health and metrics endpoints are served.
	Handlers *handlers.Handlers
	// TrustProxy believes X-Forwarded-For and X-Forwarded-Proto.
	TrustProxy bool
	// API, when set, serves the JSON API under /api/v1.
	API *api.Deps
	// Traced: requests arrive inside a span (cmd/portal wraps the server
	// with telemetry's handler), which the server names by its route.
	Traced bool
	// SlackInteractions, when set, is the Slack app's interactions
	// endpoint, served at SlackInteractionsPath.
	SlackInteractions http.Handler
}

// SlackInteractionsPath is where Slack posts clicks and modal submissions
// (the app's Interactivity Request URL).
const SlackInteractionsPath = "/chat/slack/interactions"

// New returns the configured Echo server.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	if d.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.Use(middleware.RequestID())
	if d.Traced {
		e.Use(spanByRoute)
	}
	e.Use(securityHeaders)
	e.Use(httpMetrics(d.Registry))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true}))
	if d.Handlers != nil {
		e.HTTPErrorHandler = errorHandler(d.Handlers)
	}
	routes(e, d)
	return e
}
