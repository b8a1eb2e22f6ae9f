package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/secret"
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

// client is a browser without JavaScript: a cookie jar, no redirects
// followed, the CSRF token taken from the last page.
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
	csrf string
	addr string // X-Forwarded-For is ignored: the address is the socket's
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (r *response) location() string { return r.header.Get("Location") }

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		r.doc, err = goquery.NewDocumentFromReader(strings.NewReader(r.body))
		if err != nil {
			c.t.Fatal(err)
		}
		if tok, ok := r.doc.Find(`input[name="csrf_token"]`).First().Attr("value"); ok {
			c.csrf = tok
		}
	}
	return r
}

func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// postRaw posts form exactly as given (no CSRF token added).
func (c *client) postRaw(path string, body string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// post posts form with the session's CSRF token, fetching a page first
// when none is known yet.
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/login")
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", c.csrf)
	return c.postRaw(path, f.Encode())
}

// login signs in as username with testPassword.
func (c *client) login(username string) {
	c.t.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"username": {username}, "password": {testPassword}})
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("login %s: %d\n%s", username, r.status, r.body)
	}
	c.get("/requests") // a page, for a fresh CSRF token
}

// signedIn returns a client signed in as a new user of the role.
func (e *env) signedIn(name string, role domain.Role) (*client, store.User) {
	e.t.Helper()
	u := e.user(name, role)
	c := e.client()
	c.login(name)
	return c, u
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
