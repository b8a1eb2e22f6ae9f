package provisioner_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// changeWorld is a started provisioner with one Normal instance made by
// the portal, and the workflow that submits and approves its changes.
type changeWorld struct {
	*fixture
	wf       *workflow.Workflow
	instance domain.Instance
}

func newChangeWorld(t *testing.T, whitelist string) *changeWorld {
	t.Helper()
	return newChangeWorldWith(t, whitelist, simulator.Config{})
}

// newChangeWorldWith is newChangeWorld with a simulator of simCfg.
func newChangeWorldWith(t *testing.T, whitelist string, simCfg simulator.Config) *changeWorld {
	t.Helper()
	f := newFixture(t, simCfg)
	p := f.start(f.config())
	w := &changeWorld{fixture: f, wf: &workflow.Workflow{Store: f.st, Sealer: f.sealer, Enqueue: p.EnqueueTx}}
	params := f.validParams(domain.NewToken())
	sealed, err := f.sealer.Seal([]byte(params.Password), []byte(params.Token))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.st.CreateRequest(context.Background(), store.NewRequest{RequesterID: f.requester.ID, Params: params,
		PasswordSealed: sealed, Change: domain.Change{SecurityIps: whitelist}})
	if err != nil {
		t.Fatal(err)
	}
	f.approve(r)
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	if w.instance, err = f.st.Instance(context.Background(), r.InstanceID); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *changeWorld) owner() workflow.Actor {
	return workflow.Actor{ID: w.requester.ID, Role: domain.RoleRequester}
}

func (w *changeWorld) approverActor() workflow.Actor {
	return workflow.Actor{ID: w.approver.ID, Role: domain.RoleApprover}
}

// change submits a change as the owner, has it approved, and waits for it
// to end.
func (w *changeWorld) change(in domain.Input) domain.Request {
	w.t.Helper()
	ctx := context.Background()
	r, errs, err := w.wf.SubmitChange(ctx, w.owner(), w.instance.InstanceID, in)
	if err != nil || len(errs) > 0 {
		w.t.Fatalf("submit %v: %v %v", in[workflow.KindField], errs, err)
	}
	if r.Status != domain.StatusPendingApproval || r.Kind != domain.RequestKind(in[workflow.KindField]) || r.InstanceID != w.instance.InstanceID {
		w.t.Fatalf("submitted: %s %s %s", r.Status, r.Kind, r.InstanceID)
	}
	if _, err := w.wf.Approve(ctx, w.approverActor(), r.ID); err != nil {
		w.t.Fatal(err)
	}
	return w.wait(r.ID, 20*time.Second, "an end", func(r domain.Request) bool { return r.Status.Terminal() })
}

func (w *changeWorld) simInstance() simulator.Instance {
	w.t.Helper()
	for _, in := range w.sim.Instances() {
		if in.InstanceId == w.instance.InstanceID {
			return in
		}
	}
	w.t.Fatalf("the simulator has no instance %s", w.instance.InstanceID)
	return simulator.Instance{}
}

func (w *changeWorld) portalInstance() domain.Instance {
	w.t.Helper()
	in, err := w.st.Instance(context.Background(), w.instance.InstanceID)
	if err != nil {
		w.t.Fatal(err)
	}
	return in
}

func (w *changeWorld) group(name string) []string {
	for _, g := range w.simInstance().SecurityIpGroups {
		if g.Name == name {
			return g.IPs
		}
	}
	return nil
}

// Every kind of change goes from the owner's submission through an
// approver to the cloud, once, and the instance's row follows.
func TestEveryKindOfChange(t *testing.T) {
	w := newChangeWorld(t, "")
	ctx := context.Background()

	r := w.change(domain.Input{"Kind": "set_whitelist", "SecurityIps": "10.0.0.0/8, 192.168.1.7"})
	if r.Status != domain.StatusSucceeded {
		t.Fatalf("set_whitelist: %s %s %s", r.Status, r.ErrorCode, r.ErrorMessage)
	}
	if got := w.group(domain.WhitelistGroup); !slices.Equal(got, []string{"10.0.0.0/8", "192.168.1.7"}) {
		t.Fatalf("the cloud's kvportal group: %v", got)
	}
	if got := w.portalInstance().SecurityIPs; got != "10.0.0.0/8,192.168.1.7" {
		t.Fatalf("the portal's whitelist: %q", got)
	}
	evs := w.actions(r.ID)
	if !slices.Contains(evs, domain.ActionChangeApplied) || count(evs, domain.ActionAttemptStarted) != 1 {
		t.Fatalf("events: %v", evs)
	}

	// A bigger class of the same type, offered in the instance's zone.
	var bigger string
	for _, o := range w.sim.Catalog().OffersFor(w.instance.RegionID, w.instance.ZoneID, w.instance.InstanceType, w.instance.EngineVersion) {
		if o.InstanceClass != w.instance.InstanceClass {
			bigger = o.InstanceClass
			break
		}
	}
	if bigger == "" {
		t.Fatal("the catalog offers no other class")
	}
	r = w.change(domain.Input{"Kind": "modify_spec", "InstanceClass": bigger})
	if r.Status != domain.StatusSucceeded {
		t.Fatalf("modify_spec: %s %s %s", r.Status, r.ErrorCode, r.ErrorMessage)
	}
	if got := w.simInstance().InstanceClass; got != bigger {
		t.Fatalf("the cloud's class: %s, want %s", got, bigger)
	}
	// The follow-up sweep records the new class on the instance's row once
	// the instance is Normal again.
	deadline := time.Now().Add(20 * time.Second)
	for in := w.portalInstance(); in.InstanceClass != bigger || in.Status != domain.InstanceNormal; in = w.portalInstance() {
		if time.Now().After(deadline) {
			t.Fatalf("the instance's row: %s %s, want %s Normal", in.InstanceClass, in.Status, bigger)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(w.simInstance().Orders); n != 1 {
		t.Fatalf("the cloud has %d orders, want 1", n)
	}

	before := w.simInstance().PasswordChangedAt
	r = w.change(domain.Input{"Kind": "reset_password", "Password": "NewPassw0rd9"})
	if r.Status != domain.StatusSucceeded || !w.simInstance().PasswordChangedAt.After(before) {
		t.Fatalf("reset_password: %s %s", r.Status, r.ErrorCode)
	}
	var sealed []byte
	pool, err := pgxpool.New(ctx, w.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.QueryRow(ctx, `SELECT password_sealed FROM requests WHERE id = $1`, r.ID).Scan(&sealed); err != nil || sealed != nil {
		t.Fatalf("the new password is still kept after the reset (%v)", err)
	}

	r = w.change(domain.Input{"Kind": "release", "ConfirmInstanceId": w.instance.InstanceID})
	if r.Status != domain.StatusSucceeded {
		t.Fatalf("release: %s %s %s", r.Status, r.ErrorCode, r.ErrorMessage)
	}
	if in := w.simInstance(); in.DeletedAt.IsZero() {
		t.Fatal("the cloud still has the instance")
	}
	if got := w.portalInstance().Status; got != domain.InstanceReleased {
		t.Fatalf("the instance's row says %s", got)
	}
	// Nothing changes a released instance any more.
	_, errs, err := w.wf.SubmitChange(ctx, w.owner(), w.instance.InstanceID, domain.Input{"Kind": "set_whitelist", "SecurityIps": "10.1.0.0/16"})
	if err != nil || !strings.Contains(errs[""], "was released") {
		t.Fatalf("a change of a released instance: %v %v", errs, err)
	}
}

// A change whose answer is lost is retried with the same token, and the
// cloud sees one effect: one order for a new class, the instance released
// once (its "not found" afterwards counts as released).
func TestChangeWithALostAnswerHasOneEffect(t *testing.T) {
	for _, tc := range []struct {
		action string
		in     func(w *changeWorld) domain.Input
	}{
		{"ModifySecurityIps", func(*changeWorld) domain.Input {
			return domain.Input{"Kind": "set_whitelist", "SecurityIps": "10.0.0.0/8"}
		}},
		{"ModifyInstanceSpec", func(w *changeWorld) domain.Input {
			for _, o := range w.sim.Catalog().OffersFor(w.instance.RegionID, w.instance.ZoneID, w.instance.InstanceType, w.instance.EngineVersion) {
				if o.InstanceClass != w.instance.InstanceClass {
					return domain.Input{"Kind": "modify_spec", "InstanceClass": o.InstanceClass}
				}
			}
			return nil
		}},
		{"ModifyInstanceAttribute", func(*changeWorld) domain.Input {
			return domain.Input{"Kind": "reset_password", "Password": "NewPassw0rd9"}
		}},
		{"DeleteInstance", func(w *changeWorld) domain.Input {
			return domain.Input{"Kind": "release", "ConfirmInstanceId": w.instance.InstanceID}
		}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			w := newChangeWorld(t, "")
			var calls atomic.Int32
			// The first call's change is made and its answer lost; the
			// calls after it are answered.
			w.sim.CallHook(func(action string, _ url.Values) {
				if action == tc.action && calls.Add(1) == 2 {
					if err := w.sim.SetFaults(simulator.Faults{}); err != nil {
						t.Error(err)
					}
				}
			})
			if err := w.sim.SetFaults(simulator.Faults{LostRate: 1, Actions: []string{tc.action}}); err != nil {
				t.Fatal(err)
			}
			r := w.change(tc.in(w))
			if r.Status != domain.StatusSucceeded {
				t.Fatalf("%s: %s %s %s", tc.action, r.Status, r.ErrorCode, r.ErrorMessage)
			}
			if calls.Load() < 2 {
				t.Fatalf("%d calls: the lost answer was not retried", calls.Load())
			}
			in := w.simInstance()
			switch tc.action {
			case "ModifyInstanceSpec":
				if len(in.Orders) != 1 {
					t.Fatalf("%d orders for one change", len(in.Orders))
				}
			case "DeleteInstance":
				if in.DeletedAt.IsZero() || w.portalInstance().Status != domain.InstanceReleased {
					t.Fatal("not released")
				}
			case "ModifySecurityIps":
				if got := w.group(domain.WhitelistGroup); !slices.Equal(got, []string{"10.0.0.0/8"}) {
					t.Fatalf("group %v", got)
				}
			}
		})
	}
}

// One change at a time: while one is pending, another is refused with the
// request that holds the instance, and of two submitted at once one wins.
func TestOneChangeAtATime(t *testing.T) {
	w := newChangeWorld(t, "")
	ctx := context.Background()
	type result struct {
		r   domain.Request
		err error
	}
	results := make(chan result, 2)
	for _, ips := range []string{"10.0.0.1", "10.0.0.2"} {
		go func() {
			r, errs, err := w.wf.SubmitChange(ctx, w.owner(), w.instance.InstanceID, domain.Input{"Kind": "set_whitelist", "SecurityIps": ips})
			if len(errs) > 0 {
				err = errors.New("field errors")
			}
			results <- result{r, err}
		}()
	}
	var won []domain.Request
	var held *domain.ChangeHeldError
	for range 2 {
		res := <-results
		switch {
		case res.err == nil:
			won = append(won, res.r)
		case errors.As(res.err, &held):
		default:
			t.Fatal(res.err)
		}
	}
	if len(won) != 1 || held == nil || held.RequestID != won[0].ID {
		t.Fatalf("won %d, held by %+v", len(won), held)
	}
	// An approver is not the owner, but may ask; nobody decides their own.
	if _, err := w.wf.Approve(ctx, w.owner(), won[0].ID); !errors.Is(err, workflow.ErrRole) {
		t.Fatalf("the owner approving: %v", err)
	}
	// An approver may ask for a change of an instance they do not own, and
	// another approver decides it: never the one who asked.
	if _, err := w.wf.Cancel(ctx, w.owner(), won[0].ID); err != nil {
		t.Fatal(err)
	}
	mine, errs, err := w.wf.SubmitChange(ctx, w.approverActor(), w.instance.InstanceID, domain.Input{"Kind": "set_whitelist", "SecurityIps": "10.9.0.0/16"})
	if err != nil || len(errs) > 0 {
		t.Fatalf("an approver's change: %v %v", errs, err)
	}
	if _, err := w.wf.Approve(ctx, w.approverActor(), mine.ID); !errors.Is(err, workflow.ErrOwnRequest) {
		t.Fatalf("an approver approving their own change: %v", err)
	}
	other, err := w.st.CreateUser(ctx, "stranger", domain.RoleRequester, "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = w.wf.SubmitChange(ctx, workflow.Actor{ID: other.ID, Role: domain.RoleRequester}, w.instance.InstanceID,
		domain.Input{"Kind": "set_whitelist", "SecurityIps": "10.0.0.3"})
	if !errors.Is(err, workflow.ErrNotFound) {
		t.Fatalf("a stranger's change: %v", err)
	}
}

// The whitelist asked for with a creation is set by the portal once the
// instance is Normal, through a request of its own, approved by the
// creation.
func TestCreationWhitelistIsSet(t *testing.T) {
	w := newChangeWorld(t, "10.0.0.0/8,192.168.0.0/16")
	deadline := time.Now().Add(20 * time.Second)
	for w.portalInstance().SecurityIPs != "10.0.0.0/8,192.168.0.0/16" {
		if time.Now().After(deadline) {
			t.Fatalf("the whitelist was not set: %q", w.portalInstance().SecurityIPs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := w.group(domain.WhitelistGroup); !slices.Equal(got, []string{"10.0.0.0/8", "192.168.0.0/16"}) {
		t.Fatalf("the cloud's group: %v", got)
	}
	reqs, err := w.st.InstanceRequests(context.Background(), w.instance.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].Kind != domain.KindSetWhitelist {
		t.Fatalf("the instance's requests: %+v", reqs)
	}
	if r, err := w.st.Request(context.Background(), reqs[0].ID); err != nil || r.DecidedByRule == "" || r.Status != domain.StatusSucceeded {
		t.Fatalf("the whitelist request: %+v %v", r, err)
	}
	evs := w.events(reqs[0].ID)
	if evs[0].ActorID != nil {
		t.Fatal("the portal's own request names a person as its submitter")
	}
}

// A worker killed during a change's call (the call made, its outcome never
// recorded) leaves the request provisioning; the next run records the lost
// attempt and calls again with the same token, and the cloud still sees
// one effect: one order for a new class, one release.
func TestChangeAfterAKilledWorker(t *testing.T) {
	for _, kind := range []domain.RequestKind{domain.KindSetWhitelist, domain.KindModifySpec, domain.KindResetPassword, domain.KindRelease} {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t, simulator.Config{})
			ctx := context.Background()
			first := f.start(f.config())
			w := &changeWorld{fixture: f, wf: &workflow.Workflow{Store: f.st, Sealer: f.sealer, Enqueue: f.enqueuer.EnqueueTx}}
			r := f.approved(domain.NewToken())
			r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
			var err error
			if w.instance, err = f.st.Instance(ctx, r.InstanceID); err != nil {
				t.Fatal(err)
			}
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := first.Stop(stopCtx); err != nil {
				t.Fatal(err)
			}
			in := domain.Input{"Kind": string(kind)}
			switch kind {
			case domain.KindSetWhitelist:
				in["SecurityIps"] = "10.0.0.0/8"
			case domain.KindModifySpec:
				for _, o := range f.sim.Catalog().OffersFor(w.instance.RegionID, w.instance.ZoneID, w.instance.InstanceType, w.instance.EngineVersion) {
					if o.InstanceClass != w.instance.InstanceClass {
						in["InstanceClass"] = o.InstanceClass
						break
					}
				}
			case domain.KindResetPassword:
				in["Password"] = "NewPassw0rd9"
			case domain.KindRelease:
				in["ConfirmInstanceId"] = w.instance.InstanceID
			}
			c, errs, err := w.wf.SubmitChange(ctx, w.owner(), w.instance.InstanceID, in)
			if err != nil || len(errs) > 0 {
				t.Fatalf("submit: %v %v", errs, err)
			}
			if _, err := w.wf.Approve(ctx, w.approverActor(), c.ID); err != nil {
				t.Fatal(err)
			}
			// The killed worker: its attempt started and its call reached
			// the cloud, then nothing.
			op := kind.Spec().Operation
			if _, err := f.st.StartAttempt(ctx, c.ID, 1, 4, op); err != nil {
				t.Fatal(err)
			}
			region, id := w.instance.RegionID, w.instance.InstanceID
			switch kind {
			case domain.KindSetWhitelist:
				err = f.api.ModifySecurityIps(ctx, region, id, domain.WhitelistGroup, []string{"10.0.0.0/8"})
			case domain.KindModifySpec:
				_, err = f.api.ModifyInstanceSpec(ctx, region, id, rkvstore.SpecChange{InstanceClass: in["InstanceClass"],
					EffectiveTime: domain.EffectiveImmediately, OrderType: domain.OrderUpgrade, ClientToken: c.Params.Token})
			case domain.KindResetPassword:
				err = f.api.ResetPassword(ctx, region, id, "NewPassw0rd9")
			case domain.KindRelease:
				err = f.api.DeleteInstance(ctx, region, id)
			}
			if err != nil {
				t.Fatalf("the dead worker's call: %v", err)
			}
			f.start(f.config())
			c = f.wait(c.ID, 20*time.Second, "an end", func(r domain.Request) bool { return r.Status.Terminal() })
			if c.Status != domain.StatusSucceeded {
				t.Fatalf("after the killed worker: %s %s %s", c.Status, c.ErrorCode, c.ErrorMessage)
			}
			if evs := f.actions(c.ID); count(evs, domain.ActionAttemptStarted) < 2 {
				t.Errorf("events: %v", evs)
			}
			sim := w.simInstance()
			switch kind {
			case domain.KindModifySpec:
				if len(sim.Orders) != 1 {
					t.Fatalf("%d orders", len(sim.Orders))
				}
			case domain.KindRelease:
				if sim.DeletedAt.IsZero() || w.portalInstance().Status != domain.InstanceReleased {
					t.Fatal("not released")
				}
			}
		})
	}
}

// A release the cloud refuses (release protection on) fails with the
// cloud's words, and the instance stays.
func TestReleaseRefusedByProtection(t *testing.T) {
	w := newChangeWorld(t, "")
	if err := w.api.SetReleaseProtection(context.Background(), w.instance.RegionID, w.instance.InstanceID, true); err != nil {
		t.Fatal(err)
	}
	r := w.change(domain.Input{"Kind": "release", "ConfirmInstanceId": w.instance.InstanceID})
	if r.Status != domain.StatusFailed || r.ErrorCode != "InstanceReleaseProtection" || r.ErrorMessage == "" {
		t.Fatalf("a protected release: %s %s %q", r.Status, r.ErrorCode, r.ErrorMessage)
	}
	if in := w.simInstance(); !in.DeletedAt.IsZero() {
		t.Fatal("the protected instance was deleted")
	}
	if got := w.portalInstance().Status; got == domain.InstanceReleased {
		t.Fatal("the portal calls the protected instance released")
	}
}

// A change stranded without a job after its call reached the cloud (the
// whitelist is set, nobody recorded it) is read back by the sweep and
// succeeds; one whose effect is not there fails, as a creation does.
func TestSweepReadsBackAStrandedChange(t *testing.T) {
	f := newFixture(t, simulator.Config{})
	ctx := context.Background()
	first := f.start(f.config())
	r := f.approved(domain.NewToken())
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	in, err := f.st.Instance(ctx, r.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := first.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	w := &changeWorld{fixture: f, wf: &workflow.Workflow{Store: f.st, Sealer: f.sealer, Enqueue: f.enqueuer.EnqueueTx}, instance: in}
	c, errs, err := w.wf.SubmitChange(ctx, w.owner(), in.InstanceID, domain.Input{"Kind": "set_whitelist", "SecurityIps": "10.0.0.0/8"})
	if err != nil || len(errs) > 0 {
		t.Fatalf("submit: %v %v", errs, err)
	}
	if _, err := w.wf.Approve(ctx, w.approverActor(), c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.StartAttempt(ctx, c.ID, 1, 4, "ModifySecurityIps"); err != nil {
		t.Fatal(err)
	}
	if err := f.api.ModifySecurityIps(ctx, in.RegionID, in.InstanceID, domain.WhitelistGroup, []string{"10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Pool().Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now()
		WHERE args @> jsonb_build_object('request_id', $1::bigint)`, c.ID); err != nil {
		t.Fatal(err)
	}
	cfg := f.config()
	cfg.SweepInterval = 50 * time.Millisecond
	f.start(cfg)
	got := f.wait(c.ID, 30*time.Second, "an end", func(r domain.Request) bool { return r.Status.Terminal() })
	if got.Status != domain.StatusSucceeded {
		t.Fatalf("the stranded change: %s %s", got.Status, got.ErrorCode)
	}
	if ips := w.portalInstance().SecurityIPs; ips != "10.0.0.0/8" {
		t.Errorf("the instance's whitelist: %q", ips)
	}
}

// A resize for the maintenance window whose every answer was lost is read
// back before it fails: the instance is still Normal at its class, but its
// order is not completed, and that order is the request's. It succeeds,
// once, and the instance waits for the class ordered.
func TestWindowResizeWithLostAnswersIsReadBack(t *testing.T) {
	w := newChangeWorldWith(t, "", simulator.Config{MaintainDelay: time.Hour})
	var target string
	for _, o := range w.sim.Catalog().OffersFor(w.instance.RegionID, w.instance.ZoneID, w.instance.InstanceType, w.instance.EngineVersion) {
		if o.InstanceClass != w.instance.InstanceClass {
			target = o.InstanceClass
			break
		}
	}
	if err := w.sim.SetFaults(simulator.Faults{LostRate: 1, Actions: []string{"ModifyInstanceSpec"}}); err != nil {
		t.Fatal(err)
	}
	r := w.change(domain.Input{"Kind": "modify_spec", "InstanceClass": target, "EffectiveTime": domain.EffectiveMaintain})
	if r.Status != domain.StatusSucceeded {
		t.Fatalf("the resize: %s %s %s", r.Status, r.ErrorCode, r.ErrorMessage)
	}
	if w.sim.Calls("ModifyInstanceSpec") < 2 {
		t.Fatalf("%d calls: the lost answers were not retried", w.sim.Calls("ModifyInstanceSpec"))
	}
	if n := len(w.simInstance().Orders); n != 1 {
		t.Fatalf("the cloud has %d orders, want 1", n)
	}
	in := w.portalInstance()
	if in.InstanceClass != w.instance.InstanceClass || in.ScheduledClass != target || in.ScheduledBy == nil || *in.ScheduledBy != r.ID {
		t.Fatalf("the instance: class %s, waiting for %q (request %v)", in.InstanceClass, in.ScheduledClass, in.ScheduledBy)
	}
}
