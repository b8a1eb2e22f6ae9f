package drift_test

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/drift"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// world is a database and a simulator over HTTP, and requests the portal
// made instances for.
type world struct {
	t   *testing.T
	st  *store.Store
	sim *simulator.Simulator
	api *rkvstore.Client
	dev store.User
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, simulator.Config{})
}

// newWorldWith is newWorld with a simulator of cfg (its keys and seed set
// here).
func newWorldWith(t *testing.T, cfg simulator.Config) *world {
	t.Helper()
	w := &world{t: t, st: store.New(testpg.Pool(t))}
	var err error
	cfg.AccessKeyID, cfg.AccessKeySecret, cfg.Seed = "k", "s", 5
	if w.sim, err = simulator.New(cfg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.sim)
	t.Cleanup(srv.Close)
	if w.api, err = rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: "k", AccessKeySecret: "s",
		ReadTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if w.dev, err = w.st.CreateUser(context.Background(), "dev", domain.RoleRequester, "hash", nil); err != nil {
		t.Fatal(err)
	}
	return w
}

// made creates an instance as the provisioner does (tagged with its request
// unless untagged) and records it on a succeeded request.
func (w *world) made(name string, tagged bool) domain.Request {
	w.t.Helper()
	ctx := context.Background()
	p := domain.Params{InstanceName: name, InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou",
		ZoneId: "cn-hangzhou-g", ChargeType: "PostPaid", NetworkType: "Classic", InstanceType: "Redis",
		EngineVersion: "4.0", Token: "tok-" + name}
	r, err := w.st.CreateRequest(ctx, store.NewRequest{RequesterID: w.dev.ID, Params: p})
	if err != nil {
		w.t.Fatal(err)
	}
	var tags []domain.Tag
	if tagged {
		tags = domain.InstanceTags(r)
	}
	res, err := w.api.CreateInstance(ctx, p, tags...)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.st.Pool().Exec(ctx, `UPDATE requests SET status = 'succeeded', instance_id = $2, result_name = $3,
		instance_status = 'Normal', finished_at = now() WHERE id = $1`, r.ID, res.InstanceId, res.InstanceName); err != nil {
		w.t.Fatal(err)
	}
	r, _ = w.st.Request(ctx, r.ID)
	return r
}

// Each kind of drift, made behind the portal's back in the simulator,
// found once; a second check finds the same and announces nothing new.
func TestDriftOfEachKind(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	same := w.made("same", true)
	old := w.made("old", false) // made before instances were tagged
	gone := w.made("gone", true)
	renamed := w.made("renamed", true)
	resized := w.made("resized", true)
	restatused := w.made("restatused", true)

	if rep, err := drift.Check(ctx, w.api, w.st); err != nil || len(rep.Findings) != 0 || len(rep.Problems) != 0 || rep.Compared != 6 {
		t.Fatalf("before any change: %v %v, %d compared, %v", rep.Findings, rep.Problems, rep.Compared, err)
	}

	if err := w.sim.DeleteInstance(gone.InstanceID); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.RenameInstance(renamed.InstanceID, "renamed-in-console"); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.ResizeInstance(resized.InstanceID, "redis.master.mid.default"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Pool().Exec(ctx, `UPDATE requests SET instance_status = 'Changing' WHERE id = $1`, restatused.ID); err != nil {
		t.Fatal(err)
	}
	stranger, err := w.api.CreateInstance(ctx, domain.Params{InstanceName: "stray", InstanceClass: testfix.InstanceClass,
		RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-g", ChargeType: "PostPaid", NetworkType: "Classic",
		InstanceType: "Redis", EngineVersion: "4.0", Token: "tok-stray"},
		domain.Tag{Key: domain.TagRequest, Value: "999"}, domain.Tag{Key: domain.TagTeam, Value: domain.NoTeam})
	if err != nil {
		t.Fatal(err)
	}
	// Not the portal's: no tags, so not listed, not reported.
	if _, err := w.api.CreateInstance(ctx, domain.Params{InstanceName: "other", InstanceClass: testfix.InstanceClass,
		RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-g", ChargeType: "PostPaid", NetworkType: "Classic",
		InstanceType: "Redis", EngineVersion: "4.0", Token: "tok-other"}); err != nil {
		t.Fatal(err)
	}

	rep, fresh, err := drift.Run(ctx, w.st, w.api)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.InstanceID+" "+f.Kind)
	}
	slices.Sort(got)
	want := []string{gone.InstanceID + " missing", renamed.InstanceID + " name", resized.InstanceID + " class",
		restatused.InstanceID + " status", stranger.InstanceId + " unknown"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	for _, f := range rep.Findings {
		line := drift.Describe(f)
		if !strings.HasPrefix(line, f.InstanceID+" ") {
			t.Errorf("line %q does not start with the InstanceId", line)
		}
		if f.InstanceID == same.InstanceID || f.InstanceID == old.InstanceID {
			t.Errorf("unchanged instance reported: %s", line)
		}
	}
	if len(fresh) != len(want) {
		t.Errorf("%d new findings, want %d", len(fresh), len(want))
	}
	last, err := w.st.LastDrift(ctx)
	if err != nil || len(last.Findings) != len(want) || last.CheckedAt.IsZero() {
		t.Fatalf("recorded: %d findings at %v (%v)", len(last.Findings), last.CheckedAt, err)
	}

	// Again: the same findings, none new, no more events.
	if _, fresh, err := drift.Run(ctx, w.st, w.api); err != nil || len(fresh) != 0 {
		t.Errorf("second check: %d new (%v)", len(fresh), err)
	}
	var events int
	if err := w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = $1`,
		domain.ActionInstanceDrifted).Scan(&events); err != nil || events != len(want) {
		t.Errorf("%d drift events (%v), want %d", events, err, len(want))
	}
	// The missing instance's event is on its request.
	evs, _ := w.st.RequestEvents(ctx, gone.ID)
	if !slices.ContainsFunc(evs, func(e store.Event) bool { return e.Action == domain.ActionInstanceDrifted }) {
		t.Error("no drift event on the missing instance's request")
	}
}

// A region that cannot be listed is reported as not checked, and its
// instances are not called missing.
func TestDriftUnreachableRegion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.made("kept", true)
	_ = w.sim.SetFaults(simulator.Faults{ThrottleRate: 1})
	rep, err := drift.Check(context.Background(), w.api, w.st)
	if err != nil || len(rep.Findings) != 0 || len(rep.Problems) == 0 {
		t.Errorf("throttled cloud: findings %v, problems %v", rep.Findings, rep.Problems)
	}
}

// A cloud that lost many instances at once (or a portal pointed at the
// wrong account) makes one finding per instance: the check reads the
// records a page at a time, keeps the first MaxFindings and counts the
// rest, and the record of the check announces the kept ones only.
func TestDriftFloodIsBounded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.made("real", true)
	n := drift.MaxFindings + 7
	if _, err := w.st.Pool().Exec(ctx, `INSERT INTO requests (requester_id, status, instance_class, region_id, zone_id,
		charge_type, network_type, instance_type, engine_version, token, instance_id, result_name, instance_status, finished_at)
		SELECT $1, 'succeeded', $2, 'cn-hangzhou', '', 'PostPaid', 'Classic', 'Redis', '4.0', 'flood-' || g,
			'r-gone' || g, 'gone-' || g, 'Normal', now()
		FROM generate_series(1, $3) AS g`, w.dev.ID, testfix.InstanceClass, n); err != nil {
		t.Fatal(err)
	}
	rep, fresh, err := drift.Run(ctx, w.st, w.api)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != drift.MaxFindings || rep.Omitted != n-drift.MaxFindings || rep.Compared != n+1 {
		t.Errorf("%d findings, %d omitted, %d compared; want %d, %d, %d", len(rep.Findings), rep.Omitted, rep.Compared,
			drift.MaxFindings, n-drift.MaxFindings, n+1)
	}
	if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "left out") }) {
		t.Errorf("no word of the findings left out: %v", rep.Problems)
	}
	if len(fresh) != drift.MaxFindings {
		t.Errorf("%d new findings announced, want %d", len(fresh), drift.MaxFindings)
	}
	last, err := w.st.LastDrift(ctx)
	if err != nil || len(last.Findings) != drift.MaxFindings {
		t.Errorf("%d findings recorded (%v), want %d", len(last.Findings), err, drift.MaxFindings)
	}
	// The same check again keeps the same findings and announces nothing.
	if _, fresh, err := drift.Run(ctx, w.st, w.api); err != nil || len(fresh) != 0 {
		t.Errorf("second check: %d new findings, %v", len(fresh), err)
	}
}

// The README tells operators the bound; it follows the constant.
func TestReadmeStatesTheBound(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := "keeps at most " + strconv.Itoa(drift.MaxFindings) + " findings"; !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("README.md does not say %q", want)
	}
}

// A request failed although its tagged instance exists (its last answer was
// lost before the portal looked for instances by their tags): the check
// reports it, and Run makes it succeed with that instance, audited, so that
// a database that already holds such a request is mended.
func TestDriftAdoptsAFailedRequestsInstance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	r := w.made("lost-answer", true)
	// As the portal left it: failed, and so without an instance's row.
	if _, err := w.st.Pool().Exec(ctx, `UPDATE requests SET status = 'failed', instance_id = '', result_name = '',
		instance_status = '' WHERE id = $1`, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Pool().Exec(ctx, `DELETE FROM instances WHERE request_id = $1`, r.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := drift.Check(ctx, w.api, w.st)
	if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Kind != drift.KindFailed || rep.Findings[0].RequestID != r.ID {
		t.Fatalf("check: %+v %v", rep.Findings, err)
	}
	if got := drift.Describe(rep.Findings[0]); !strings.Contains(got, "exists although its request failed") {
		t.Errorf("described as %q", got)
	}
	if _, _, err := drift.Run(ctx, w.st, w.api); err != nil {
		t.Fatal(err)
	}
	after, err := w.st.Request(ctx, r.ID)
	if err != nil || after.Status != domain.StatusSucceeded || after.InstanceID != rep.Findings[0].InstanceID {
		t.Fatalf("after the run: %s %q %v", after.Status, after.InstanceID, err)
	}
	evs, err := w.st.RequestEvents(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	adopted := 0
	for _, e := range evs {
		if e.Action == domain.ActionSucceeded && e.Details.String(domain.KeyFoundByTag) != "" {
			adopted++
		}
	}
	if adopted != 1 {
		t.Errorf("%d adoption events: %v", adopted, evs)
	}
	if rep, err := drift.Check(ctx, w.api, w.st); err != nil || len(rep.Findings) != 0 {
		t.Errorf("mended, yet: %+v %v", rep.Findings, err)
	}
}

// The check compares what the portal last set: a whitelist changed in the
// console is found, a class changed through the portal is not drift, and a
// released instance is not read at all (not called missing).
func TestDriftOfWhitelistAndTheLiveInstances(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	listed := w.made("listed", true)
	resized := w.made("resized", true)
	released := w.made("released", true)

	if err := w.api.ModifySecurityIps(ctx, "cn-hangzhou", listed.InstanceID, domain.WhitelistGroup, []string{"10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.ResizeInstance(resized.InstanceID, "redis.master.mid.default"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE instances SET security_ips = '10.0.0.0/8' WHERE instance_id = $1`, []any{listed.InstanceID}},
		{`UPDATE instances SET instance_class = 'redis.master.mid.default' WHERE instance_id = $1`, []any{resized.InstanceID}},
		{`UPDATE instances SET status = 'Released' WHERE instance_id = $1`, []any{released.InstanceID}},
	} {
		if _, err := w.st.Pool().Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.sim.DeleteInstance(released.InstanceID); err != nil {
		t.Fatal(err)
	}
	rep, err := drift.Check(ctx, w.api, w.st)
	if err != nil || len(rep.Findings) != 0 || len(rep.Problems) != 0 || rep.Compared != 2 {
		t.Fatalf("as the portal left them: %+v %v, %d compared, %v", rep.Findings, rep.Problems, rep.Compared, err)
	}

	// Someone widens the whitelist in the console.
	if err := w.api.ModifySecurityIps(ctx, "cn-hangzhou", listed.InstanceID, domain.WhitelistGroup, []string{"0.0.0.0/0"}); err != nil {
		t.Fatal(err)
	}
	rep, err = drift.Check(ctx, w.api, w.st)
	if err != nil || len(rep.Findings) != 1 {
		t.Fatalf("after the console: %+v %v", rep.Findings, err)
	}
	if f := rep.Findings[0]; f.Kind != drift.KindWhitelist || f.Portal != "10.0.0.0/8" || f.Cloud != "0.0.0.0/0" || f.RequestID != listed.ID {
		t.Errorf("finding: %+v", f)
	}
}

// A resize ordered for the maintenance window leaves the instance at its
// class until the window: no finding meanwhile, nor while the cloud
// changes it, and when the cloud runs the class ordered, the check records
// it as the portal's change (the instance's class, an event on the request
// that ordered it), not as drift. A class nobody ordered is still drift.
func TestDriftRecordsAResizeOrderedForTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const bigger = "redis.master.mid.default"
	clock := testfix.NewClock(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))
	w := newWorldWith(t, simulator.Config{Clock: clock, CreatingDelay: time.Minute})
	made := w.made("windowed", true)
	clock.Advance(2 * time.Minute) // created
	boss, err := w.st.CreateUser(ctx, "boss", domain.RoleApprover, "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := made.Params
	p.Token = "tok-resize"
	resize, err := w.st.CreateRequest(ctx, store.NewRequest{Kind: domain.KindModifySpec, InstanceID: made.InstanceID,
		RequesterID: w.dev.ID, Params: p,
		Change: domain.Change{InstanceClass: bigger, EffectiveTime: domain.EffectiveMaintain, OrderType: "UPGRADE"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.MoveApproved(ctx, resize.ID, boss.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.StartAttempt(ctx, resize.ID, 1, 1, "ModifyInstanceSpec"); err != nil {
		t.Fatal(err)
	}
	if err := w.st.RecordChangeApplied(ctx, resize.ID, 1, store.Applied{Operation: "ModifyInstanceSpec"}); err != nil {
		t.Fatal(err)
	}
	in, err := w.st.Instance(ctx, made.InstanceID)
	if err != nil || in.InstanceClass != testfix.InstanceClass || in.ScheduledClass != bigger ||
		in.ScheduledBy == nil || *in.ScheduledBy != resize.ID {
		t.Fatalf("after the order: %+v %v", in, err)
	}

	// Before the window: nothing to find, nothing done.
	if rep, err := drift.Check(ctx, w.api, w.st); err != nil || len(rep.Findings) != 0 || len(rep.Resized) != 0 {
		t.Fatalf("before the window: %+v, resized %+v, %v", rep.Findings, rep.Resized, err)
	}
	// The window comes: the cloud changes the instance's class, Changing
	// for a while, which is no drift either.
	if err := w.sim.ResizeInstance(made.InstanceID, bigger); err != nil {
		t.Fatal(err)
	}
	if rep, err := drift.Check(ctx, w.api, w.st); err != nil || len(rep.Findings) != 0 || len(rep.Resized) != 0 {
		t.Fatalf("in the window: %+v, resized %+v, %v", rep.Findings, rep.Resized, err)
	}
	clock.Advance(2 * time.Minute)
	rep, _, err := drift.Run(ctx, w.st, w.api)
	if err != nil || len(rep.Findings) != 0 || len(rep.Resized) != 1 || rep.Resized[0].Class != bigger {
		t.Fatalf("after the window: %+v, resized %+v, %v", rep.Findings, rep.Resized, err)
	}
	in, err = w.st.Instance(ctx, made.InstanceID)
	if err != nil || in.InstanceClass != bigger || in.ScheduledClass != "" || in.ScheduledBy != nil {
		t.Fatalf("recorded: %+v %v", in, err)
	}
	evs, err := w.st.RequestEvents(ctx, resize.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(evs, func(e store.Event) bool { return e.Action == domain.ActionScheduledResize })
	if i < 0 || evs[i].Details[domain.KeyFromClass] != testfix.InstanceClass || evs[i].Details[domain.KeyInstanceClass] != bigger {
		t.Fatalf("no resize event with its classes on the ordering request: %+v", evs)
	}
	// Recorded once: the next check has nothing to do.
	if rep, _, err := drift.Run(ctx, w.st, w.api); err != nil || len(rep.Findings) != 0 || len(rep.Resized) != 0 {
		t.Fatalf("the next check: %+v, resized %+v, %v", rep.Findings, rep.Resized, err)
	}

	// A class nobody ordered, while another order waits: drift as ever.
	if _, err := w.st.Pool().Exec(ctx, `UPDATE instances SET scheduled_class = 'redis.master.large.default',
		scheduled_by = $2 WHERE instance_id = $1`, made.InstanceID, resize.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.ResizeInstance(made.InstanceID, testfix.InstanceClass); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	rep, err = drift.Check(ctx, w.api, w.st)
	if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Kind != drift.KindClass || len(rep.Resized) != 0 {
		t.Fatalf("a class nobody ordered: %+v, resized %+v, %v", rep.Findings, rep.Resized, err)
	}
}
