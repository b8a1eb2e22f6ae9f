package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/admission"
	"github.com/kvportal/kvportal/api"
	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// env is the API on its own database, with a user of each role (two
// approvers) and a token each.
type env struct {
	t        testing.TB
	st       *store.Store
	clock    *testfix.Clock
	srv      *httptest.Server
	enqueued atomic.Int64
	users    map[string]store.User
	tokens   map[string]string
}

type envConfig struct {
	rate  float64
	burst int
	// statements, when set, counts every statement the API sends.
	statements *testpg.Statements
}

func newEnv(t testing.TB, cfgs ...envConfig) *env {
	t.Helper()
	pool := testpg.Pool
	for _, c := range cfgs {
		if c.statements != nil {
			pool = func(t testing.TB) *pgxpool.Pool { return testpg.CountingPool(t, c.statements) }
		}
	}
	st := store.New(pool(t))
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, clock: testfix.NewClock(time.Now()), users: map[string]store.User{}, tokens: map[string]string{}}
	flow := &workflow.Workflow{Store: st, Sealer: sealer, Catalog: testfix.StaticCatalog{Cat: testfix.Catalog()},
		Enqueue: func(context.Context, pgx.Tx, domain.Request) error { e.enqueued.Add(1); return nil }}
	(&admission.Gate{Store: st}).Wire(flow)
	d := api.Deps{Store: st, Workflow: flow, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.clock,
		Rate: 1000, Burst: 1000}
	for _, c := range cfgs {
		if c.rate > 0 {
			d.Rate, d.Burst = c.rate, c.burst
		}
	}
	ech := echo.New()
	api.Register(ech, d)
	e.srv = httptest.NewServer(ech)
	t.Cleanup(e.srv.Close)
	for name, role := range map[string]domain.Role{"rita": domain.RoleRequester, "ruth": domain.RoleRequester,
		"anna": domain.RoleApprover, "bert": domain.RoleApprover, "root": domain.RoleAdmin} {
		e.addUser(name, role)
	}
	return e
}

func (e *env) addUser(name string, role domain.Role) {
	e.t.Helper()
	u, err := e.st.CreateUser(context.Background(), name, role, "hash", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.users[name] = u
	e.tokens[name] = e.issue(name, "ci "+name, 0)
}

func (e *env) issue(user, name string, ttl time.Duration) string {
	e.t.Helper()
	tok, _, errs, err := apitoken.Issue(context.Background(), e.st, e.users[user], name, ttl, nil, e.clock.Now())
	if err != nil || len(errs) > 0 {
		e.t.Fatalf("issue: %v %v", errs, err)
	}
	return tok
}

// response is an answer, its body decoded.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends method path with body (a value to encode, a []byte as is, or
// nil) and token.
func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// as sends with the token of user.
func (e *env) as(user, method, path string, body any, headers ...string) response {
	e.t.Helper()
	return e.do(method, path, e.tokens[user], body, headers...)
}

func validBody() map[string]any {
	return map[string]any{"InstanceName": "orders-cache", "Password": "Ch4ngeMe2026", "InstanceClass": testfix.InstanceClass,
		"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-b", "ChargeType": "PostPaid", "NetworkType": "Classic",
		"InstanceType": "Redis", "EngineVersion": "4.0"}
}

// submit makes a pending request of user and returns its id.
func (e *env) submit(user string) int64 {
	e.t.Helper()
	res := e.as(user, http.MethodPost, "/api/v1/requests", validBody())
	if res.status != http.StatusCreated {
		e.t.Fatalf("submit as %s: %d %s", user, res.status, res.raw)
	}
	return int64(res.body["id"].(float64))
}

func path(id int64, rest string) string {
	return "/api/v1/requests/" + strconv.FormatInt(id, 10) + rest
}
