package main

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/kvportal/kvportal/telemetry"
)

// tracingFlushTimeout bounds sending the last batch of spans at shutdown: a
// collector that is away must not hold up the stop.
const tracingFlushTimeout = 5 * time.Second

// startTracing turns on the tracing of a serving command (serve,
// provision): as the environment's OTEL_* variables ask, or into
// e.traces when a test set it; then e.tracing is what each part is built
// with, and e.logger marks the lines logged in a span with its ids. stop
// flushes the spans not yet sent: call it once the server and the workers
// have stopped, so that their last spans go too.
func (e *env) startTracing(ctx context.Context) (stop func(), err error) {
	if e.traces != nil {
		e.tracing = telemetry.New(e.traces)
	} else if e.tracing, err = telemetry.Start(ctx, e.getenv); err != nil {
		return nil, err
	}
	if !e.tracing.On() {
		return func() {}, nil
	}
	e.logger = slog.New(e.tracing.LogHandler(e.logger.Handler()))
	e.logger.Info("tracing on: spans go to the OTLP endpoint",
		"endpoint", cmp.Or(e.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), e.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")))
	tracing, logger := e.tracing, e.logger
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tracingFlushTimeout)
		defer cancel()
		if err := tracing.Shutdown(ctx); err != nil {
			logger.Warn("tracing: the last spans could not be sent", "err", err)
		}
	}, nil
}
