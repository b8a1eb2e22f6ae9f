package rkvstore

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// startSpan starts the span of one call: a client span named after the
// action, which is what a trace reader looks for ("R-KVStore
// CreateInstance"), with the region and the endpoint's host. A span around
// the call rather than around its HTTP request, because the call is what
// the portal asks for, and its outcome (the cloud's code, its RequestId,
// whether to retry) is only known here.
func (c *Client) startSpan(ctx context.Context, action, regionID string) (context.Context, trace.Span) {
	return c.tracer.Start(ctx, "R-KVStore "+action, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("rpc.system.name", "alibaba_cloud"),
			attribute.String("rpc.method", "R-kvstore/"+action),
			attribute.String("cloud.region", regionID),
			attribute.String("server.address", c.host)))
}

// endSpan ends a call's span with its outcome: on an error, the cloud's code
// and RequestId and the error's class, and the error status.
func endSpan(span trace.Span, err error) {
	if err != nil {
		if apiErr, ok := errors.AsType[*APIError](err); ok {
			span.SetAttributes(
				attribute.String("error.type", apiErr.Code),
				attribute.String("kvportal.error_class", apiErr.Class.String()),
				attribute.String("alibaba_cloud.request_id", apiErr.RequestId))
		}
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
