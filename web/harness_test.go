package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/admission"
	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/web"
	"github.com/kvportal/kvportal/workflow"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// clock is a settable clock for session timeouts.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// staticCatalog is a fixed catalog.

// env is a portal on its own database, served by httptest.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	st       *store.Store
	clock    *clock
	sealer   *secret.Sealer
	h        *handlers.Handlers
	keys     []byte // the session keys, shared with replicas
	enqueued atomic.Int64
}

// replica is a second portal process on e's database: its own pool and
// server, the same session keys (as replicas behind a load balancer have).
func (e *env) replica() *env {
	e.t.Helper()
	pool, err := pgxpool.New(context.Background(), e.st.Pool().Config().ConnString())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(pool.Close)
	st := store.New(pool)
	sm, err := auth.NewSessions(auth.SessionConfig{Keys: e.keys, Store: st, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	r := &env{t: e.t, st: st, clock: e.clock, sealer: e.sealer, keys: e.keys}
	h := *e.h
	h.Store, h.Sessions = st, sm
	r.h = &h
	r.srv = httptest.NewServer(web.New(web.Deps{Logger: h.Logger, Registry: web.NewRegistry(), Ping: st.Ping, Handlers: r.h}))
	e.t.Cleanup(r.srv.Close)
	return r
}

type envOption func(*handlers.Handlers)

func withCatalog(cat *domain.Catalog) envOption {
	return func(h *handlers.Handlers) {
		if cat == nil {
			h.Workflow.Catalog = nil
		} else {
			h.Workflow.Catalog = testfix.StaticCatalog{Cat: cat}
		}
	}
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	pool := testpg.Pool(t)
	st := store.New(pool)
	clk := &clock{now: time.Now()}
	keys := randomBytes(64)
	sm, err := auth.NewSessions(auth.SessionConfig{Keys: keys, Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(randomBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, clock: clk, sealer: sealer, keys: keys}
	e.h, err = handlers.New(handlers.Deps{
		Store: st, Sessions: sm, Simulated: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now,
		Workflow: &workflow.Workflow{Store: st, Sealer: sealer, Catalog: testfix.StaticCatalog{Cat: testfix.Catalog()},
			Enqueue: func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
				e.enqueued.Add(1)
				return nil
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The address is known before the server starts: it is the portal's
	// public URL, which options (single sign-on) may need.
	e.srv = httptest.NewUnstartedServer(nil)
	e.h.BaseURL = "http://" + e.srv.Listener.Addr().String()
	for _, o := range opts {
		o(e.h)
	}
	e.srv.Config.Handler = web.New(web.Deps{Logger: e.h.Logger, Registry: web.NewRegistry(), Ping: st.Ping, Handlers: e.h})
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

const testPassword = "correct horse battery"

var testHash = func() string {
	h, err := auth.HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
}()

// user creates a user whose password is testPassword.
func (e *env) user(name string, role domain.Role) store.User {
	e.t.Helper()
	u, err := e.st.CreateUser(context.Background(), name, role, testHash, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// request stores a valid pending request of u directly.
func (e *env) request(u store.User) domain.Request {
	e.t.Helper()
	return testfix.Submit(e.t, e.st, e.sealer, u.ID, testfix.Params(domain.NewToken()))
}

// countEvents counts the audit events of an action (of a request when id > 0).
func (e *env) countEvents(action string, requestID int64) int {
	e.t.Helper()
	var n int
	err := e.st.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_events WHERE action = $1 AND ($2 = 0 OR request_id = $2)`, action, requestID).Scan(&n)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) countRequests() int {
	e.t.Helper()
	var n int
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM requests`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// validForm is a form that passes every rule with testCatalog.
func validForm() url.Values {
	return url.Values{
		"InstanceType": {"Redis"}, "EngineVersion": {"4.0"}, "InstanceClass": {"redis.master.small.default"},
		"InstanceName": {"orders-cache"}, "RegionId": {"cn-hangzhou"}, "ZoneId": {"cn-hangzhou-b"},
		"NetworkType": {"Classic"}, "ChargeType": {"PostPaid"}, "Password": {"Sup3rSecretPw"},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (e *env) countAllEvents() int {
	e.t.Helper()
	var n int
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// eventsOf counts the events of an action by actor (nil: the system).
func (e *env) eventsOf(action string, actorID *int64) int {
	e.t.Helper()
	var n int
	err := e.st.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_events WHERE action = $1 AND actor_id IS NOT DISTINCT FROM $2`, action, actorID).Scan(&n)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// failedRequest is a request of u that went through approval and one
// permanent failure, by store calls as the provisioner makes them.
func (e *env) failedRequest(u, approver store.User) domain.Request {
	e.t.Helper()
	ctx := context.Background()
	r := e.request(u)
	if _, err := e.st.Approve(ctx, r.ID, approver.ID, nil); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.StartAttempt(ctx, r.ID, 1, 1); err != nil {
		e.t.Fatal(err)
	}
	r, err := e.st.RecordFailure(ctx, r.ID, 1,
		store.Failure{Code: "InvalidParameter", Message: "bad class", CloudRequestID: "REQ-1"}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func mustID(t *testing.T, location string) int64 {
	t.Helper()
	var id int64
	for _, c := range strings.TrimPrefix(location, "/requests/") {
		if c < '0' || c > '9' {
			t.Fatalf("location %q", location)
		}
		id = id*10 + int64(c-'0')
	}
	return id
}

// withProvisioner wires the real provisioner, on the simulator over HTTP,
// the way cmd/portal does: approvals and re-queues enqueue its jobs.
func withProvisioner(t *testing.T) envOption {
	return func(h *handlers.Handlers) {
		sim, err := simulator.New(simulator.Config{AccessKeyID: "web-key", AccessKeySecret: "web-secret", Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		api, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: "web-key",
			AccessKeySecret: "web-secret", ReadTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		p, err := provisioner.New(provisioner.Config{Store: h.Store, API: api, Sealer: h.Workflow.Sealer,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxAttempts: 3, LeaseTimeout: 10 * time.Second,
			Retry:     provisioner.RetryPolicy{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
			StopGrace: 2 * time.Second, FollowInterval: 50 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = p.Stop(ctx)
		})
		h.Workflow.Enqueue = p.EnqueueTx
		h.Workflow.Requeuer = p.Requeue
	}
}

// waitStatus waits until request id reaches status.
func (e *env) waitStatus(id int64, status domain.Status) domain.Request {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := e.st.Request(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.Status == status {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("request %d still %s, want %s", id, r.Status, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withFormPrices offers "Estimate price" on the form, priced by the real
// client against the simulator over HTTP.
func withFormPrices(t *testing.T) envOption {
	return func(h *handlers.Handlers) {
		sim, err := simulator.New(simulator.Config{AccessKeyID: "form-key", AccessKeySecret: "form-secret"})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		api, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: "form-key", AccessKeySecret: "form-secret"})
		if err != nil {
			t.Fatal(err)
		}
		h.Pricer = api
	}
}

// fixedPrice estimates every request at the same hourly (PostPaid) or
// total (PrePaid) amount.
type fixedPrice float64

func (f fixedPrice) Estimate(context.Context, domain.Params) (rkvstore.Price, bool) {
	return rkvstore.Price{Currency: "CNY", TradeAmount: float64(f), OriginalPrice: float64(f)}, true
}

// withGate admits submissions through teams and policies, prices estimated
// at hourly.
func withGate(hourly float64) envOption {
	return func(h *handlers.Handlers) {
		(&admission.Gate{Store: h.Store, Prices: fixedPrice(hourly), Logger: h.Logger}).Wire(h.Workflow)
	}
}

func (e *env) team(name string, maxInstances *int, maxSpend *float64, members ...store.User) domain.Team {
	e.t.Helper()
	ctx := context.Background()
	t, err := e.st.CreateTeam(ctx, name, maxInstances, maxSpend, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range members {
		if err := e.st.AddMember(ctx, t.ID, u.ID, nil); err != nil {
			e.t.Fatal(err)
		}
	}
	return t
}

func (e *env) policies(doc string) int64 {
	e.t.Helper()
	v, err := e.st.SavePolicies(context.Background(), doc, 1, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return v.ID
}

func (e *env) sessionCount(userID int64) int {
	e.t.Helper()
	var n int
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id = $1`, userID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
