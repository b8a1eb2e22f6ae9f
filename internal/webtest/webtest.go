// Package webtest serves a whole portal over HTTP for tests: the handlers
// behind the web server's routes and middleware, on a database of the
// test's own, with a settable clock and clients that sign in and post forms
// as a browser without JavaScript does.
//
// It is a package of its own because two sets of tests need the same
// portal: the handlers' tests (what each page shows and does) and web's
// tests (routes, middleware, security headers, and the browser tests in
// Chromium). Each test package still needs
// func TestMain(m *testing.M) { testpg.Main(m) } for its databases.
package webtest

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvportal/kvportal/api"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/admin"
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

// Env is a portal on its own database, served by httptest. Its fields are
// the parts a test reaches behind the pages: the store to set up or check
// rows, the handlers to change a dependency, the number of provisioning
// jobs enqueued (none run unless WithProvisioner).
type Env struct {
	T        *testing.T
	Srv      *httptest.Server
	St       *store.Store
	Clock    *testfix.Clock
	Sealer   *secret.Sealer
	H        *handlers.Handlers
	Keys     []byte // the session keys, shared with replicas
	Enqueued atomic.Int64
}

// Replica is a second portal process on e's database: its own pool and
// server, the same session keys (as replicas behind a load balancer have).
func (e *Env) Replica() *Env {
	e.T.Helper()
	pool, err := pgxpool.New(context.Background(), e.St.Pool().Config().ConnString())
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(pool.Close)
	st := store.New(pool)
	sm, err := auth.NewSessions(auth.SessionConfig{Keys: e.Keys, Store: st, Clock: e.Clock})
	if err != nil {
		e.T.Fatal(err)
	}
	r := &Env{T: e.T, St: st, Clock: e.Clock, Sealer: e.Sealer, Keys: e.Keys}
	h := *e.H
	h.Store, h.Sessions, h.Admin = st, sm, &admin.Admin{Store: st, Clock: e.Clock}
	r.H = &h
	r.Srv = httptest.NewServer(web.New(web.Deps{Logger: h.Logger, Registry: web.NewRegistry(), Ping: st.Ping, Handlers: r.H}))
	e.T.Cleanup(r.Srv.Close)
	return r
}

// Option changes the handlers before the portal starts serving.
type Option func(*handlers.Handlers)

// WithCatalog gives the portal cat as its catalog (nil: none).
func WithCatalog(cat *domain.Catalog) Option {
	return func(h *handlers.Handlers) {
		if cat == nil {
			h.Workflow.Catalog = nil
		} else {
			h.Workflow.Catalog = testfix.StaticCatalog{Cat: cat}
		}
	}
}

// New starts a portal for t, stopped when t ends: simulated cloud, the
// small test catalog, provisioning jobs counted but not run; opts change
// that.
func New(t *testing.T, opts ...Option) *Env {
	t.Helper()
	return NewOn(t, testpg.Pool(t), opts...)
}

// NewOn is New on pool (one that counts statements, say).
func NewOn(t *testing.T, pool *pgxpool.Pool, opts ...Option) *Env {
	t.Helper()
	st := store.New(pool)
	clk := testfix.NewClock(time.Now())
	keys := randomBytes(64)
	sm, err := auth.NewSessions(auth.SessionConfig{Keys: keys, Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(randomBytes(32))
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, St: st, Clock: clk, Sealer: sealer, Keys: keys}
	e.H, err = handlers.New(handlers.Deps{
		Store: st, Sessions: sm, Simulated: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk,
		Workflow: &workflow.Workflow{Store: st, Sealer: sealer, Catalog: testfix.StaticCatalog{Cat: testfix.Catalog()}, Clock: clk,
			Enqueue: func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
				e.Enqueued.Add(1)
				return nil
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The address is known before the server starts: it is the portal's
	// public URL, which options (single sign-on) may need.
	e.Srv = httptest.NewUnstartedServer(nil)
	e.H.BaseURL = "http://" + e.Srv.Listener.Addr().String()
	for _, o := range opts {
		o(e.H)
	}
	// The JSON API beside the pages, on the same workflow: what a script
	// or the command-line client does is what a page does.
	e.Srv.Config.Handler = web.New(web.Deps{Logger: e.H.Logger, Registry: web.NewRegistry(), Ping: st.Ping, Handlers: e.H,
		API: &api.Deps{Store: st, Workflow: e.H.Workflow, Logger: e.H.Logger, Clock: clk, Admin: e.H.Admin}})
	e.Srv.Start()
	t.Cleanup(e.Srv.Close)
	return e
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Password is the password of every user the harness creates.
const Password = "correct horse battery"

var testHash = func() string {
	h, err := auth.HashPassword(Password)
	if err != nil {
		panic(err)
	}
	return h
}()

// User creates a user whose password is Password.
func (e *Env) User(name string, role domain.Role) store.User {
	e.T.Helper()
	u, err := e.St.CreateUser(context.Background(), name, role, testHash, nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return u
}

// Request stores a valid pending request of u directly.
func (e *Env) Request(u store.User) domain.Request {
	e.T.Helper()
	return testfix.Submit(e.T, e.St, e.Sealer, u.ID, testfix.Params(domain.NewToken()))
}

// CountEvents counts the audit events of an action (of a request when id > 0).
func (e *Env) CountEvents(action string, requestID int64) int {
	e.T.Helper()
	var n int
	err := e.St.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_events WHERE action = $1 AND ($2 = 0 OR request_id = $2)`, action, requestID).Scan(&n)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

// CountRequests counts every request.
func (e *Env) CountRequests() int {
	e.T.Helper()
	var n int
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM requests`).Scan(&n); err != nil {
		e.T.Fatal(err)
	}
	return n
}

// ValidForm is a form that passes every rule with the test catalog.
func ValidForm() url.Values {
	return url.Values{
		"InstanceType": {"Redis"}, "EngineVersion": {"4.0"}, "InstanceClass": {testfix.InstanceClass},
		"InstanceName": {"orders-cache"}, "RegionId": {"cn-hangzhou"}, "ZoneId": {"cn-hangzhou-b"},
		"NetworkType": {"Classic"}, "ChargeType": {"PostPaid"}, "Password": {"Sup3rSecretPw"},
	}
}

// Itoa is an id as it appears in paths and forms.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }

// CountAllEvents counts every audit event.
func (e *Env) CountAllEvents() int {
	e.T.Helper()
	var n int
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events`).Scan(&n); err != nil {
		e.T.Fatal(err)
	}
	return n
}

// EventsOf counts the events of an action by actor (nil: the system).
func (e *Env) EventsOf(action string, actorID *int64) int {
	e.T.Helper()
	var n int
	err := e.St.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_events WHERE action = $1 AND actor_id IS NOT DISTINCT FROM $2`, action, actorID).Scan(&n)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

// FailedRequest is a request of u that went through approval and one
// permanent failure, by store calls as the provisioner makes them.
func (e *Env) FailedRequest(u, approver store.User) domain.Request {
	e.T.Helper()
	ctx := context.Background()
	r := e.Request(u)
	if _, err := e.St.MoveApproved(ctx, r.ID, approver.ID, nil); err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, r.ID, 1, 1, ""); err != nil {
		e.T.Fatal(err)
	}
	r, err := e.St.RecordFailure(ctx, r.ID, 1,
		store.Failure{Code: "InvalidParameter", Message: "bad class", CloudRequestID: "REQ-1"}, "")
	if err != nil {
		e.T.Fatal(err)
	}
	return r
}

// Instance is instance id, made by a request of u (for team, when not nil)
// that went through approval and one successful attempt, by store calls
// as the provisioner makes them; the instance is Normal.
func (e *Env) Instance(u, approver store.User, team *domain.Team, id string) domain.Instance {
	e.T.Helper()
	ctx := context.Background()
	r := e.Request(u)
	if team != nil {
		if _, err := e.St.Pool().Exec(ctx, `UPDATE requests SET team_id = $2 WHERE id = $1`, r.ID, team.ID); err != nil {
			e.T.Fatal(err)
		}
	}
	if _, err := e.St.MoveApproved(ctx, r.ID, approver.ID, nil); err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, r.ID, 1, 1, ""); err != nil {
		e.T.Fatal(err)
	}
	if err := e.St.RecordSuccess(ctx, r.ID, 1, store.Created{InstanceID: id, InstanceName: "cache-" + id,
		InstanceStatus: domain.InstanceNormal, Result: map[string]any{}, ConnectionDomain: id + ".redis.example", Port: 6379}); err != nil {
		e.T.Fatal(err)
	}
	in, err := e.St.Instance(ctx, id)
	if err != nil {
		e.T.Fatal(err)
	}
	return in
}

// MustID is the id of the request a redirect to /requests/{id} names.
func MustID(t *testing.T, location string) int64 {
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

// WithProvisioner wires the real provisioner, on the simulator over HTTP,
// the way cmd/portal does: approvals and re-queues enqueue its jobs.
func WithProvisioner(t *testing.T) Option {
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

// WaitStatus waits until request id reaches status.
func (e *Env) WaitStatus(id int64, status domain.Status) domain.Request {
	e.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := e.St.Request(context.Background(), id)
		if err != nil {
			e.T.Fatal(err)
		}
		if r.Status == status {
			return r
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("request %d still %s, want %s", id, r.Status, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WithFormPrices offers "Estimate price" on the form, priced by the real
// client against the simulator over HTTP.
func WithFormPrices(t *testing.T) Option {
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

// WithGate admits submissions through teams and policies, prices estimated
// at hourly.
func WithGate(hourly float64) Option {
	return func(h *handlers.Handlers) {
		(&admission.Gate{Store: h.Store, Prices: fixedPrice(hourly), Logger: h.Logger}).Wire(h.Workflow)
	}
}

// Team creates a team with its limits (nil: none) and members.
func (e *Env) Team(name string, maxInstances *int, maxSpend *float64, members ...store.User) domain.Team {
	e.T.Helper()
	ctx := context.Background()
	t, err := e.St.CreateTeam(ctx, name, maxInstances, maxSpend, nil)
	if err != nil {
		e.T.Fatal(err)
	}
	for _, u := range members {
		if err := e.St.AddMember(ctx, t.ID, u.ID, nil); err != nil {
			e.T.Fatal(err)
		}
	}
	return t
}

// Policies saves doc as the current policies and returns its version's id.
func (e *Env) Policies(doc string) int64 {
	e.T.Helper()
	v, err := e.St.SavePolicies(context.Background(), doc, 1, nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return v.ID
}

// SessionCount counts the sessions of a user.
func (e *Env) SessionCount(userID int64) int {
	e.T.Helper()
	var n int
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id = $1`, userID).Scan(&n); err != nil {
		e.T.Fatal(err)
	}
	return n
}
