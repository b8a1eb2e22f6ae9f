package slackapp_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvportal/kvportal/admission"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/slackapp"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/web"
	"github.com/kvportal/kvportal/workflow"
)

func TestMain(m *testing.M) { testpg.Main(m) }

const (
	signingSecret  = "slack-signing-secret-do-not-leak"
	botToken       = "xoxb-test-token-do-not-leak"
	defaultChannel = "CDEFAULT01"
	teamChannel    = "CPAYMENTS1"
)

// call is one Web API call the fake Slack got: the method and its
// arguments (form fields, or a JSON body's top-level keys as JSON text).
type call struct {
	method string
	args   url.Values
}

// fakeSlack is Slack's Web API on 127.0.0.1: it records each call and
// answers as Slack does, with a new ts for each message posted.
type fakeSlack struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []call
	next  int
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		args := url.Values{}
		body, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("%s: %v", method, err)
			}
			for k, v := range m {
				args.Set(k, string(v))
			}
		} else {
			args, _ = url.ParseQuery(string(body))
		}
		if r.Header.Get("Authorization") != "Bearer "+botToken && args.Get("token") != botToken {
			t.Errorf("%s without the bot token", method)
		}
		f.mu.Lock()
		f.calls = append(f.calls, call{method: method, args: args})
		f.next++
		ts := fmt.Sprintf("1700000000.%06d", f.next)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch method {
		case "chat.postMessage", "chat.update":
			channel := args.Get("channel")
			if method == "chat.update" {
				ts = args.Get("ts")
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": channel, "ts": ts})
		case "chat.postEphemeral":
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "message_ts": ts})
		case "users.info":
			email := slackEmails[args.Get("user")]
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": map[string]any{"id": args.Get("user"),
				"profile": map[string]any{"email": email}}})
		case "views.open":
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "view": map[string]any{"id": "V1"}})
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "unknown_method"})
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// of returns the calls of a method, in order.
func (f *fakeSlack) of(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// fixture is a portal with its Slack app: the store with the Slack
// outbox as its hook, a started provisioner on the simulator whose River
// client works the Slack queue, and the interactions route served by the
// web server as the binary serves it.
type fixture struct {
	t        *testing.T
	st       *store.Store
	app      *slackapp.App
	wf       *workflow.Workflow
	slack    *fakeSlack
	srv      *httptest.Server
	log      *testfix.SyncBuffer
	dev, ann *store.User
	bob      *store.User
}

type fixedPrice float64

func (f fixedPrice) Estimate(context.Context, domain.Params) (rkvstore.Price, bool) {
	return rkvstore.Price{Currency: "CNY", TradeAmount: float64(f), OriginalPrice: float64(f)}, true
}

func newFixture(t *testing.T, opts ...func(*slackapp.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, slack: newFakeSlack(t), log: &testfix.SyncBuffer{}}
	logger := slog.New(slog.NewTextHandler(f.log, nil))
	outbox := slackapp.NewOutbox(defaultChannel)
	f.st = store.New(testpg.Pool(t), store.WithEventHook(outbox.Hook))
	var err error
	cfg := slackapp.Config{BotToken: botToken, SigningSecret: signingSecret, DefaultChannel: defaultChannel,
		BaseURL: "https://portal.example.com/", APIURL: f.slack.srv.URL + "/api/", Store: f.st, Logger: logger}
	for _, o := range opts {
		o(&cfg)
	}
	f.app, err = slackapp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Config{AccessKeyID: "slack-key", AccessKeySecret: "slack-secret", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	api, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: simSrv.URL, AccessKeyID: "slack-key",
		AccessKeySecret: "slack-secret", ReadTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := provisioner.New(provisioner.Config{Store: f.st, API: api, Sealer: sealer, Logger: logger,
		MaxAttempts: 3, LeaseTimeout: 10 * time.Second,
		Retry:     provisioner.RetryPolicy{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		StopGrace: 2 * time.Second, FollowInterval: 50 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
		Extra: []provisioner.Extension{f.app}, Inserters: []provisioner.Inserter{outbox}})
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
	f.wf = &workflow.Workflow{Store: f.st, Sealer: sealer, Enqueue: prov.EnqueueTx, Requeuer: prov.Requeue}
	(&admission.Gate{Store: f.st, Prices: fixedPrice(0.5), Logger: logger}).Wire(f.wf)
	f.srv = httptest.NewServer(web.New(web.Deps{Logger: logger, Registry: web.NewRegistry(), Ping: f.st.Ping,
		SlackInteractions: f.app.Interactions(f.wf)}))
	t.Cleanup(f.srv.Close)

	f.dev = f.user("dev", domain.RoleApprover) // an approver too: the four-eyes rule is what stops them
	f.ann = f.user("ann", domain.RoleApprover)
	f.bob = f.user("bob", domain.RoleApprover)
	team, err := f.st.CreateTeam(ctx, "payments", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddMember(ctx, team.ID, f.dev.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetTeamSlackChannel(ctx, team.ID, teamChannel, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) user(name string, role domain.Role) *store.User {
	f.t.Helper()
	u, err := f.st.CreateUser(context.Background(), name, role, "hash", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &u
}

// link links u to Slack member member the way a person does: the code the
// app sends by direct message, typed back.
func (f *fixture) link(u *store.User, member string) {
	f.t.Helper()
	ctx := context.Background()
	problem, err := f.app.StartLink(ctx, u.ID, member)
	if err != nil || problem != "" {
		f.t.Fatalf("start link: %q %v", problem, err)
	}
	dms := f.slack.of("chat.postMessage")
	dm := dms[len(dms)-1]
	if dm.args.Get("channel") != member {
		f.t.Fatalf("the code went to %q, not %s", dm.args.Get("channel"), member)
	}
	code := regexp.MustCompile(`\*([A-Z2-7]{4}-[A-Z2-7]{4})\*`).FindStringSubmatch(dm.args.Get("text"))
	if code == nil {
		f.t.Fatalf("no code in %q", dm.args.Get("text"))
	}
	if problem, err := f.app.ConfirmLink(ctx, u.ID, strings.ToLower(code[1])); err != nil || problem != "" {
		f.t.Fatalf("confirm link: %q %v", problem, err)
	}
}

// submit submits a request of dev for the payments team, as the form does.
func (f *fixture) submit() domain.Request {
	f.t.Helper()
	r, errs, err := f.wf.Submit(context.Background(), workflow.Actor{ID: f.dev.ID, Role: f.dev.Role},
		testfix.Input(func(in domain.Input) { in[domain.TeamField] = "payments" }))
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("submit: %v %v", errs, err)
	}
	return r
}

// posted waits for request id's message and returns its ts.
func (f *fixture) posted(id int64) string {
	f.t.Helper()
	var ts string
	waitFor(f.t, "the request's message", func() bool {
		m, err := f.st.SlackMessage(context.Background(), id)
		ts = m.TS
		return err == nil && ts != ""
	})
	return ts
}

// sign is the X-Slack-Signature of body sent at ts.
func sign(secret string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:%s", ts, body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// post sends payload to the interactions route as Slack does, signed with
// secret at time at.
func (f *fixture) post(payload any, secret string, at time.Time) (int, string) {
	f.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	body := "payload=" + url.QueryEscape(string(b))
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+web.SlackInteractionsPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("X-Slack-Signature", sign(secret, at.Unix(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// click is a signed click by Slack member member on verb's button of
// request id, in channel.
func (f *fixture) click(member, verb string, id int64, channel string) (int, string) {
	return f.post(map[string]any{
		"type": "block_actions", "trigger_id": "trigger-" + member,
		"user":    map[string]any{"id": member},
		"channel": map[string]any{"id": channel},
		"actions": []map[string]any{{"type": "button", "block_id": "decide", "action_id": verb + ":" + strconv.FormatInt(id, 10), "value": strconv.FormatInt(id, 10)}},
	}, signingSecret, time.Now())
}

// ephemeralTo waits for an ephemeral answer to member and returns its text.
func (f *fixture) ephemeralTo(member string) string {
	f.t.Helper()
	var text string
	waitFor(f.t, "an ephemeral answer to "+member, func() bool {
		for _, c := range f.slack.of("chat.postEphemeral") {
			if c.args.Get("user") == member {
				text = c.args.Get("text")
				return true
			}
		}
		return false
	})
	return text
}

func (f *fixture) waitStatus(id int64, want domain.Status) domain.Request {
	f.t.Helper()
	var r domain.Request
	waitFor(f.t, "request status "+string(want), func() bool {
		var err error
		r, err = f.st.Request(context.Background(), id)
		return err == nil && r.Status == want
	})
	return r
}

func (f *fixture) status(id int64) domain.Status {
	f.t.Helper()
	r, err := f.st.Request(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r.Status
}

// events are request id's events of action, their details.
func (f *fixture) events(id int64, action string) []domain.Details {
	f.t.Helper()
	evs, err := f.st.RequestEvents(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []domain.Details
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e.Details)
		}
	}
	return out
}

// updates waits for an update of the message ts whose text holds want.
func (f *fixture) updated(ts, want string) call {
	f.t.Helper()
	var got call
	waitFor(f.t, "an update saying "+want, func() bool {
		for _, c := range f.slack.of("chat.update") {
			if c.args.Get("ts") == ts && strings.Contains(c.args.Get("blocks"), want) {
				got = c
				return true
			}
		}
		return false
	})
	return got
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestApprovedInSlackAndCreated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.link(f.ann, "UANN0001")
	r := f.submit()
	ts := f.posted(r.ID)

	posts := f.slack.of("chat.postMessage")
	msg := posts[len(posts)-1]
	blocks := msg.args.Get("blocks")
	if msg.args.Get("channel") != teamChannel {
		t.Errorf("posted to %q, want the team's channel %s", msg.args.Get("channel"), teamChannel)
	}
	for _, want := range []string{"kvportal_approve:" + strconv.FormatInt(r.ID, 10), "kvportal_reject:" + strconv.FormatInt(r.ID, 10),
		"https://portal.example.com/requests/" + strconv.FormatInt(r.ID, 10), testfix.InstanceClass, testfix.RegionID,
		"dev", "payments", "365.00 a month", "create"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("the message lacks %q: %s", want, blocks)
		}
	}

	if code, body := f.click("UANN0001", "kvportal_approve", r.ID, teamChannel); code != http.StatusOK {
		t.Fatalf("click: %d %s", code, body)
	}
	if st := f.status(r.ID); st == domain.StatusPendingApproval {
		t.Fatalf("still pending after the click")
	}
	approved := f.events(r.ID, domain.ActionRequestApproved)
	if len(approved) != 1 || approved[0].String(domain.KeyVia) != "slack" {
		t.Fatalf("approved events: %v", approved)
	}
	got, _ := f.st.Request(context.Background(), r.ID)
	if got.DeciderName != "ann" {
		t.Errorf("decided by %q, want ann", got.DeciderName)
	}
	done := f.waitStatus(r.ID, domain.StatusSucceeded)
	update := f.updated(ts, "Instance created")
	if !strings.Contains(update.args.Get("blocks"), "ann") || !strings.Contains(update.args.Get("blocks"), done.InstanceID) ||
		strings.Contains(update.args.Get("blocks"), "kvportal_approve") {
		t.Errorf("final message: %s", update.args.Get("blocks"))
	}
	if update.args.Get("channel") != teamChannel {
		t.Errorf("updated in %q", update.args.Get("channel"))
	}
	if n := len(f.slack.of("chat.postMessage")); n != len(posts) {
		t.Errorf("%d messages posted after the first, want updates only", n-len(posts))
	}
	for _, leak := range []string{signingSecret, botToken} {
		if strings.Contains(f.log.String(), leak) {
			t.Errorf("the log holds a secret")
		}
	}
}

func TestBadSignaturesChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.link(f.ann, "UANN0001")
	r := f.submit()
	f.posted(r.ID)
	payload := map[string]any{"type": "block_actions", "user": map[string]any{"id": "UANN0001"},
		"channel": map[string]any{"id": teamChannel},
		"actions": []map[string]any{{"type": "button", "block_id": "decide", "action_id": "kvportal_approve:" + strconv.FormatInt(r.ID, 10)}}}
	for name, send := range map[string]func() (int, string){
		"forged":   func() (int, string) { return f.post(payload, "not-the-secret", time.Now()) },
		"replayed": func() (int, string) { return f.post(payload, signingSecret, time.Now().Add(-6*time.Minute)) },
		"unsigned": func() (int, string) {
			resp, err := http.Post(f.srv.URL+web.SlackInteractionsPath, "application/x-www-form-urlencoded", strings.NewReader("payload={}"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode, ""
		},
	} {
		if code, _ := send(); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}
	if st := f.status(r.ID); st != domain.StatusPendingApproval {
		t.Errorf("status %s after bad signatures", st)
	}
	if n := len(f.slack.of("chat.postEphemeral")); n != 0 {
		t.Errorf("%d ephemeral answers to unsigned requests", n)
	}
}

func TestOwnRequestRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.link(f.dev, "UDEV0001")
	r := f.submit()
	f.posted(r.ID)
	if code, _ := f.click("UDEV0001", "kvportal_approve", r.ID, teamChannel); code != http.StatusOK {
		t.Fatalf("click: %d", code)
	}
	if text := f.ephemeralTo("UDEV0001"); !strings.Contains(text, "four-eyes") {
		t.Errorf("answer: %q", text)
	}
	if st := f.status(r.ID); st != domain.StatusPendingApproval {
		t.Errorf("status %s", st)
	}
	// Reject too: refused before the reason is asked for.
	f.click("UDEV0001", "kvportal_reject", r.ID, teamChannel)
	if n := len(f.slack.of("views.open")); n != 0 {
		t.Errorf("the reason's form was opened for one's own request")
	}
}

func TestTwoApproversAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.link(f.ann, "UANN0001")
	f.link(f.bob, "UBOB0001")
	r := f.submit()
	f.posted(r.ID)
	var wg sync.WaitGroup
	for _, m := range []string{"UANN0001", "UBOB0001"} {
		wg.Go(func() { f.click(m, "kvportal_approve", r.ID, teamChannel) })
	}
	wg.Wait()
	if n := len(f.events(r.ID, domain.ActionRequestApproved)); n != 1 {
		t.Fatalf("%d approvals, want 1", n)
	}
	got, _ := f.st.Request(context.Background(), r.ID)
	loser := map[string]string{"ann": "UBOB0001", "bob": "UANN0001"}[got.DeciderName]
	if text := f.ephemeralTo(loser); !strings.Contains(text, "already approved by "+got.DeciderName) {
		t.Errorf("the loser was told %q", text)
	}
}

func TestCancelledElsewhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.link(f.ann, "UANN0001")
	r := f.submit()
	ts := f.posted(r.ID)
	if _, err := f.wf.Cancel(context.Background(), workflow.Actor{ID: f.dev.ID, Role: f.dev.Role}, r.ID); err != nil {
		t.Fatal(err)
	}
	f.updated(ts, "Cancelled")
	f.click("UANN0001", "kvportal_approve", r.ID, teamChannel)
	if text := f.ephemeralTo("UANN0001"); !strings.Contains(text, "already cancelled") {
		t.Errorf("answer: %q", text)
	}
	if st := f.status(r.ID); st != domain.StatusCancelled {
		t.Errorf("status %s", st)
	}
}

func TestUnlinkedClick(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.submit()
	f.posted(r.ID)
	f.click("USTRANGER", "kvportal_approve", r.ID, teamChannel)
	text := f.ephemeralTo("USTRANGER")
	if !strings.Contains(text, "not linked") || !strings.Contains(text, "https://portal.example.com/settings/slack") ||
		!strings.Contains(text, "USTRANGER") {
		t.Errorf("answer: %q", text)
	}
	if st := f.status(r.ID); st != domain.StatusPendingApproval {
		t.Errorf("status %s", st)
	}
}

func TestRejectThroughTheModal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.link(f.ann, "UANN0001")
	r := f.submit()
	ts := f.posted(r.ID)
	f.click("UANN0001", "kvportal_reject", r.ID, teamChannel)
	opened := f.slack.of("views.open")
	if len(opened) != 1 || !strings.Contains(opened[0].args.Get("trigger_id"), "trigger-UANN0001") {
		t.Fatalf("views.open: %v", opened)
	}
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal([]byte(opened[0].args.Get("view")), &view); err != nil {
		t.Fatal(err)
	}
	submit := func(reason string) (int, string) {
		return f.post(map[string]any{"type": "view_submission", "user": map[string]any{"id": "UANN0001"},
			"view": map[string]any{"callback_id": view.CallbackID, "private_metadata": view.PrivateMetadata,
				"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": reason}}}}},
		}, signingSecret, time.Now())
	}
	if code, body := submit("  "); code != http.StatusOK || !strings.Contains(body, `"response_action":"errors"`) ||
		!strings.Contains(body, "is required") {
		t.Fatalf("empty reason: %d %s", code, body)
	}
	if st := f.status(r.ID); st != domain.StatusPendingApproval {
		t.Fatalf("status %s after an empty reason", st)
	}
	if code, body := submit("Too big for a cache: take the small class."); code != http.StatusOK || body != "" {
		t.Fatalf("reject: %d %q", code, body)
	}
	rejected := f.events(r.ID, domain.ActionRequestRejected)
	if len(rejected) != 1 || rejected[0].String(domain.KeyVia) != "slack" {
		t.Fatalf("rejected events: %v", rejected)
	}
	update := f.updated(ts, "Rejected")
	if !strings.Contains(update.args.Get("blocks"), "take the small class") {
		t.Errorf("final message: %s", update.args.Get("blocks"))
	}
	// Submitted again (a second tab): the request is no longer pending.
	if _, body := submit("again"); !strings.Contains(body, "already rejected by ann") {
		t.Errorf("second rejection: %s", body)
	}
}

func TestLinkCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if problem, _ := f.app.StartLink(ctx, f.ann.ID, "#general"); !strings.Contains(problem, "member id") {
		t.Errorf("a channel name as member id: %q", problem)
	}
	f.link(f.ann, "UANN0001")
	if problem, _ := f.app.StartLink(ctx, f.bob.ID, "UANN0001"); !strings.Contains(problem, "another KVPortal user") {
		t.Errorf("someone else's member id: %q", problem)
	}
	if problem, err := f.app.StartLink(ctx, f.bob.ID, "UBOB0001"); problem != "" || err != nil {
		t.Fatal(problem, err)
	}
	for range store.SlackLinkMaxTries {
		if problem, _ := f.app.ConfirmLink(ctx, f.bob.ID, "AAAA-AAAA"); problem == "" {
			t.Fatal("a wrong code linked")
		}
	}
	l, err := f.app.Link(ctx, f.bob.ID)
	if err != nil || l.SlackUserID != "" || l.Pending != "" {
		t.Errorf("after %d wrong codes: %+v %v (the code should be void)", store.SlackLinkMaxTries, l, err)
	}
	if err := f.app.Unlink(ctx, f.ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UserBySlackID(ctx, "UANN0001"); err == nil {
		t.Error("still linked after unlinking")
	}
}

func TestPolicyApprovalIsNotPosted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.st.SavePolicies(context.Background(), `{"rules": [{"name": "all", "when": {}, "then": "approve"}]}`, 1, nil); err != nil {
		t.Fatal(err)
	}
	r := f.submit()
	if r.Status == domain.StatusPendingApproval {
		t.Fatalf("the policy did not approve: %s", r.Status)
	}
	f.waitStatus(r.ID, domain.StatusSucceeded)
	// Its row may exist (the submission's event comes before the rule's
	// approval, in one transaction), but nothing is ever posted.
	time.Sleep(300 * time.Millisecond)
	if posts := f.slack.of("chat.postMessage"); len(posts) != 0 {
		t.Errorf("a request approved by a policy was posted: %v", posts)
	}
}

// slackEmails are the email addresses the fake Slack gives its members.
var slackEmails = map[string]string{"UANNMAIL": "Ann@Example.com", "USHARED": "shared@example.com"}

// With matching by email on, a click from a Slack account nobody linked
// acts as the one portal user whose identity provider verified the same
// address (case aside); an address two users have matches neither.
func TestMatchedByVerifiedEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *slackapp.Config) { c.MatchEmail = true })
	ctx := context.Background()
	if err := f.st.SetVerifiedEmail(ctx, f.ann.ID, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*store.User{f.bob, f.dev} {
		if err := f.st.SetVerifiedEmail(ctx, u.ID, "shared@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	r := f.submit()
	f.posted(r.ID)
	f.click("USHARED", "kvportal_approve", r.ID, teamChannel)
	if text := f.ephemeralTo("USHARED"); !strings.Contains(text, "not linked") {
		t.Errorf("a shared address: %q", text)
	}
	if st := f.status(r.ID); st != domain.StatusPendingApproval {
		t.Fatalf("after a shared address: %s", st)
	}
	f.click("UANNMAIL", "kvportal_approve", r.ID, teamChannel)
	got, err := f.st.Request(ctx, r.ID)
	if err != nil || got.Status == domain.StatusPendingApproval || got.DecidedBy == nil || *got.DecidedBy != f.ann.ID {
		t.Fatalf("ann's click by her email: %+v %v", got.DecidedBy, err)
	}
}
