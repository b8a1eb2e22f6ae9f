package provisioner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
)

// A request left in provisioning with no job (River discarded it after its
// attempts went to workers that died) is failed by the sweep, with
// CodeNoLiveJob and an audit event saying why; a request with its job is
// left to it.
func TestSweepFailsStrandedRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{})
	ctx := context.Background()
	kind := provisioner.ProvisionArgs{}.Kind()
	var list []domain.Request

	discard := func(id int64) {
		t.Helper()
		if _, err := f.st.Pool().Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now()
			WHERE args @> jsonb_build_object('request_id', $1::bigint)`, id); err != nil {
			t.Fatal(err)
		}
	}
	stranded := f.approved("tok-stranded")
	if _, err := f.st.StartAttempt(ctx, stranded.ID, 1, 4, ""); err != nil {
		t.Fatal(err)
	}
	discard(stranded.ID)
	strandedApproved := f.approved("tok-stranded-approved")
	discard(strandedApproved.ID)
	alive, err := f.st.Request(ctx, f.approved("tok-alive").ID)
	if err != nil {
		t.Fatal(err)
	}

	list, err = f.st.RequestsWithoutJob(ctx, kind, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != stranded.ID || list[0].Status != domain.StatusProvisioning ||
		list[1].ID != strandedApproved.ID || list[1].Status != domain.StatusApproved {
		t.Fatalf("requests without a job: %+v", list)
	}
	if _, err := f.st.FailWithoutJob(ctx, alive, kind, store.Failure{Code: "X"}, "test"); !errors.Is(err, domain.ErrStateChanged) {
		t.Fatalf("a request with its job was failed: %v", err)
	}

	cfg := f.config()
	cfg.SweepInterval = 50 * time.Millisecond
	f.start(cfg)
	r := f.waitStatus(stranded.ID, 30*time.Second, domain.StatusFailed)
	if r.ErrorCode != provisioner.CodeNoLiveJob || r.ErrorMessage == "" || r.PasswordSealed != nil {
		t.Errorf("stranded request: code %q, message %q", r.ErrorCode, r.ErrorMessage)
	}
	var failed []store.Event
	for _, e := range f.events(stranded.ID) {
		if e.Action == domain.ActionFailed {
			failed = append(failed, e)
		}
	}
	if len(failed) != 1 || failed[0].Details["code"] != provisioner.CodeNoLiveJob || failed[0].Details["reason"] == nil {
		t.Errorf("failed events: %+v", failed)
	}
	if calls := f.calls("tok-stranded"); len(calls) != 0 {
		t.Errorf("the stranded request was called %d times", len(calls))
	}
	if r := f.waitStatus(strandedApproved.ID, 30*time.Second, domain.StatusFailed); r.ErrorCode != provisioner.CodeNoLiveJob {
		t.Errorf("stranded approved request: code %q", r.ErrorCode)
	}
	f.waitStatus(alive.ID, 30*time.Second, domain.StatusSucceeded)
}
