package provisioner

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// A retry time that passed while the failure was being recorded must not
// reach River: it would swap it for its own default backoff (attempt⁴
// seconds, over an hour by the seventh attempt).
func TestWorkerNextRetryIsNeverInThePast(t *testing.T) {
	t.Parallel()
	w := &provisionWorker{p: &Provisioner{}}
	job := &river.Job[ProvisionArgs]{JobRow: &rivertype.JobRow{ID: 7, Attempt: 3}}

	past := time.Now().Add(-time.Second)
	w.p.nextRetry.Store(retryKey{7, 3}, past)
	before := time.Now()
	if got := w.NextRetry(job); got.Before(before) {
		t.Fatalf("NextRetry returned %v, before %v", got, before)
	}

	future := time.Now().Add(time.Hour)
	w.p.nextRetry.Store(retryKey{7, 3}, future)
	if got := w.NextRetry(job); !got.Equal(future) {
		t.Fatalf("a future retry time must be kept: %v", got)
	}
	if got := w.NextRetry(job); !got.IsZero() {
		t.Fatalf("without a recorded time, River's policy decides: %v", got)
	}
}
