package telemetry

import (
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestExporterConfig(t *testing.T) {
	t.Parallel()
	noFile := func(string) ([]byte, error) { return nil, errors.New("no such file") }
	good := []struct {
		env     map[string]string
		url     string
		timeout time.Duration
		gzip    bool
		headers map[string]string
	}{
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
			url: "http://collector:4318/v1/traces", timeout: 10 * time.Second},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example/base/"},
			url: "https://otel.example/base/v1/traces", timeout: 10 * time.Second},
		// The traces endpoint is used as it is, and wins over the general one.
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:9999/custom"},
			url: "http://b:9999/custom", timeout: 10 * time.Second},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
			"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=s%20e%2Ccret, X-Team = kv "},
			url: "http://a:4318/v1/traces", timeout: 2500 * time.Millisecond, gzip: true,
			headers: map[string]string{"Api-Key": "s e,cret", "X-Team": "kv"}},
		// The traces-only form of each setting wins.
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
			"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "700", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
			"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "none"},
			url: "http://a:4318/v1/traces", timeout: 700 * time.Millisecond},
	}
	for _, tc := range good {
		cfg, err := readExporterConfig(envOf(tc.env), noFile)
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if cfg.url != tc.url || cfg.timeout != tc.timeout || cfg.gzip != tc.gzip || cfg.tlsConf != nil {
			t.Errorf("%v: %+v", tc.env, cfg)
		}
		for k, v := range tc.headers {
			if got := cfg.headers.Get(k); got != v {
				t.Errorf("%v: header %s = %q, want %q", tc.env, k, got, v)
			}
		}
	}
	bad := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://x/y"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "k=%zz"}, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a", "OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, "OTEL_EXPORTER_OTLP_COMPRESSION"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://a", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/etc/ca.pem"}, "OTEL_EXPORTER_OTLP_CERTIFICATE"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://a", "OTEL_EXPORTER_OTLP_CLIENT_KEY": "/k.pem"}, "go together"},
	}
	for _, tc := range bad {
		if _, err := readExporterConfig(envOf(tc.env), noFile); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
	// A file that holds no certificate is refused at the start.
	notPEM := func(string) ([]byte, error) { return []byte("not a certificate"), nil }
	if _, err := readExporterConfig(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://a",
		"OTEL_EXPORTER_OTLP_CERTIFICATE": "/etc/ca.pem"}), notPEM); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
}

// receiver is an OTLP/HTTP endpoint that answers each POST with the next
// of its statuses (200 once they run out) and keeps what it was sent.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	posts    int
	got      []*tracepb.TracesData
	headers  []http.Header
}

// seen is how many POSTs came and how many exports were kept.
func (rc *receiver) seen() (posts, kept int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.posts, len(rc.got)
}

func (rc *receiver) answer(statuses ...int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.statuses = statuses
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	rc.headers = append(rc.headers, r.Header.Clone())
	if len(rc.statuses) > 0 {
		code := rc.statuses[0]
		rc.statuses = rc.statuses[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(code)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, _ := io.ReadAll(body)
	var td tracepb.TracesData
	if err := proto.Unmarshal(raw, &td); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, &td)
}

// Spans made by the SDK arrive as OTLP writes them: under their resource
// and scope, with their ids, parent, kind, times, attributes of each type,
// events, links and status, and the configured headers, gzipped.
func TestExportSendsSpansAsOTLP(t *testing.T) {
	t.Parallel()
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	exp, err := newOTLPExporter(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20t0"}))
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	res := resource.NewSchemaless(attribute.String("service.name", "kvportal"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res))
	ctx, parent := tp.Tracer("web").Start(context.Background(), "GET /requests", trace.WithSpanKind(trace.SpanKindServer))
	linked := trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8}, TraceFlags: trace.FlagsSampled, Remote: true}
	_, child := tp.Tracer("db").Start(ctx, "SELECT", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithLinks(trace.Link{SpanContext: trace.NewSpanContext(linked), Attributes: []attribute.KeyValue{attribute.Int("n", 1)}}),
		trace.WithAttributes(attribute.String("db.statement", "SELECT 1"), attribute.Int64("rows", 3),
			attribute.Bool("ok", true), attribute.Float64("ratio", 0.5), attribute.StringSlice("tags", []string{"a", "b"})))
	child.AddEvent("retried", trace.WithAttributes(attribute.Int("attempt", 2)))
	child.SetStatus(codes.Error, "deadlock")
	child.End()
	parent.SetStatus(codes.Ok, "")
	parent.End()
	if err := exp.ExportSpans(context.Background(), rec.Ended()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 1 || rc.headers[0].Get("Authorization") != "Bearer t0" ||
		rc.headers[0].Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("received %d exports, headers %v", len(rc.got), rc.headers)
	}
	rss := rc.got[0].GetResourceSpans()
	if len(rss) != 1 || len(rss[0].GetScopeSpans()) != 2 {
		t.Fatalf("want one resource with two scopes: %v", rss)
	}
	if a := rss[0].GetResource().GetAttributes(); len(a) != 1 || a[0].GetKey() != "service.name" || a[0].GetValue().GetStringValue() != "kvportal" {
		t.Errorf("resource: %v", a)
	}
	spans := map[string]*tracepb.Span{}
	for _, ss := range rss[0].GetScopeSpans() {
		for _, s := range ss.GetSpans() {
			spans[ss.GetScope().GetName()+" "+s.GetName()] = s
		}
	}
	db, web := spans["db SELECT"], spans["web GET /requests"]
	if db == nil || web == nil {
		t.Fatalf("spans: %v", spans)
	}
	psc, csc := parent.SpanContext(), child.SpanContext()
	ptid, psid, csid := psc.TraceID(), psc.SpanID(), csc.SpanID()
	if string(db.GetTraceId()) != string(ptid[:]) || string(db.GetParentSpanId()) != string(psid[:]) ||
		string(db.GetSpanId()) != string(csid[:]) || len(web.GetParentSpanId()) != 0 {
		t.Errorf("ids: trace %x parent %x span %x; web's parent %x", db.GetTraceId(), db.GetParentSpanId(), db.GetSpanId(), web.GetParentSpanId())
	}
	if db.GetKind() != tracepb.Span_SPAN_KIND_CLIENT || web.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("kinds: %v, %v", db.GetKind(), web.GetKind())
	}
	if db.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || db.GetStatus().GetMessage() != "deadlock" ||
		web.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_OK {
		t.Errorf("statuses: %v, %v", db.GetStatus(), web.GetStatus())
	}
	if db.GetStartTimeUnixNano() == 0 || db.GetEndTimeUnixNano() < db.GetStartTimeUnixNano() {
		t.Errorf("times: %d..%d", db.GetStartTimeUnixNano(), db.GetEndTimeUnixNano())
	}
	if db.GetFlags()&0xff != uint32(trace.FlagsSampled) || db.GetFlags()&uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK) == 0 ||
		db.GetFlags()&uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK) != 0 {
		t.Errorf("flags: %b", db.GetFlags())
	}
	attrs := map[string]string{}
	for _, kv := range db.GetAttributes() {
		attrs[kv.GetKey()] = kv.GetValue().String()
	}
	for k, want := range map[string]string{"db.statement": `string_value:"SELECT 1"`, "rows": "int_value:3", "ok": "bool_value:true",
		"ratio": "double_value:0.5", "tags": `array_value:{values:{string_value:"a"} values:{string_value:"b"}}`} {
		if got := strings.Join(strings.Fields(attrs[k]), " "); got != want {
			t.Errorf("attribute %s: %q, want %q", k, got, want)
		}
	}
	if ev := db.GetEvents(); len(ev) != 1 || ev[0].GetName() != "retried" || ev[0].GetAttributes()[0].GetValue().GetIntValue() != 2 {
		t.Errorf("events: %v", ev)
	}
	if l := db.GetLinks(); len(l) != 1 || l[0].GetTraceId()[0] != 9 || l[0].GetSpanId()[0] != 8 ||
		l[0].GetFlags()&uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK) == 0 {
		t.Errorf("links: %v", l)
	}
}

// A busy receiver (429 with Retry-After, 503) is tried again after the
// wait it asks for or a growing one; a refusal (400) is not; after
// Shutdown nothing is sent.
func TestExportRetriesWhatMaySucceed(t *testing.T) {
	t.Parallel()
	rc := &receiver{statuses: []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusServiceUnavailable}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	exp, err := newOTLPExporter(envOf(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/v1/traces"}))
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	exp.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	_, s := tp.Tracer("t").Start(context.Background(), "work")
	s.End()
	if err := exp.ExportSpans(context.Background(), rec.Ended()); err != nil {
		t.Fatal(err)
	}
	if posts, kept := rc.seen(); posts != 4 || kept != 1 {
		t.Errorf("%d posts, %d received", posts, kept)
	}
	if want := []time.Duration{7 * time.Second, time.Second, 2 * time.Second}; len(waits) != 3 || waits[0] != want[0] || waits[1] != want[1] || waits[2] != want[2] {
		t.Errorf("waits %v, want %v", waits, want)
	}

	rc.answer(http.StatusBadRequest)
	if err := exp.ExportSpans(context.Background(), rec.Ended()); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("a 400: %v", err)
	}
	if posts, _ := rc.seen(); posts != 5 {
		t.Errorf("a 400 was tried again: %d posts", posts)
	}

	// The export's timeout ends the waiting.
	rc.answer(http.StatusServiceUnavailable)
	exp.sleep = func(context.Context, time.Duration) error { return context.DeadlineExceeded }
	if err := exp.ExportSpans(context.Background(), rec.Ended()); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("a receiver down for good: %v", err)
	}

	_ = exp.Shutdown(context.Background())
	before, _ := rc.seen()
	if err := exp.ExportSpans(context.Background(), rec.Ended()); !errors.Is(err, errExporterStopped) {
		t.Errorf("after Shutdown: %v", err)
	}
	if after, _ := rc.seen(); after != before {
		t.Errorf("after Shutdown: %d posts", after-before)
	}
}

// A collector with a certificate of its own is reached when
// OTEL_EXPORTER_OTLP_CERTIFICATE names the file that holds it, and refused
// (the system's roots don't know it) when it does not.
func TestExportTrustsTheGivenCertificate(t *testing.T) {
	t.Parallel()
	rc := &receiver{}
	srv := httptest.NewTLSServer(rc)
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "collector.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	_, s := tp.Tracer("t").Start(context.Background(), "work")
	s.End()

	trusting, err := newOTLPExporter(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, "OTEL_EXPORTER_OTLP_CERTIFICATE": ca}))
	if err != nil {
		t.Fatal(err)
	}
	if err := trusting.ExportSpans(context.Background(), rec.Ended()); err != nil {
		t.Errorf("with the collector's certificate: %v", err)
	}
	plain, err := newOTLPExporter(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.ExportSpans(context.Background(), rec.Ended()); err == nil {
		t.Error("an unknown certificate was trusted")
	}
	if _, kept := rc.seen(); kept != 1 {
		t.Errorf("%d exports received, want 1", kept)
	}
}
