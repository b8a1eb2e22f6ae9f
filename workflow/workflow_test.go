package workflow_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// bundle is a workflow on its own database with one user per role and a
// second approver.
type bundle struct {
	w                       *workflow.Workflow
	st                      *store.Store
	req, appr, appr2, admin workflow.Actor
	enqueued                atomic.Int64
}

func setup(t *testing.T) *bundle {
	t.Helper()
	st := store.New(testpg.Pool(t))
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{st: st}
	b.w = &workflow.Workflow{Store: st, Sealer: sealer, Enqueue: func(context.Context, pgx.Tx, domain.Request) error {
		b.enqueued.Add(1)
		return nil
	}}
	mk := func(name string, role domain.Role) workflow.Actor {
		u, err := st.CreateUser(context.Background(), name, role, "hash", nil)
		if err != nil {
			t.Fatal(err)
		}
		return workflow.Actor{ID: u.ID, Role: u.Role}
	}
	b.req, b.appr, b.appr2, b.admin = mk("rita", domain.RoleRequester), mk("anna", domain.RoleApprover),
		mk("bert", domain.RoleApprover), mk("root", domain.RoleAdmin)
	return b
}

func validInput() domain.Input {
	return domain.Input{"InstanceName": "cache-1", "Password": "Sup3rSecret", "InstanceClass": testfix.InstanceClass,
		"RegionId": "cn-hangzhou", "ChargeType": "PostPaid", "NetworkType": "Classic", "InstanceType": "Redis",
		"EngineVersion": "4.0"}
}

func (b *bundle) submit(t *testing.T, a workflow.Actor) domain.Request {
	t.Helper()
	r, errs, err := b.w.Submit(context.Background(), a, validInput())
	if err != nil || len(errs) > 0 {
		t.Fatalf("submit: %v %v", errs, err)
	}
	return r
}

func TestSubmit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	r := b.submit(t, b.req)
	if r.Status != domain.StatusPendingApproval || !strings.HasPrefix(r.Params.Token, "req-") || !r.PasswordSet || r.Params.Password != "" {
		t.Fatalf("stored %+v", r)
	}
	sealed, _ := testfix.KeptPassword(t, b.st, r.ID)
	if pw, err := b.w.Sealer.Open(sealed, []byte(r.Params.Token)); err != nil || string(pw) != "Sup3rSecret" {
		t.Fatalf("sealed password opens to %q, %v", pw, err)
	}

	// The rules' words, and nothing stored.
	in := validInput()
	in["InstanceName"] = "1bad"
	if _, errs, err := b.w.Submit(ctx, b.req, in); err != nil || errs["InstanceName"] == "" {
		t.Fatalf("invalid name: %v %v", errs, err)
	}
	// A token already used is a field error.
	in = validInput()
	in["Token"] = r.Params.Token
	if _, errs, err := b.w.Submit(ctx, b.req, in); err != nil || !strings.Contains(errs["Token"], "already used") {
		t.Fatalf("duplicate token: %v %v", errs, err)
	}
	// Without a role, nothing.
	if _, _, err := b.w.Submit(ctx, workflow.Actor{ID: b.req.ID}, validInput()); !errors.Is(err, workflow.ErrRole) {
		t.Fatalf("no role: %v", err)
	}
	list, err := b.st.ListRequests(ctx, store.RequestFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d requests stored, %v", len(list), err)
	}
}

type checkFunc func(context.Context, *workflow.Submission) (domain.FieldErrors, error)

func (f checkFunc) CheckSubmission(ctx context.Context, s *workflow.Submission) (domain.FieldErrors, error) {
	return f(ctx, s)
}

type policyFunc func(context.Context, workflow.Submission) (workflow.Decision, error)

func (f policyFunc) Decide(ctx context.Context, s workflow.Submission) (workflow.Decision, error) {
	return f(ctx, s)
}

type approvalCheckFunc func(context.Context, pgx.Tx, domain.Request) error

func (f approvalCheckFunc) CheckApproval(ctx context.Context, tx pgx.Tx, r domain.Request) error {
	return f(ctx, tx, r)
}

// Checks see the parameters with the token chosen and the password typed;
// the first refusal ends the submission. A policy approves at once, denies,
// or leaves the request to an approver.
func TestSubmitHooks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	var seen []workflow.Submission
	second := 0
	b.w.Checks = []workflow.Check{
		checkFunc(func(_ context.Context, s *workflow.Submission) (domain.FieldErrors, error) {
			seen = append(seen, *s)
			if s.Params.InstanceName == "over-budget" {
				return domain.FieldErrors{"InstanceClass": "would exceed the team's budget"}, nil
			}
			return nil, nil
		}),
		checkFunc(func(context.Context, *workflow.Submission) (domain.FieldErrors, error) { second++; return nil, nil }),
	}
	in := validInput()
	in["InstanceName"] = "over-budget"
	if _, errs, err := b.w.Submit(ctx, b.req, in); err != nil || errs["InstanceClass"] == "" {
		t.Fatalf("refused by a check: %v %v", errs, err)
	}
	if second != 0 || len(seen) != 1 || seen[0].Params.Password != "Sup3rSecret" || seen[0].Params.Token == "" || seen[0].Actor != b.req {
		t.Fatalf("checks saw %+v, second ran %d times", seen, second)
	}

	rules, err := b.st.SavePolicies(ctx, `{"rules": []}`, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.w.Policy = policyFunc(func(_ context.Context, s workflow.Submission) (workflow.Decision, error) {
		switch s.Params.InstanceName {
		case "auto":
			return workflow.Decision{Outcome: workflow.Approve, Rule: "small caches", Version: rules.ID}, nil
		case "denied":
			return workflow.Decision{Outcome: workflow.Deny, Rule: "no", Errors: domain.FieldErrors{"ChargeType": "is not allowed"}}, nil
		}
		return workflow.Decision{}, nil
	})
	var checkedApproval atomic.Int64
	b.w.ApprovalChecks = []workflow.ApprovalCheck{approvalCheckFunc(func(context.Context, pgx.Tx, domain.Request) error {
		checkedApproval.Add(1)
		return nil
	})}
	in["InstanceName"] = "auto"
	r, errs, err := b.w.Submit(ctx, b.req, in)
	if err != nil || len(errs) > 0 || r.Status != domain.StatusApproved || r.DecidedBy != nil || r.DecidedByRule != "small caches" {
		t.Fatalf("approved by policy: %+v %v %v", r, errs, err)
	}
	if b.enqueued.Load() != 1 || checkedApproval.Load() != 1 {
		t.Fatalf("enqueued %d, approval checked %d", b.enqueued.Load(), checkedApproval.Load())
	}
	evs, err := b.st.RequestEvents(ctx, r.ID)
	if err != nil || len(evs) != 2 || evs[1].Action != domain.ActionRequestApproved || evs[1].ActorID != nil || evs[1].Details["policy"] != "small caches" ||
		evs[1].Details["policy_version"] != float64(rules.ID) || evs[0].Details["policy_rule"] != "small caches" {
		t.Fatalf("events %+v, %v", evs, err)
	}
	in["InstanceName"] = "denied"
	if _, errs, err := b.w.Submit(ctx, b.req, in); err != nil || errs["ChargeType"] != "is not allowed" {
		t.Fatalf("denied: %v %v", errs, err)
	}
	in["InstanceName"] = "waits"
	if r, _, err := b.w.Submit(ctx, b.req, in); err != nil || r.Status != domain.StatusPendingApproval {
		t.Fatalf("left to an approver: %+v %v", r, err)
	}

	// An approval check refusing rolls the approval back.
	refuse := errors.New("budget spent")
	b.w.Policy = nil
	b.w.ApprovalChecks = []workflow.ApprovalCheck{approvalCheckFunc(func(context.Context, pgx.Tx, domain.Request) error { return refuse })}
	r = b.submit(t, b.req)
	if _, err := b.w.Approve(ctx, b.appr, r.ID); !errors.Is(err, refuse) {
		t.Fatalf("approval past a refusing check: %v", err)
	}
	if cur, _ := b.st.Request(ctx, r.ID); cur.Status != domain.StatusPendingApproval {
		t.Fatalf("status %s after a refused approval", cur.Status)
	}

	// A rule's approval is the submission's transaction: refused there,
	// nothing is stored at all, not even a pending request.
	b.w.Policy = policyFunc(func(context.Context, workflow.Submission) (workflow.Decision, error) {
		return workflow.Decision{Outcome: workflow.Approve, Rule: "all", Version: rules.ID}, nil
	})
	before, _ := b.st.ListRequests(ctx, store.RequestFilter{})
	in["InstanceName"] = "rolled-back"
	if _, _, err := b.w.Submit(ctx, b.req, in); !errors.Is(err, refuse) {
		t.Fatalf("rule's approval past a refusing check: %v", err)
	}
	after, _ := b.st.ListRequests(ctx, store.RequestFilter{})
	if len(after) != len(before) {
		t.Fatalf("%d requests before, %d after a rolled-back approval", len(before), len(after))
	}
}

func TestDecisions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	r := b.submit(t, b.req)

	if _, err := b.w.Approve(ctx, b.req, r.ID); !errors.Is(err, workflow.ErrRole) {
		t.Errorf("requester approves: %v", err)
	}
	if _, err := b.w.Approve(ctx, b.appr, 1<<40); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("no such request: %v", err)
	}
	own := b.submit(t, b.appr)
	if _, err := b.w.Approve(ctx, b.appr, own.ID); !errors.Is(err, workflow.ErrOwnRequest) {
		t.Errorf("own approval: %v", err)
	}
	if _, _, err := b.w.Reject(ctx, b.appr, own.ID, "no"); !errors.Is(err, workflow.ErrOwnRequest) {
		t.Errorf("own rejection: %v", err)
	}

	for reason, want := range map[string]string{
		"   ":                     "is required",
		strings.Repeat("x", 1001): "at most 1000",
		"bad\x00byte":             "control characters",
		string([]byte{0xff, 'a'}): "UTF-8",
	} {
		got, errs, err := b.w.Reject(ctx, b.appr, r.ID, reason)
		if err != nil || !strings.Contains(errs["reason"], want) || got.ID != r.ID {
			t.Errorf("reason %q: %v %v", reason, errs, err)
		}
	}
	if len(workflow.ReasonProblem(strings.Repeat("é", workflow.ReasonMaxLen))) != 0 {
		t.Error("a reason of exactly the limit refused")
	}
	if p := workflow.ReasonProblem("Too big.\r\nUse\tthe shared one."); p != "" {
		t.Errorf("a reason of several lines refused: %s", p)
	}
	if p := workflow.ReasonProblem("hidden\u200bspace"); !strings.Contains(p, "control characters") {
		t.Errorf("a zero-width space in a reason: %q", p)
	}

	// Two approvers at once: one wins, the other is told.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, a := range []workflow.Actor{b.appr, b.appr2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.w.Approve(ctx, a, r.ID)
		}()
	}
	wg.Wait()
	var stateErr *domain.StateError
	if (errs[0] == nil) == (errs[1] == nil) || !(errors.As(errs[0], &stateErr) || errors.As(errs[1], &stateErr)) {
		t.Fatalf("race: %v, %v", errs[0], errs[1])
	}
	if b.enqueued.Load() != 1 {
		t.Fatalf("%d jobs enqueued", b.enqueued.Load())
	}
	// No longer pending: a conflict, whatever the reason.
	if _, _, err := b.w.Reject(ctx, b.appr, r.ID, ""); !errors.As(err, &stateErr) || stateErr.Current.Status != domain.StatusApproved {
		t.Errorf("reject after approval: %v", err)
	}

	// Rejection with a reason, trimmed.
	r2 := b.submit(t, b.req)
	got, fe, err := b.w.Reject(ctx, b.admin, r2.ID, "  too big  ")
	if err != nil || len(fe) > 0 || got.Status != domain.StatusRejected || got.DecisionReason != "too big" {
		t.Fatalf("reject: %+v %v %v", got, fe, err)
	}
}

func TestCancelAndRequeue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	r := b.submit(t, b.req)
	other := b.submit(t, b.appr)
	if _, err := b.w.Cancel(ctx, b.req, other.ID); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("requester cancels what they cannot see: %v", err)
	}
	if _, err := b.w.Cancel(ctx, b.admin, r.ID); !errors.Is(err, workflow.ErrNotRequester) {
		t.Errorf("admin cancels another's request: %v", err)
	}
	if got, err := b.w.Cancel(ctx, b.req, r.ID); err != nil || got.Status != domain.StatusCancelled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	var stateErr *domain.StateError
	if _, err := b.w.Cancel(ctx, b.req, r.ID); !errors.As(err, &stateErr) {
		t.Errorf("cancel twice: %v", err)
	}

	if _, err := b.w.Requeue(ctx, b.appr, other.ID); !errors.Is(err, workflow.ErrRole) {
		t.Errorf("approver re-queues: %v", err)
	}
	if _, err := b.w.Requeue(ctx, b.admin, other.ID); !errors.As(err, &stateErr) {
		t.Errorf("re-queue of a pending request: %v", err)
	}
	var requeued int64
	b.w.Requeuer = func(_ context.Context, id, adminID int64) (domain.Request, error) {
		requeued = id
		return domain.Request{ID: id}, nil
	}
	if _, err := b.w.Requeue(ctx, b.admin, other.ID); err != nil || requeued != other.ID {
		t.Errorf("re-queue through the provisioner: %v, %d", err, requeued)
	}
}

// A retry is its requester's step for a failed request whose password was
// erased; one whose password is still kept, or that never had one, is an
// admin's re-queue, refused whatever password is sent, and nothing moves.
func TestRetryRefusesAnAdminsRequeue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	failed := func(passwordSet bool, keptFor time.Duration) int64 {
		t.Helper()
		r := b.submit(t, b.req)
		var until any
		if keptFor > 0 {
			until = time.Now().Add(keptFor)
		}
		if _, err := b.st.Pool().Exec(ctx, `UPDATE requests SET status = 'failed', password_set = $2,
			password_kept_until = $3, password_sealed = CASE WHEN $3::timestamptz IS NOT NULL THEN password_sealed END
			WHERE id = $1`, r.ID, passwordSet, until); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	for name, id := range map[string]int64{"kept": failed(true, 48*time.Hour), "never had one": failed(false, 0)} {
		for _, pw := range []string{"N3wSecretPw", "short"} {
			_, _, err := b.w.Retry(ctx, b.req, id, pw)
			var fe *workflow.Error
			if !errors.As(err, &fe) || fe.Kind != workflow.Conflict || !strings.Contains(fe.Message, "an admin re-queues it") {
				t.Errorf("%s, password %q: %v", name, pw, err)
			}
			if cur, _ := b.st.Request(ctx, id); cur.Status != domain.StatusFailed {
				t.Errorf("%s: a refused retry moved the request to %s", name, cur.Status)
			}
		}
	}
	// A clock past the window while the database's says it is still open:
	// the store refuses, and the refusal is the same.
	late := *b.w
	late.Clock = testfix.NewClock(time.Now().Add(72 * time.Hour))
	kept := failed(true, 48*time.Hour)
	_, _, err := late.Retry(ctx, b.req, kept, "N3wSecretPw")
	if fe := (*workflow.Error)(nil); !errors.As(err, &fe) || fe.Kind != workflow.Conflict {
		t.Errorf("the database's window: %v", err)
	}
	if cur, _ := b.st.Request(ctx, kept); cur.Status != domain.StatusFailed || b.enqueued.Load() != 0 {
		t.Errorf("a refused retry moved the request to %s (%d jobs)", cur.Status, b.enqueued.Load())
	}

	erased := failed(true, 0)
	if r, errs, err := b.w.Retry(ctx, b.req, erased, "N3wSecretPw"); err != nil || len(errs) > 0 || r.Status != domain.StatusApproved {
		t.Fatalf("retry of an erased password: %+v %v %v", r.Status, errs, err)
	}
}
