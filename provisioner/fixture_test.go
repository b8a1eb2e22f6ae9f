package provisioner_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(runHelperProcess())
	}
	testpg.Main(m)
}

const (
	simKeyID     = "test-key"
	simKeySecret = "test-secret"
	// sealKeyHex is the sealing key of every test, processes included.
	sealKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	password   = "Passw0rdOK123"
)

// fixture is one test's world: its own database, a simulator over real
// HTTP, the real client, two users, and a Provisioner (not started) whose
// EnqueueTx approvals use.
type fixture struct {
	t         *testing.T
	dbURL     string
	st        *store.Store
	sim       *simulator.Simulator
	endpoint  string
	api       *rkvstore.Client
	sealer    *secret.Sealer
	requester store.User
	approver  store.User
	admin     store.User
	enqueuer  *provisioner.Provisioner

	mu       sync.Mutex
	tokens   map[string][]string // CreateInstance Token → Password sent, one per call
	tags     map[string][]string // CreateInstance Token → its tags ("k=v k=v"), one per call
	onCreate func(n int, form url.Values)
	creates  int
}

// setOnCreate sets a function called as each CreateInstance call arrives at
// the simulator (n counts them from 1), before the simulator acts on it.
func (f *fixture) setOnCreate(fn func(n int, form url.Values)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onCreate = fn
}

func newFixture(t *testing.T, simCfg simulator.Config) *fixture {
	t.Helper()
	f := &fixture{t: t, dbURL: testpg.URL(t), tokens: map[string][]string{}, tags: map[string][]string{}}
	pool, err := pgxpool.New(context.Background(), f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	f.st = store.New(pool)
	simCfg.AccessKeyID, simCfg.AccessKeySecret = simKeyID, simKeySecret
	if simCfg.Seed == 0 {
		simCfg.Seed = 42
	}
	if f.sim, err = simulator.New(simCfg); err != nil {
		t.Fatal(err)
	}
	f.sim.CallHook(func(action string, form url.Values) {
		if action == "CreateInstance" {
			f.mu.Lock()
			f.tokens[form.Get("Token")] = append(f.tokens[form.Get("Token")], form.Get("Password"))
			f.tags[form.Get("Token")] = append(f.tags[form.Get("Token")], wireTags(form))
			f.creates++
			n, fn := f.creates, f.onCreate
			f.mu.Unlock()
			if fn != nil {
				fn(n, form)
			}
		}
	})
	srv := httptest.NewServer(f.sim)
	t.Cleanup(srv.Close)
	f.endpoint = srv.URL
	if f.api, err = rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: simKeyID,
		AccessKeySecret: simKeySecret, ReadTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	f.sealer = testSealer()
	ctx := context.Background()
	for _, u := range []struct {
		dst  *store.User
		name string
		role domain.Role
	}{{&f.requester, "dev", domain.RoleRequester}, {&f.approver, "approver", domain.RoleApprover}, {&f.admin, "admin", domain.RoleAdmin}} {
		if *u.dst, err = f.st.CreateUser(ctx, u.name, u.role, "hash", nil); err != nil {
			t.Fatal(err)
		}
	}
	f.enqueuer, err = provisioner.New(provisioner.Config{Store: f.st, API: f.api, Sealer: f.sealer, MaxAttempts: 8})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func testSealer() *secret.Sealer {
	key, err := secret.LoadKey(sealKeyHex, "", "test", 32)
	if err != nil {
		panic(err)
	}
	s, err := secret.NewSealer(key)
	if err != nil {
		panic(err)
	}
	return s
}

// config is a fast provisioner configuration for tests.
func (f *fixture) config() provisioner.Config {
	return provisioner.Config{
		Store: f.st, API: f.api, Sealer: f.sealer,
		Logger:            testLogger(f.t),
		Concurrency:       4,
		MaxAttempts:       4,
		LeaseTimeout:      10 * time.Second,
		Retry:             provisioner.RetryPolicy{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond},
		StopGrace:         5 * time.Second,
		FollowInterval:    50 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
	}
}

// start builds and starts a provisioner, stopped when the test ends.
func (f *fixture) start(cfg provisioner.Config) *provisioner.Provisioner {
	f.t.Helper()
	p, err := provisioner.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p
}

// validParams are CreateInstance parameters the simulator accepts.
func (f *fixture) validParams(token string) domain.Params {
	f.t.Helper()
	return testfix.Valid(f.t, testfix.Input(func(in domain.Input) {
		in["InstanceName"], in["Password"], in["Token"] = "cache-"+token[:min(len(token), 8)], password, token
		in["ZoneId"], in["EngineVersion"] = "cn-hangzhou-g", "4.0"
	}), f.sim.Catalog())
}

// submit stores a request with p, its password sealed as the portal does.
func (f *fixture) submit(p domain.Params) domain.Request {
	f.t.Helper()
	return testfix.Submit(f.t, f.st, f.sealer, f.requester.ID, p)
}

// approve approves r, its job enqueued in the approval's transaction.
func (f *fixture) approve(r domain.Request) {
	f.t.Helper()
	if _, err := f.st.MoveApproved(context.Background(), r.ID, f.approver.ID, f.enqueuer.EnqueueTx); err != nil {
		f.t.Fatal(err)
	}
}

// approved submits and approves a valid request.
func (f *fixture) approved(token string) domain.Request {
	f.t.Helper()
	r := f.submit(f.validParams(token))
	f.approve(r)
	return r
}

// wait polls request id until cond holds, or fails the test after timeout.
func (f *fixture) wait(id int64, timeout time.Duration, what string, cond func(domain.Request) bool) domain.Request {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r, err := f.st.Request(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("request %d: waited %s for %s; it is %s (attempts %d, error %q %q)", id, timeout, what,
				r.Status, r.Attempts, r.ErrorCode, r.ErrorMessage)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) waitStatus(id int64, timeout time.Duration, status domain.Status) domain.Request {
	f.t.Helper()
	return f.wait(id, timeout, string(status), func(r domain.Request) bool { return r.Status == status })
}

// actions lists a request's events, oldest first.
func (f *fixture) actions(id int64) []string {
	f.t.Helper()
	evs, err := f.st.RequestEvents(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func (f *fixture) events(id int64) []store.Event {
	f.t.Helper()
	evs, err := f.st.RequestEvents(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

func count(list []string, v string) int {
	n := 0
	for _, s := range list {
		if s == v {
			n++
		}
	}
	return n
}

// calls returns the passwords sent with token, one per CreateInstance call.
func (f *fixture) calls(token string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokens[token])
}

// tagCalls returns the tags sent with token, one "k=v k=v" per
// CreateInstance call.
func (f *fixture) tagCalls(token string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tags[token])
}

// wireTags is the Tag.N.Key / Tag.N.Value parameters of a call, in the
// order of N, as "k=v k=v".
func wireTags(form url.Values) string {
	var out []string
	for n := 1; form.Has(fmt.Sprintf("Tag.%d.Key", n)); n++ {
		out = append(out, form.Get(fmt.Sprintf("Tag.%d.Key", n))+"="+form.Get(fmt.Sprintf("Tag.%d.Value", n)))
	}
	return strings.Join(out, " ")
}

// onlyTokens checks that every CreateInstance call carried one of tokens.
func (f *fixture) sawTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for tok := range f.tokens {
		out = append(out, tok)
	}
	return out
}

// simInstance returns the simulator's instance for token.
func (f *fixture) simInstance(token string) (simulator.Instance, error) {
	var found []simulator.Instance
	for _, in := range f.sim.Instances() {
		if in.Token == token {
			found = append(found, in)
		}
	}
	if len(found) != 1 {
		return simulator.Instance{}, fmt.Errorf("token %s: %d instances", token, len(found))
	}
	return found[0], nil
}

// checkOneInstance checks that a succeeded request's instance is the only
// one the simulator made with its token.
func (f *fixture) checkOneInstance(r domain.Request) {
	f.t.Helper()
	in, err := f.simInstance(r.Params.Token)
	if err != nil {
		f.t.Fatal(err)
	}
	if r.InstanceID != in.InstanceId {
		f.t.Fatalf("request %d recorded %s; the simulator made %s", r.ID, r.InstanceID, in.InstanceId)
	}
}

// testLogger logs into a buffer shown only when the test fails.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	buf := &testfix.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("PROVISIONER_TEST_LOG") != "" {
			t.Logf("provisioner log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
