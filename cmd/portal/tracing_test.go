package main

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// spanTree is the ended spans of a run, to walk from a span to its parents.
type spanTree struct {
	spans []sdktrace.ReadOnlySpan
	byID  map[trace.SpanID]sdktrace.ReadOnlySpan
}

func newSpanTree(spans []sdktrace.ReadOnlySpan) spanTree {
	st := spanTree{spans: spans, byID: map[trace.SpanID]sdktrace.ReadOnlySpan{}}
	for _, s := range spans {
		st.byID[s.SpanContext().SpanID()] = s
	}
	return st
}

// named is every span called name.
func (st spanTree) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range st.spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// within reports whether s is a descendant of ancestor.
func (st spanTree) within(s, ancestor sdktrace.ReadOnlySpan) bool {
	for p := s.Parent(); p.IsValid(); {
		if p.SpanID() == ancestor.SpanContext().SpanID() {
			return true
		}
		parent, ok := st.byID[p.SpanID()]
		if !ok {
			return false
		}
		p = parent.Parent()
	}
	return false
}

// under is every span below ancestor whose instrumentation is scope.
func (st spanTree) under(ancestor sdktrace.ReadOnlySpan, scope string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range st.spans {
		if s.InstrumentationScope().Name == scope && st.within(s, ancestor) {
			out = append(out, s)
		}
	}
	return out
}

// one is the one span called name; the test fails when there are none or
// several.
func (st spanTree) one(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	got := st.named(name)
	if len(got) != 1 {
		t.Fatalf("%d spans named %q, want 1; spans: %v", len(got), name, st.names())
	}
	return got[0]
}

func (st spanTree) names() []string {
	var names []string
	for _, s := range st.spans {
		names = append(names, s.Name())
	}
	return names
}

const sqlScope = "github.com/exaring/otelpgx"

// The whole way of a request, traced: the form's submission and the
// approval are spans named by their routes with their SQL statements
// inside; the provisioning job's span links back to the approval's trace,
// where it was enqueued; CreateInstance, called on the built-in simulator,
// is a span inside the job's; and the job's log lines carry its trace id.
// The portal is the real `portal serve`, its spans recorded in memory.
func TestTracingFollowsARequestToItsInstance(t *testing.T) {
	t.Parallel()
	dbURL := testpg.URL(t)
	vars := map[string]string{"DATABASE_URL": dbURL, "PORTAL_DATA_DIR": t.TempDir(),
		"PORTAL_SECRET_KEY": strings.Repeat("cd", 32), "PORTAL_RETRY_BASE_DELAY": "50ms"}
	getenv := func(k string) string { return vars[k] }
	for _, u := range []struct{ name, role string }{{"dev", "requester"}, {"boss", "approver"}} {
		if err := run(context.Background(), []string{"users", "add", "--username", u.name, "--role", u.role, "--password-stdin"},
			getenv, strings.NewReader(webtest.Password+"\n"), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var log lockedBuffer
	e := newEnv(getenv, strings.NewReader(""), io.Discard, &log)
	e.traces = tp
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- e.run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	base := servedURL(t, &log, served)

	dev := webtest.NewClient(t, base)
	dev.Login("dev")
	dev.Get("/requests/new")
	resp := dev.Post("/requests", url.Values{"InstanceName": {"traced-cache"}, "InstanceClass": {testfix.InstanceClass},
		"RegionId": {testfix.RegionID}, "ZoneId": {testfix.ZoneID}, "ChargeType": {"PostPaid"}, "Password": {"Sup3rSecretPw"}})
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s\n%s", resp.Status, resp.Body, log.String())
	}
	id := webtest.MustID(t, resp.Location())
	boss := webtest.NewClient(t, base)
	boss.Login("boss")
	boss.Get(resp.Location())
	if r := boss.Post(resp.Location()+"/approve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", r.Status, r.Body)
	}
	waitSucceeded(t, dbURL, id, &log)
	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v\n%s", err, log.String())
	}

	st := newSpanTree(rec.Ended())
	// Named by route, never by path: no span holds the request's number.
	for _, name := range st.names() {
		if strings.Contains(name, "/requests/"+webtest.Itoa(id)) {
			t.Errorf("span %q is named by its path", name)
		}
	}
	submit := st.one(t, "POST /requests")
	approve := st.one(t, "POST /requests/:id/approve")
	for _, s := range []sdktrace.ReadOnlySpan{submit, approve} {
		if s.SpanKind() != trace.SpanKindServer || s.Parent().IsValid() {
			t.Errorf("%s: kind %v, parent %v: want a server span starting its trace", s.Name(), s.SpanKind(), s.Parent())
		}
		if n := len(st.under(s, sqlScope)); n == 0 {
			t.Errorf("%s has no SQL statement inside it", s.Name())
		}
	}
	// The dry run at submission is a cloud call of the submission's.
	var submitCalls []string
	for _, s := range st.under(submit, "github.com/kvportal/kvportal/rkvstore") {
		submitCalls = append(submitCalls, s.Name())
	}
	if !slices.Contains(submitCalls, "R-KVStore CreateInstance") {
		t.Errorf("the submission's dry run is not inside its span; its cloud calls: %v", submitCalls)
	}

	// The job was enqueued inside the approval, and its run links to that.
	inserts := st.named("river.insert_many")
	var insert sdktrace.ReadOnlySpan
	for _, s := range inserts {
		if st.within(s, approve) {
			insert = s
		}
	}
	if insert == nil {
		t.Fatalf("no river.insert_many inside the approval; spans: %v", st.names())
	}
	var job sdktrace.ReadOnlySpan
	for _, s := range st.named("river.work/provision_instance") {
		for _, l := range s.Links() {
			if l.SpanContext.SpanID() == insert.SpanContext().SpanID() && l.SpanContext.TraceID() == approve.SpanContext().TraceID() {
				job = s
			}
		}
	}
	if job == nil {
		t.Fatalf("no provisioning job's span links to the approval's insertion; spans: %v", st.names())
	}
	if job.SpanContext().TraceID() == approve.SpanContext().TraceID() {
		t.Error("the job's span is in the approval's trace: it should start its own, linked")
	}
	calls := st.under(job, "github.com/kvportal/kvportal/rkvstore")
	if len(calls) != 1 || calls[0].Name() != "R-KVStore CreateInstance" || calls[0].SpanKind() != trace.SpanKindClient {
		t.Fatalf("%d cloud calls inside the job, want the one CreateInstance: %v", len(calls), calls)
	}
	if len(st.under(job, sqlScope)) == 0 {
		t.Error("the job has no SQL statement inside it")
	}

	// The job's log line says which trace it belongs to.
	line := regexp.MustCompile(`(?m)^.*msg="instance created".*$`).FindString(log.String())
	if want := "trace_id=" + job.SpanContext().TraceID().String(); !strings.Contains(line, want) {
		t.Errorf("the job's log line %q lacks %s", line, want)
	}
}

// waitSucceeded waits until request id has succeeded, reading the
// database on a pool of its own (whose statements make no spans).
func waitSucceeded(t *testing.T, dbURL string, id int64, log *lockedBuffer) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := st.Request(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == domain.StatusSucceeded {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %d still %s\n%s", id, r.Status, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// otlpReceiver is an OTLP/HTTP trace receiver in the test's process: what a
// collector would get.
type otlpReceiver struct {
	url   string
	mu    sync.Mutex
	spans map[string]string // span name -> the service.name it came under
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rcv := &otlpReceiver{spans: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP receiver: %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			t.Errorf("OTLP receiver: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			var service string
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					rcv.spans[s.GetName()] = service
				}
			}
		}
		rcv.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	rcv.url = srv.URL
	return rcv
}

// received is the service name span name arrived under, and whether it did.
func (r *otlpReceiver) received(name string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	service, ok := r.spans[name]
	return service, ok
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, `portal serve` exports its spans
// over OTLP/HTTP, as the SDK reads the variables, under the service name
// kvportal; what is still batched when it stops is sent before it returns.
// (Not parallel: the SDK reads the process's environment.)
func TestTracingExportsOverOTLP(t *testing.T) {
	rcv := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.url)
	// Batches wait for the stop: what arrives was sent by the flush.
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	vars := map[string]string{"DATABASE_URL": testpg.URL(t), "PORTAL_DATA_DIR": t.TempDir(),
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.url}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var log lockedBuffer
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return vars[k] },
			strings.NewReader(""), io.Discard, &log)
	}()
	base := servedURL(t, &log, served)
	if !strings.Contains(log.String(), `msg="tracing on`) {
		t.Errorf("the log does not say tracing is on:\n%s", log.String())
	}
	c := webtest.NewClient(t, base)
	c.Get("/login")
	// A failed sign-in: the database is asked, and the attempt recorded.
	if r := c.Post("/login", url.Values{"username": {"nobody"}, "password": {"not-the-password"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("sign-in: %d", r.Status)
	}
	c.Get("/healthz")
	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v\n%s", err, log.String())
	}
	for _, name := range []string{"GET /login", "POST /login"} {
		if service, ok := rcv.received(name); !ok || service != "kvportal" {
			t.Errorf("span %q: received %v, under service %q", name, ok, service)
		}
	}
	if _, ok := rcv.received("GET /healthz"); ok {
		t.Error("the health probe was traced")
	}
	if _, ok := rcv.received("SELECT"); !ok {
		t.Error("no SQL statement's span arrived")
	}
}
