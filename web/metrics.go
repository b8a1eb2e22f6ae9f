package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/kvportal/kvportal/internal/clientgone"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry is the portal's Prometheus registry: Go runtime and process
// metrics; the HTTP middleware and the provisioner add theirs.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// MetricsHandler serves reg at /metrics. A collector that fails (the
// database slow or away) loses its own metrics and is logged; the others are
// still served. promhttp's default answers 500 for the whole page instead,
// so one slow gauge would blind every dashboard and alert at once, including
// the ones that would tell why.
func MetricsHandler(reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	})
}

// statusClientClosed is nginx's code for a request whose client closed it
// before the answer: recorded, never sent.
const statusClientClosed = 499

// httpMetrics counts and times every request by route pattern (never by raw
// path, which would grow without bound), method and status.
func httpMetrics(reg prometheus.Registerer) echo.MiddlewareFunc {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kvportal_http_requests_total", Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kvportal_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method"})
	reg.MustRegister(requests, duration)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the response now, so its status is known
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			code := c.Response().Status
			if err != nil && clientgone.Is(c.Request().Context()) {
				// Nothing was sent: counted under the code proxies give a
				// request its client closed, neither a success nor the
				// portal's failure.
				code = statusClientClosed
			}
			requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(code)).Inc()
			duration.WithLabelValues(route, c.Request().Method).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}
