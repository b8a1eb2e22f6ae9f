package telemetry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kvportal/kvportal/telemetry"
)

func TestEnabled(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_SERVICE_NAME": "kvportal"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "false"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	}
	for _, tc := range cases {
		if got := telemetry.Enabled(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.env, got, tc.want)
		}
	}
}

// Off, nothing is wrapped or made: the handler is the server's own, the
// pool gets no tracer, the log handler is the same one, and no provider is
// handed to the queue or the cloud client.
func TestOffLeavesEverythingAsItIs(t *testing.T) {
	t.Parallel()
	tr, err := telemetry.Start(context.Background(), func(string) string { return "" })
	if err != nil || tr != nil {
		t.Fatalf("Start without an endpoint: %v, %v", tr, err)
	}
	h := &page{}
	if got := tr.Handler(h); got != http.Handler(h) {
		t.Error("the HTTP handler was wrapped")
	}
	if tr.PoolTracer() != nil || tr.TracerProvider() != nil || tr.On() {
		t.Error("off, a tracer was made")
	}
	lh := slog.NewTextHandler(&bytes.Buffer{}, nil)
	if tr.LogHandler(lh) != slog.Handler(lh) {
		t.Error("the log handler was wrapped")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// page is a handler that can be told apart from a wrapper of it.
type page struct{}

func (*page) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

// A protocol the portal does not speak is refused at the start rather
// than failing on every export.
func TestStartRefusesGRPC(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	if _, err := telemetry.Start(context.Background(), func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "http/protobuf") {
		t.Fatalf("grpc accepted: %v", err)
	}
}

// A line logged inside a span names the span's trace and itself; a line
// outside any span names none.
func TestLogLinesCarryTheTraceID(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tr := telemetry.New(tp)
	var out bytes.Buffer
	log := slog.New(tr.LogHandler(slog.NewTextHandler(&out, nil))).With("part", "test")
	ctx, span := tp.Tracer("test").Start(context.Background(), "work")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines: %q", lines)
	}
	sc := span.SpanContext()
	if want := "trace_id=" + sc.TraceID().String() + " span_id=" + sc.SpanID().String(); !strings.Contains(lines[0], want) ||
		!strings.Contains(lines[0], "part=test") {
		t.Errorf("inside the span: %q, want %s", lines[0], want)
	}
	if strings.Contains(lines[1], "trace_id") {
		t.Errorf("outside any span: %q", lines[1])
	}
}
