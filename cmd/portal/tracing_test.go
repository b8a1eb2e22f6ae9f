package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

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
