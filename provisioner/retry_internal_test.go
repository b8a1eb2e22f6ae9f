package provisioner

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
)

// The retry is scheduled by the request's stored next_attempt_at. A time
// that passed while the failure was being recorded must not reach River: it
// would swap it for its own default backoff (attempt⁴ seconds, over an hour
// by the seventh attempt).
func TestWorkerNextRetryIsNeverInThePast(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(testpg.Pool(t))
	dev, err := st.CreateUser(ctx, "dev", domain.RoleRequester, "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.CreateRequest(ctx, store.NewRequest{RequesterID: dev.ID, Params: domain.Params{
		InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou", ChargeType: "PostPaid",
		NetworkType: "Classic", InstanceType: "Redis", EngineVersion: "2.8", Token: "tok-retry",
	}})
	if err != nil {
		t.Fatal(err)
	}
	w := &provisionWorker{p: &Provisioner{st: st}}
	job := &river.Job[ProvisionArgs]{JobRow: &rivertype.JobRow{ID: 7, Attempt: 3}, Args: ProvisionArgs{RequestID: r.ID}}
	schedule := func(at *time.Time) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, `UPDATE requests SET next_attempt_at = $2 WHERE id = $1`, r.ID, at); err != nil {
			t.Fatal(err)
		}
	}

	past := time.Now().Add(-time.Second)
	schedule(&past)
	before := time.Now()
	if got := w.NextRetry(job); got.Before(before) {
		t.Fatalf("NextRetry returned %v, before %v", got, before)
	}

	future := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	schedule(&future)
	if got := w.NextRetry(job); !got.Equal(future) {
		t.Fatalf("a future retry time must be kept: %v, want %v", got, future)
	}
	schedule(nil)
	if got := w.NextRetry(job); !got.IsZero() {
		t.Fatalf("without a recorded time, River's policy decides: %v", got)
	}
}
