package telemetry

// The portal's own OTLP/HTTP trace exporter. The SDK's otlptracehttp
// exporter sends the same bytes, but its request type lives in a generated
// package that also holds the gRPC service, so linking it links gRPC and
// its gateway: about 3 MB of program, and 2.4 MB more resident memory in
// every portal, traced or not, because the pages of every linked package's
// start-up code are read in at start. What the exporter needs is small: the
// spans as OTLP's TracesData message (the same bytes on the wire as the
// collector's ExportTraceServiceRequest), one POST, and the standard
// OTEL_EXPORTER_OTLP_* settings.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/kvportal/kvportal/internal/wait"
)

// tracesPath is what OTLP/HTTP appends to OTEL_EXPORTER_OTLP_ENDPOINT for
// traces (a traces-only endpoint is used as it is).
const tracesPath = "/v1/traces"

// defaultExportTimeout bounds one export, retries included, as the
// specification's default for OTEL_EXPORTER_OTLP_TIMEOUT.
const defaultExportTimeout = 10 * time.Second

// exporterConfig is what the OTEL_EXPORTER_OTLP_* variables say about
// where and how spans are sent.
type exporterConfig struct {
	url     string
	headers http.Header
	timeout time.Duration
	gzip    bool
	tlsConf *tls.Config
}

// otlpSetting is a variable's traces-only form when set, else its general
// one: OTEL_EXPORTER_OTLP_TRACES_X over OTEL_EXPORTER_OTLP_X.
func otlpSetting(getenv func(string) string, name string) (key, value string) {
	if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_" + name)); v != "" {
		return "OTEL_EXPORTER_OTLP_TRACES_" + name, v
	}
	return "OTEL_EXPORTER_OTLP_" + name, strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_" + name))
}

// readExporterConfig reads the exporter's settings; a value that can't be
// used is an error naming its variable, so that a mistyped setting stops
// the start instead of losing every span.
func readExporterConfig(getenv func(string) string, readFile func(string) ([]byte, error)) (exporterConfig, error) {
	cfg := exporterConfig{headers: http.Header{}, timeout: defaultExportTimeout}
	endpoint := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	key := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	if endpoint == "" {
		key, endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT", strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("%s=%q: want an http:// or https:// URL", key, endpoint)
	}
	if key == "OTEL_EXPORTER_OTLP_ENDPOINT" {
		u.Path = strings.TrimSuffix(u.Path, "/") + tracesPath
	}
	cfg.url = u.String()

	if key, v := otlpSetting(getenv, "HEADERS"); v != "" {
		// A comma-separated list of key=value, values percent-encoded, as
		// W3C baggage writes them.
		for _, pair := range strings.Split(v, ",") {
			name, value, ok := strings.Cut(pair, "=")
			name = strings.TrimSpace(name)
			if !ok || name == "" {
				return cfg, fmt.Errorf("%s: %q is not key=value", key, strings.TrimSpace(pair))
			}
			decoded, err := url.PathUnescape(strings.TrimSpace(value))
			if err != nil {
				return cfg, fmt.Errorf("%s: the value of %s: %v", key, name, err)
			}
			cfg.headers.Set(name, decoded)
		}
	}
	if key, v := otlpSetting(getenv, "TIMEOUT"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return cfg, fmt.Errorf("%s=%q: want a positive number of milliseconds", key, v)
		}
		cfg.timeout = time.Duration(ms) * time.Millisecond
	}
	switch key, v := otlpSetting(getenv, "COMPRESSION"); strings.ToLower(v) {
	case "", "none":
	case "gzip":
		cfg.gzip = true
	default:
		return cfg, fmt.Errorf("%s=%q: want gzip or none", key, v)
	}
	if cfg.tlsConf, err = readTLS(getenv, readFile); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// readTLS is the TLS the certificate variables ask for: a CA to trust
// instead of the system's, and a client certificate; nil for the defaults.
func readTLS(getenv func(string) string, readFile func(string) ([]byte, error)) (*tls.Config, error) {
	caKey, ca := otlpSetting(getenv, "CERTIFICATE")
	certKey, cert := otlpSetting(getenv, "CLIENT_CERTIFICATE")
	keyKey, key := otlpSetting(getenv, "CLIENT_KEY")
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := readFile(ca)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caKey, err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", caKey, ca)
		}
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%s and %s go together: set both or neither", certKey, keyKey)
	}
	if cert != "" {
		certPEM, err := readFile(cert)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", certKey, err)
		}
		keyPEM, err := readFile(key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyKey, err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", certKey, keyKey, err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	return conf, nil
}

// otlpExporter sends batches of finished spans to an OTLP/HTTP receiver.
// The SDK's batch processor calls ExportSpans from one goroutine at a time.
type otlpExporter struct {
	cfg     exporterConfig
	client  *http.Client
	stopped atomic.Bool
	// sleep waits between attempts; tests shorten it.
	sleep func(context.Context, time.Duration) error
}

// newOTLPExporter is the exporter the environment describes.
func newOTLPExporter(getenv func(string) string) (*otlpExporter, error) {
	cfg, err := readExporterConfig(getenv, os.ReadFile)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.tlsConf != nil {
		transport.TLSClientConfig = cfg.tlsConf
	}
	return &otlpExporter{cfg: cfg, client: &http.Client{Transport: transport}, sleep: wait.Sleep}, nil
}

// errExporterStopped is the answer to spans handed over after Shutdown.
var errExporterStopped = errors.New("OTLP exporter: already shut down")

// ExportSpans implements sdktrace.SpanExporter: one POST of the batch,
// tried again while the receiver says it is busy or briefly down (429,
// 502, 503, 504, or no answer), within the export's timeout.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.stopped.Load() {
		return errExporterStopped
	}
	if len(spans) == 0 {
		return nil
	}
	body, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: resourceSpans(spans)})
	if err != nil {
		return fmt.Errorf("OTLP exporter: %w", err)
	}
	encoding := ""
	if e.cfg.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(body); err != nil {
			return fmt.Errorf("OTLP exporter: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("OTLP exporter: %w", err)
		}
		body, encoding = buf.Bytes(), "gzip"
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
	defer cancel()
	wait := time.Second
	for {
		retry, after, err := e.post(ctx, body, encoding)
		if err == nil || !retry {
			return err
		}
		if after <= 0 {
			after, wait = wait, min(2*wait, 30*time.Second)
		}
		if e.sleep(ctx, after) != nil {
			return fmt.Errorf("%w (gave up at the export's timeout of %s)", err, e.cfg.timeout)
		}
	}
}

// post sends one attempt; retry says whether another may succeed, after how
// long the receiver asked for (0 when it did not say).
func (e *otlpExporter) post(ctx context.Context, body []byte, encoding string) (retry bool, after time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.url, bytes.NewReader(body))
	if err != nil {
		return false, 0, fmt.Errorf("OTLP exporter: %w", err)
	}
	for k, v := range e.cfg.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "kvportal-otlp")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		// A collector that can't be reached may be back in a moment; one
		// whose certificate is not trusted will not be.
		var badCert *tls.CertificateVerificationError
		return ctx.Err() == nil && !errors.As(err, &badCert), 0, fmt.Errorf("OTLP exporter: %w", err)
	}
	// Read to the end (a little at most) so that the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return false, 0, nil
	case code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return true, after, fmt.Errorf("OTLP exporter: %s answered %s", e.cfg.url, resp.Status)
	default:
		return false, 0, fmt.Errorf("OTLP exporter: %s answered %s; the spans are dropped", e.cfg.url, resp.Status)
	}
}

// Shutdown implements sdktrace.SpanExporter. The batch processor has sent
// what it held before calling it.
func (e *otlpExporter) Shutdown(context.Context) error {
	e.stopped.Store(true)
	e.client.CloseIdleConnections()
	return nil
}

// resourceSpans groups spans as OTLP nests them: by the resource that made
// them, then by the instrumentation scope (otelhttp, otelpgx, ...) that
// started them, keeping their order within each.
func resourceSpans(spans []sdktrace.ReadOnlySpan) []*tracepb.ResourceSpans {
	type scopeKey struct {
		res   *resource.Resource
		scope instrumentation.Scope
	}
	var out []*tracepb.ResourceSpans
	byRes := map[*resource.Resource]*tracepb.ResourceSpans{}
	byScope := map[scopeKey]*tracepb.ScopeSpans{}
	for _, s := range spans {
		res := s.Resource()
		rs := byRes[res]
		if rs == nil {
			rs = &tracepb.ResourceSpans{Resource: &resourcepb.Resource{}}
			if res != nil {
				rs.Resource.Attributes = keyValues(res.Attributes())
				rs.SchemaUrl = res.SchemaURL()
			}
			byRes[res] = rs
			out = append(out, rs)
		}
		key := scopeKey{res, s.InstrumentationScope()}
		ss := byScope[key]
		if ss == nil {
			ss = &tracepb.ScopeSpans{
				Scope: &commonpb.InstrumentationScope{Name: key.scope.Name, Version: key.scope.Version,
					Attributes: keyValues(key.scope.Attributes.ToSlice())},
				SchemaUrl: key.scope.SchemaURL,
			}
			byScope[key] = ss
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		ss.Spans = append(ss.Spans, span(s))
	}
	return out
}

// span is one finished span as OTLP writes it.
func span(s sdktrace.ReadOnlySpan) *tracepb.Span {
	sc, parent := s.SpanContext(), s.Parent()
	tid, sid := sc.TraceID(), sc.SpanID()
	out := &tracepb.Span{
		TraceId:    tid[:],
		SpanId:     sid[:],
		TraceState: sc.TraceState().String(),
		Flags:      spanFlags(sc.TraceFlags(), parent),
		Name:       s.Name(),
		// The SDK's kinds and OTLP's share their numbers (internal 1 to
		// consumer 5); the SDK writes unspecified as internal.
		Kind:                   tracepb.Span_SpanKind(spanKind(s.SpanKind())),
		StartTimeUnixNano:      unixNano(s.StartTime()),
		EndTimeUnixNano:        unixNano(s.EndTime()),
		Attributes:             keyValues(s.Attributes()),
		DroppedAttributesCount: uint32(max(s.DroppedAttributes(), 0)),
		DroppedEventsCount:     uint32(max(s.DroppedEvents(), 0)),
		DroppedLinksCount:      uint32(max(s.DroppedLinks(), 0)),
		Status:                 status(s.Status()),
	}
	if parent.SpanID().IsValid() {
		psid := parent.SpanID()
		out.ParentSpanId = psid[:]
	}
	for _, ev := range s.Events() {
		out.Events = append(out.Events, &tracepb.Span_Event{
			TimeUnixNano: unixNano(ev.Time), Name: ev.Name,
			Attributes: keyValues(ev.Attributes), DroppedAttributesCount: uint32(max(ev.DroppedAttributeCount, 0)),
		})
	}
	for _, l := range s.Links() {
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		out.Links = append(out.Links, &tracepb.Span_Link{
			TraceId: ltid[:], SpanId: lsid[:], TraceState: l.SpanContext.TraceState().String(),
			Attributes: keyValues(l.Attributes), DroppedAttributesCount: uint32(max(l.DroppedAttributeCount, 0)),
			Flags: spanFlags(l.SpanContext.TraceFlags(), l.SpanContext),
		})
	}
	return out
}

func spanKind(k trace.SpanKind) trace.SpanKind {
	if k == trace.SpanKindUnspecified {
		return trace.SpanKindInternal
	}
	return k
}

// spanFlags is the W3C trace flags in the low byte, and whether the parent
// (or a link's span) came from another process, which OTLP records with a
// bit saying that it is known.
func spanFlags(tf trace.TraceFlags, other trace.SpanContext) uint32 {
	flags := uint32(tf) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if other.IsRemote() {
		flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	return flags
}

// status maps the SDK's codes to OTLP's, which number them differently
// (the SDK: unset, error, ok; OTLP: unset, ok, error).
func status(st sdktrace.Status) *tracepb.Status {
	out := &tracepb.Status{Message: st.Description}
	switch st.Code {
	case codes.Ok:
		out.Code = tracepb.Status_STATUS_CODE_OK
	case codes.Error:
		out.Code = tracepb.Status_STATUS_CODE_ERROR
	}
	return out
}

func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(max(t.UnixNano(), 0))
}

func keyValues(attrs []attribute.KeyValue) []*commonpb.KeyValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, 0, len(attrs))
	for _, kv := range attrs {
		out = append(out, &commonpb.KeyValue{Key: string(kv.Key), Value: anyValue(kv.Value)})
	}
	return out
}

// anyValue is an attribute's value as OTLP's AnyValue, each kind of value
// as its own field; an empty value is an AnyValue with none set.
func anyValue(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRING:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.AsString()}}
	case attribute.BYTESLICE:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: v.AsByteSlice()}}
	case attribute.BOOLSLICE:
		return arrayOf(v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		return arrayOf(v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		return arrayOf(v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		return arrayOf(v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		return arrayOf(v.AsSlice(), func(x attribute.Value) attribute.Value { return x })
	case attribute.MAP:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: keyValues(v.AsMap())}}}
	default:
		return &commonpb.AnyValue{}
	}
}

func arrayOf[T any](xs []T, value func(T) attribute.Value) *commonpb.AnyValue {
	vals := make([]*commonpb.AnyValue, len(xs))
	for i, x := range xs {
		vals[i] = anyValue(value(x))
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vals}}}
}
