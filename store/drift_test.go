package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kvportal/kvportal/store"
)

// A finding found again keeps when it was first seen and is not new; one
// no longer found is gone; a tag naming no request of the portal's links
// to none.
func TestRecordDriftKeepsFirstSeen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	missing := store.DriftFinding{InstanceID: "r-gone", Kind: "missing", RequestID: 999999, Portal: "orders", RegionID: "cn-hangzhou"}
	renamed := store.DriftFinding{InstanceID: "r-renamed", Kind: "name", Portal: "a", Cloud: "b", RegionID: "cn-hangzhou"}
	fresh, err := s.RecordDrift(ctx, []store.DriftFinding{missing, renamed}, nil)
	if err != nil || len(fresh) != 2 {
		t.Fatalf("first check: %d new, %v", len(fresh), err)
	}
	first, err := s.LastDrift(ctx)
	if err != nil || len(first.Findings) != 2 {
		t.Fatalf("first check recorded %+v, %v", first, err)
	}
	time.Sleep(10 * time.Millisecond) // another transaction's now()
	renamed.Cloud = "c"
	fresh, err = s.RecordDrift(ctx, []store.DriftFinding{renamed}, nil)
	if err != nil || len(fresh) != 0 {
		t.Fatalf("second check: %d new, %v", len(fresh), err)
	}
	second, err := s.LastDrift(ctx)
	if err != nil || len(second.Findings) != 1 {
		t.Fatalf("second check recorded %+v, %v", second, err)
	}
	got := second.Findings[0]
	if got.InstanceID != "r-renamed" || got.Cloud != "c" || !got.FirstSeen.Equal(first.Findings[1].FirstSeen) {
		t.Errorf("found again: %+v, first seen then %v", got, first.Findings[1].FirstSeen)
	}
	if first.Findings[0].RequestID != 0 {
		t.Errorf("a tag naming no request links to request %d", first.Findings[0].RequestID)
	}
}
