// Package telemetry sets up the portal's OpenTelemetry traces: whether
// they are on (only when an OTLP endpoint is configured), the SDK's tracer
// provider and exporter as the standard OTEL_* variables say, and the
// pieces that put spans at the edges of the process: the HTTP server, the
// database pool and the log.
//
// It has a home of its own because tracing reaches every edge of the
// process while none of the packages at those edges should know whether it
// is on, where spans go or how the SDK reads its settings: cmd/portal asks
// this package once and hands each part a tracer provider, a wrapper or
// nothing at all. Nothing here is a global: the SDK's global provider is
// never set, so that tracing off costs nothing anywhere.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/exaring/otelpgx"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// DefaultServiceName names the portal's spans unless OTEL_SERVICE_NAME (or
// service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise.
const DefaultServiceName = "kvportal"

// Tracing is the process's tracing. A nil *Tracing is tracing off, and
// every method works on it: each returns what leaves its part untouched.
type Tracing struct {
	tp       trace.TracerProvider
	shutdown func(context.Context) error
	// meters is a provider that records nothing: the instrumentations
	// would otherwise ask the SDK's global one for their metrics, and the
	// portal's metrics are Prometheus's.
	meters metric.MeterProvider
}

// Enabled reports whether the environment asks for traces: an OTLP
// endpoint for them is set, and neither OTEL_SDK_DISABLED=true nor
// OTEL_TRACES_EXPORTER=none turns them off again.
func Enabled(getenv func(string) string) bool {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	return !strings.EqualFold(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")), "none")
}

// Start returns the tracing the environment asks for, or nil (off) when it
// asks for none. getenv decides whether, and where and how spans go: the
// endpoint and its headers, timeout, compression and certificates
// (OTEL_EXPORTER_OTLP_* and their _TRACES_ forms, read by the portal's own
// exporter in otlp.go). The SDK reads the rest from the process's
// environment, as it documents them: the sampler (OTEL_TRACES_SAMPLER and
// its argument), the batching (OTEL_BSP_*), span limits and the resource
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). Only OTLP over HTTP with
// protobuf is spoken. Shutdown flushes what is left.
func Start(ctx context.Context, getenv func(string) string) (*Tracing, error) {
	if !Enabled(getenv) {
		return nil, nil
	}
	if p := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); p != "" && p != "http/protobuf" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=%s: the portal sends traces as http/protobuf only", p)
	} else if p == "" {
		if p := getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "http/protobuf" {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: the portal sends traces as http/protobuf only", p)
		}
	}
	exporter, err := newOTLPExporter(getenv)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry exporter: %w", err)
	}
	// The default name first: the environment's detector, merged after it,
	// wins when it names the service.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(DefaultServiceName)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		_ = exporter.Shutdown(ctx)
		return nil, fmt.Errorf("OpenTelemetry resource (OTEL_RESOURCE_ATTRIBUTES): %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	return &Tracing{tp: tp, shutdown: tp.Shutdown, meters: metricnoop.NewMeterProvider()}, nil
}

// New is tracing into tp, which its caller ends: for tests, whose provider
// records spans in memory.
func New(tp trace.TracerProvider) *Tracing {
	return &Tracing{tp: tp, meters: metricnoop.NewMeterProvider()}
}

// On reports whether spans are made.
func (t *Tracing) On() bool { return t != nil }

// TracerProvider is the provider the parts that make spans of their own
// take (the queue, the cloud client); nil when off, which those parts read
// as "make none".
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.tp
}

// Shutdown ends the spans' export, sending what is still batched, within
// ctx. Call it after the server and the workers have stopped, so that their
// last spans go too.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// propagator reads a caller's trace context from W3C traceparent and
// tracestate headers (a proxy or a client that traces), and baggage.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// untracedPaths are asked for all the time by machines (probes, the
// metrics scraper) and say nothing about what people do: no spans.
var untracedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// Handler wraps the HTTP server's handler so that each request is a span
// (h itself when off). The span is named by the method alone here; the web
// server renames it by its route once the route is known (web's
// spanByRoute), since only the router knows "/requests/:id" from
// "/requests/42".
func (t *Tracing) Handler(h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return otelhttp.NewHandler(h, "http",
		otelhttp.WithTracerProvider(t.tp),
		otelhttp.WithMeterProvider(t.meters),
		otelhttp.WithPropagators(propagator),
		otelhttp.WithFilter(func(r *http.Request) bool { return !untracedPaths[r.URL.Path] }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
}

// PoolTracer is the tracer a pgx pool's connections take, one span per
// statement (nil when off). Statements outside any span (River's polling,
// the migrations) make none. A statement's span carries its SQL text, never
// its arguments (passwords are sealed, but tokens and names are still
// nobody's business).
func (t *Tracing) PoolTracer() *otelpgx.Tracer {
	if t == nil {
		return nil
	}
	return otelpgx.NewTracer(
		otelpgx.WithTracerProvider(t.tp),
		otelpgx.WithMeterProvider(t.meters),
		// Waiting for a connection shows as the gap before the statement:
		// a span of its own for each would double the spans.
		otelpgx.WithDisableAcquireTracer())
}

// LogHandler wraps h so that a line logged with a context inside a span
// (InfoContext and the like) carries the span's trace_id and span_id: the
// way from a log line to its trace. h itself when off.
func (t *Tracing) LogHandler(h slog.Handler) slog.Handler {
	if t == nil {
		return h
	}
	return traceLogHandler{h}
}

// traceLogHandler adds trace_id and span_id to records logged in a span.
type traceLogHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{h.Handler.WithGroup(name)}
}
