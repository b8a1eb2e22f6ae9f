// Package web assembles the HTTP server: the Echo instance, its middleware
// (logging, recovery, metrics, security headers, sessions, CSRF), the route
// table and the error handler that turns every error into a calm page. The
// handlers themselves live in package handlers.
package web

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Deps is what the server needs, built in cmd/portal.
type Deps struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Ping checks the database for /readyz.
	Ping func(context.Context) error
}

// New returns the configured Echo server.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Use(middleware.RequestID())
	e.Use(httpMetrics(d.Registry))
	e.Use(middleware.Recover())
	routes(e, d)
	return e
}

func routes(e *echo.Echo, d Deps) {
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.Ping))
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})))
}
