package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/notify"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
)

func TestMain(m *testing.M) { testpg.Main(m) }

const (
	webhookSecret = "whsec-do-not-leak"
	password      = "Sup3r-Secret-Pw1"
	maxAttempts   = 3
)

// delivery is one POST the receiver got.
type delivery struct {
	header http.Header
	body   []byte
	event  notify.Event
}

// receiver is a webhook endpoint on 127.0.0.1 that records every POST and
// answers with status(n), n counting the POSTs from 1.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []delivery
	status func(n int) int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev notify.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body is not an event: %v: %s", err, body)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), body: body, event: ev})
		n := len(rc.got)
		rc.mu.Unlock()
		w.WriteHeader(rc.status(n))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// waitFor polls cond until it holds, failing the test after a bounded wait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fixture is a store with the outbox hook, and a started provisioner whose
// River client works the webhook queue (its API is never called: the tests
// drive the transitions through the store).
type fixture struct {
	log       *testfix.SyncBuffer
	pool      *pgxpool.Pool
	st        *store.Store
	sealer    *secret.Sealer
	rc        *receiver
	requester store.User
	approver  store.User
}

func newFixture(t *testing.T, status func(n int) int) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{log: &testfix.SyncBuffer{}, pool: testpg.Pool(t), rc: newReceiver(t, status)}
	outbox := notify.NewOutbox(maxAttempts, "https://portal.example.com/")
	f.st = store.New(f.pool, store.WithEventHook(outbox.Hook))
	var err error
	f.sealer, err = secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	deliverer, err := notify.NewDeliverer(notify.DelivererConfig{URL: f.rc.srv.URL + "/hook?token=abc",
		Secret: webhookSecret, Logger: slog.New(slog.NewTextHandler(f.log, nil)), Timeout: 5 * time.Second, RetryBase: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	prov, err := provisioner.New(provisioner.Config{Store: f.st, API: noAPI{}, Sealer: f.sealer,
		FetchPollInterval: 100 * time.Millisecond, Extra: []provisioner.Extension{deliverer},
		Inserters: []provisioner.Inserter{outbox},
		// These tests approve without a provisioning job: the sweep that
		// fails such requests runs once, at start (awaited below), and not
		// again while they run.
		SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := prov.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = prov.Stop(stopCtx)
	})
	// The start's sweep, done before any request exists, so that it fails
	// none of them (it would add a webhook of its own).
	waitFor(t, "the first stranded-request sweep", func() bool {
		var n int
		err := f.pool.QueryRow(ctx, `SELECT count(*) FROM river_job
			WHERE kind = $1 AND state = 'completed'`, provisioner.SweepArgs{}.Kind()).Scan(&n)
		return err == nil && n > 0
	})
	if f.requester, err = f.st.CreateUser(ctx, "dev", domain.RoleRequester, "hash", nil); err != nil {
		t.Fatal(err)
	}
	if f.approver, err = f.st.CreateUser(ctx, "approver", domain.RoleApprover, "hash", nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// submit stores a request with a sealed password.
func (f *fixture) submit(t *testing.T, token string) domain.Request {
	t.Helper()
	p := testfix.Params(token)
	p.ZoneId, p.NetworkType, p.EngineVersion, p.Password = "cn-hangzhou-h", "CLASSIC", "5.0", password
	return testfix.Submit(t, f.st, f.sealer, f.requester.ID, p)
}

// jobs counts the webhook jobs in state ("" for any).
func (f *fixture) jobs(t *testing.T, state string) int {
	t.Helper()
	var n int
	err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job
		WHERE kind = 'webhook' AND ($1 = '' OR state::text = $1)`, state).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// start moves an approved request to provisioning (no webhook: not announced).
func (f *fixture) start(t *testing.T, id int64) {
	t.Helper()
	_, err := f.st.StartAttempt(context.Background(), id, 1, 1, "")
	if err != nil {
		t.Fatal(err)
	}
}

func TestLifecycleIsAnnounced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, func(int) int { return http.StatusNoContent })

	ok := f.submit(t, "tok-ok-1")
	waitFor(t, "the needs-approval delivery", func() bool { return len(f.rc.deliveries()) == 1 })
	d := f.rc.deliveries()[0]
	want := notify.Event{EventID: d.event.EventID, Topic: notify.TopicNeedsApproval, Action: domain.ActionRequestSubmitted,
		At: d.event.At, Actor: "dev", RequestID: ok.ID, RequestKind: "create", Status: "pending_approval", Requester: "dev",
		Params: domain.Params{InstanceType: "Redis", InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou",
			ZoneId: "cn-hangzhou-h", InstanceName: "orders-cache", ChargeType: "PostPaid", NetworkType: "CLASSIC", EngineVersion: "5.0"},
		Link: "https://portal.example.com/requests/" + itoa(ok.ID)}
	if d.event != want || d.event.EventID == 0 || d.event.At.IsZero() {
		t.Fatalf("needs approval:\n got %+v\nwant %+v", d.event, want)
	}
	if d.header.Get("Content-Type") != "application/json" || d.header.Get("X-KVPortal-Event") != domain.ActionRequestSubmitted ||
		d.header.Get("X-KVPortal-Delivery") != itoa(d.event.EventID) {
		t.Errorf("headers: %v", d.header)
	}

	if _, err := f.st.MoveApproved(ctx, ok.ID, f.approver.ID, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the decided delivery", func() bool { return len(f.rc.deliveries()) == 2 })
	d = f.rc.deliveries()[1]
	if d.event.Topic != notify.TopicDecided || d.event.Action != domain.ActionRequestApproved || d.event.Status != "approved" ||
		d.event.Actor != "approver" || d.event.Requester != "dev" {
		t.Fatalf("approved: %+v", d.event)
	}

	f.start(t, ok.ID)
	err := f.st.RecordSuccess(ctx, ok.ID, 1, store.Created{InstanceID: "r-bp1abc", InstanceName: "orders-cache"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the succeeded delivery", func() bool { return len(f.rc.deliveries()) == 3 })
	d = f.rc.deliveries()[2]
	if d.event.Topic != notify.TopicFinished || d.event.Action != domain.ActionSucceeded || d.event.Status != "succeeded" ||
		d.event.InstanceId != "r-bp1abc" || d.event.Params.InstanceName != "orders-cache" || d.event.Actor != "" {
		t.Fatalf("succeeded: %+v", d.event)
	}

	bad := f.submit(t, "tok-bad-1")
	if _, err := f.st.MoveApproved(ctx, bad.ID, f.approver.ID, nil); err != nil {
		t.Fatal(err)
	}
	f.start(t, bad.ID)
	_, err = f.st.RecordFailure(ctx, bad.ID, 1,
		store.Failure{Code: "InvalidInstanceClass.NotFound", Message: "The instance class does not exist."}, "")
	if err != nil {
		t.Fatal(err)
	}
	no := f.submit(t, "tok-no-1")
	if _, err := f.st.MoveRejected(ctx, no.ID, f.approver.ID, "too big for a test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every delivery", func() bool { return len(f.rc.deliveries()) == 8 })
	byAction := map[string]notify.Event{}
	for _, d := range f.rc.deliveries()[3:] {
		byAction[itoa(d.event.RequestID)+" "+d.event.Action] = d.event
	}
	failed := byAction[itoa(bad.ID)+" "+domain.ActionFailed]
	if failed.Topic != notify.TopicFinished || failed.Status != "failed" || failed.ErrorCode != "InvalidInstanceClass.NotFound" ||
		failed.ErrorMessage != "The instance class does not exist." {
		t.Errorf("failed: %+v", failed)
	}
	rejected := byAction[itoa(no.ID)+" "+domain.ActionRequestRejected]
	if rejected.Topic != notify.TopicDecided || rejected.Status != "rejected" || rejected.Reason != "too big for a test" ||
		rejected.Actor != "approver" {
		t.Errorf("rejected: %+v", rejected)
	}
	if len(byAction) != 5 {
		t.Errorf("deliveries after the first request: %v", byAction)
	}

	for _, d := range f.rc.deliveries() {
		body := string(d.body)
		for _, secret := range []string{password, webhookSecret, "tok-", "Password", "Token"} {
			if strings.Contains(body, secret) {
				t.Errorf("a delivery contains %q: %s", secret, body)
			}
		}
		if got := d.header.Get(notify.SignatureHeader); got != notify.Sign(webhookSecret, d.body) {
			t.Errorf("signature %q does not verify", got)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(f.rc.deliveries()); n != 8 {
		t.Errorf("%d deliveries, want exactly 8", n)
	}
}

func TestRolledBackChangeAnnouncesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, func(int) int { return http.StatusOK })
	r := f.submit(t, "tok-rb-1")
	waitFor(t, "the submission's delivery", func() bool { return f.jobs(t, "completed") == 1 })

	boom := errors.New("boom")
	_, err := f.st.MoveApproved(ctx, r.ID, f.approver.ID, func(context.Context, pgx.Tx, domain.Request) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Approve: %v", err)
	}
	if _, err := f.st.MoveApproved(ctx, r.ID, f.requester.ID, nil); !errors.Is(err, store.ErrOwnRequest) {
		t.Fatalf("own approval: %v", err)
	}
	if n := f.jobs(t, ""); n != 1 {
		t.Fatalf("%d webhook jobs after rolled-back decisions, want 1", n)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(f.rc.deliveries()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
}

func TestDeliveryIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	r := f.submit(t, "tok-retry-1")
	got, err := f.st.Request(ctx, r.ID)
	if err != nil || got.Status != domain.StatusPendingApproval {
		t.Fatalf("the submission must be committed at once: %+v, %v", got, err)
	}
	waitFor(t, "the third try", func() bool { return f.jobs(t, "completed") == 1 })
	ds := f.rc.deliveries()
	if len(ds) != 3 {
		t.Fatalf("%d tries, want 3", len(ds))
	}
	for _, d := range ds {
		if d.header.Get("X-KVPortal-Delivery") != ds[0].header.Get("X-KVPortal-Delivery") || string(d.body) != string(ds[0].body) {
			t.Errorf("a retry differs from the first try: %s / %s", d.body, ds[0].body)
		}
	}
}

func TestUndeliverableIsDiscarded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, func(int) int { return http.StatusServiceUnavailable })
	r := f.submit(t, "tok-down-1")
	if _, err := f.st.MoveApproved(ctx, r.ID, f.approver.ID, nil); err != nil {
		t.Fatalf("an undeliverable webhook must not block a decision: %v", err)
	}
	waitFor(t, "both jobs discarded", func() bool { return f.jobs(t, "discarded") == 2 })
	if n := len(f.rc.deliveries()); n != 2*maxAttempts {
		t.Errorf("%d tries, want %d", n, 2*maxAttempts)
	}
	got, err := f.st.Request(ctx, r.ID)
	if err != nil || got.Status != domain.StatusApproved {
		t.Fatalf("request after discarded webhooks: %+v, %v", got, err)
	}
	logs := f.log.String()
	if strings.Count(logs, "level=WARN msg=\"webhook delivery failed: will retry\"") != 2*(maxAttempts-1) ||
		strings.Count(logs, "level=ERROR msg=\"webhook delivery failed for the last time: discarded\"") != 2 ||
		!strings.Contains(logs, "503 Service Unavailable") {
		t.Errorf("logs:\n%s", logs)
	}
	for _, secret := range []string{webhookSecret, "token=abc", password} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log shows %q:\n%s", secret, logs)
		}
	}
}

func TestDelivererRejectsBadURL(t *testing.T) {
	t.Parallel()
	if _, err := notify.NewDeliverer(notify.DelivererConfig{URL: "ftp://x"}); err == nil {
		t.Fatal("want an error for ftp://")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// noAPI is a cloud the tests never call (the calls not written out here
// would panic on its nil API).
type noAPI struct{ provisioner.API }

func (noAPI) CreateInstance(context.Context, domain.Params, ...domain.Tag) (rkvstore.CreateResult, error) {
	return rkvstore.CreateResult{}, errors.New("not in these tests")
}

func (noAPI) DescribeInstanceAttribute(context.Context, string, string) (rkvstore.InstanceAttribute, error) {
	return rkvstore.InstanceAttribute{}, errors.New("not in these tests")
}

// An outbox no provisioner handed its River client refuses announced
// changes: the write fails rather than go unannounced.
func TestOutboxWithoutClientRefusesAnnouncedChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testpg.Pool(t)
	st := store.New(pool, store.WithEventHook(notify.NewOutbox(0, "").Hook))
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := st.CreateUser(ctx, "dev", domain.RoleRequester, "hash", nil)
	if err != nil {
		t.Fatalf("an unannounced change: %v", err)
	}
	p := testfix.Valid(t, testfix.Input(), nil)
	sealed, err := sealer.Seal([]byte(p.Password), []byte(p.Token))
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.CreateRequest(ctx, store.NewRequest{RequesterID: dev.ID, Params: p, PasswordSealed: sealed})
	if err == nil || !strings.Contains(err.Error(), "no River client") {
		t.Fatalf("CreateRequest without a client: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM requests`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d requests stored (%v)", n, err)
	}
}

func (noAPI) ListInstances(context.Context, string, rkvstore.InstanceFilter) ([]rkvstore.Instance, error) {
	return nil, errors.New("not in these tests")
}
