package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/workflow"
)

// Workload 10: n requests taken end to end (submitted, approved, made by
// the provisioner) by concurrent clients, creations first, then one
// set_whitelist change of each instance they made.
const w10Requests, w10Clients, w10Concurrency = 2000, 32, 32

// w10Target is the share of the creations' rate the changes must reach: a
// change commits as often as a creation (its submission, its approval with
// its job, its attempt, its outcome), so it should run about as fast; three
// quarters leave room for its extra reads at submission and for a noisy
// run, and a change costing a third more than a creation misses it.
const w10Target = 0.75

// changeWorld is a provWorld with its provisioner started and the workflow
// wired as `portal serve` wires it: the same store, sealer and enqueue
// hook; no catalog, checks or policy, so every request waits for its
// approver.
type changeWorld struct {
	*provWorld
	prov      *provisioner.Provisioner
	wf        *workflow.Workflow
	requester workflow.Actor
	approver  workflow.Actor
}

func newChangeWorld(ctx context.Context, env *environment, name string) (*changeWorld, error) {
	w, err := newProvWorld(ctx, env, name, 0)
	if err != nil {
		return nil, err
	}
	prov, err := w.provisioner(w10Concurrency)
	if err != nil {
		w.close()
		return nil, err
	}
	if err := prov.Start(ctx); err != nil {
		w.close()
		return nil, err
	}
	return &changeWorld{provWorld: w, prov: prov,
		wf:        &workflow.Workflow{Store: w.st, Sealer: w.sealer, Enqueue: prov.EnqueueTx},
		requester: workflow.Actor{ID: w.requester, Role: domain.RoleRequester},
		approver:  workflow.Actor{ID: w.approverID, Role: domain.RoleApprover}}, nil
}

func (w *changeWorld) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = w.prov.Stop(ctx)
	w.provWorld.close()
}

// creationInput is a valid creation form, as testfix's, with the values
// the other provisioner workloads use; a password, so that each creation
// seals and later opens one as the form's would.
func creationInput(i int) domain.Input {
	return domain.Input{"InstanceName": fmt.Sprintf("bench-%d", i), "Password": "BenchPassw0rd1",
		"InstanceClass": "redis.master.small.default", "RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-b",
		"ChargeType": "PostPaid", "NetworkType": "Classic", "InstanceType": "Redis", "EngineVersion": "4.0"}
}

// endToEnd runs step(i) for i in [0, n) on clients goroutines, each step a
// submission and its approval, and waits until no request is left pending,
// approved or provisioning. The time is from the first submission to that
// moment; then every request of kind must have succeeded.
func (w *changeWorld) endToEnd(ctx context.Context, kind domain.RequestKind, n, clients int, step func(ctx context.Context, i int) error) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var stepErr error
	t0 := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := step(ctx, i); err != nil {
					once.Do(func() { stepErr = fmt.Errorf("request %d: %w", i, err); cancel() })
					return
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if stepErr != nil {
		return 0, stepErr
	}
	// One probe of the status index per poll, as workload 3's, so that
	// watching costs the server nothing next to the work measured.
	if _, err := drain(ctx, func() error { return nil }, func() (int64, error) {
		var left bool
		err := w.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM requests WHERE status IN ('pending_approval', 'approved', 'provisioning'))`).Scan(&left)
		if left {
			return 0, err
		}
		return int64(n), err
	}, int64(n), 10*time.Minute); err != nil {
		return 0, err
	}
	d := time.Since(t0)
	var succeeded, all int64
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FROM requests WHERE kind = $1`,
		string(kind)).Scan(&succeeded, &all); err != nil {
		return 0, err
	}
	if succeeded != int64(n) || all != int64(n) {
		return 0, fmt.Errorf("%d of %d %s requests succeeded (%d stored)", succeeded, n, kind, all)
	}
	return d, nil
}

// decide approves what submit stored, as an approver.
func (w *changeWorld) decide(ctx context.Context, r domain.Request, errs domain.FieldErrors, err error) error {
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("refused: %v", errs)
	}
	_, err = w.wf.Approve(ctx, w.approver, r.ID)
	return err
}

// changesRun measures n creations, then one set_whitelist change of each
// instance they made, in one fresh world; it returns both rates.
func changesRun(ctx context.Context, env *environment, name string, n int) (creations, changes float64, err error) {
	w, err := newChangeWorld(ctx, env, name)
	if err != nil {
		return 0, 0, err
	}
	defer w.close()
	time.Sleep(time.Second) // let the provisioner settle: leadership, listeners
	created, err := w.endToEnd(ctx, domain.KindCreate, n, w10Clients, func(ctx context.Context, i int) error {
		r, errs, err := w.wf.Submit(ctx, w.requester, creationInput(i))
		return w.decide(ctx, r, errs, err)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("creations: %w", err)
	}
	rows, err := w.pool.Query(ctx, `SELECT instance_id FROM instances ORDER BY request_id`)
	if err != nil {
		return 0, 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) != n {
		return 0, 0, fmt.Errorf("%d creations succeeded but %d instances have a row", n, len(ids))
	}
	// The changes start on tables that hold the creations, with their
	// statistics, as a portal's would: not on the empty tables' plans.
	if _, err := w.pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return 0, 0, err
	}
	changed, err := w.endToEnd(ctx, domain.KindSetWhitelist, n, w10Clients, func(ctx context.Context, i int) error {
		r, errs, err := w.wf.SubmitChange(ctx, w.requester, ids[i], domain.Input{workflow.KindField: string(domain.KindSetWhitelist), "SecurityIps": "10.0.0.0/8"})
		return w.decide(ctx, r, errs, err)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("changes: %w", err)
	}
	if got := w.sim.Calls("ModifySecurityIps"); got < n {
		return 0, 0, fmt.Errorf("the simulator saw %d ModifySecurityIps calls for %d changes", got, n)
	}
	var whitelisted int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM instances WHERE security_ips = '10.0.0.0/8'`).Scan(&whitelisted); err != nil {
		return 0, 0, err
	}
	if whitelisted != n {
		return 0, 0, fmt.Errorf("%d of %d instances show the new whitelist", whitelisted, n)
	}
	return float64(n) / created.Seconds(), float64(n) / changed.Seconds(), nil
}

func workload10(ctx context.Context, o options, env *environment, rep *report) error {
	var creates, changes, ratios []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		create, change, err := changesRun(ctx, env, fmt.Sprintf("w10_%d", i), w10Requests)
		if err != nil {
			return err
		}
		creates, changes, ratios = append(creates, create), append(changes, change), append(ratios, change/create)
		runs = append(runs, fmt.Sprintf("run %d: set_whitelist changes %.0f/s, creations %.0f/s", i+1, change, create))
		logf("  %s", runs[len(runs)-1])
	}
	ratio := median(ratios)
	rep.add(row{n: "10", workload: fmt.Sprintf("change requests end to end: %d set_whitelist changes submitted and approved by %d clients, until applied, simulator without latency",
		w10Requests, w10Clients),
		result: fmt.Sprintf("%.0f changes/s", median(changes)), baseline: fmt.Sprintf("creations, the same way: %.0f/s", median(creates)),
		ratio: fmt.Sprintf("%.0f%%", ratio*100), target: fmt.Sprintf("≥ %.0f%%", w10Target*100), met: ratio >= w10Target, runs: strings.Join(runs, "; "),
		repro: fmt.Sprintf("`-only 10`: in-process, fresh database per run, the provisioner started (concurrency %d) and the workflow wired as `portal serve` wires it "+
			"(workflow.Workflow with the store, the sealer and the provisioner's EnqueueTx; no catalog, checks or policy). "+
			"Baseline first: %d clients submit %d creations (workflow.Submit, a small Redis 4.0 in cn-hangzhou-b with a password) and approve each (workflow.Approve, another user), "+
			"the clock running from the first submission until no request is pending, approved or provisioning; every creation must have succeeded. "+
			"Then, on the instances those creations made, one set_whitelist change each (workflow.SubmitChange, then workflow.Approve) the same way, "+
			"until every change has succeeded, the simulator has seen a ModifySecurityIps per change and every instance's row shows the new whitelist. "+
			"Target 75%%: a change commits as often as a creation (its submission, its approval with its job, its attempt, its outcome recorded), "+
			"adds three index reads at submission (the instance, the change in progress, its creation) and its call is no dearer than CreateInstance, "+
			"so it should run about as fast; a quarter below leaves room for those reads and a noisy run, and a change costing a third more than a creation misses it.",
			w10Concurrency, w10Clients, w10Requests)})
	return nil
}
