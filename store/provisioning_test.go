package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

func TestMoveWhereGuardsTheAttempt(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev, appr := mkUser(t, s, "dev", domain.RoleRequester), mkUser(t, s, "appr", domain.RoleApprover)
	r := mkRequest(t, s, dev, "t-where")
	if _, err := s.MoveApproved(ctx, r.ID, appr.ID, nil); err != nil {
		t.Fatal(err)
	}
	started, err := s.StartAttempt(ctx, r.ID, 1, 3, "")
	if err != nil || started.Attempts != 1 || started.Status != domain.StatusProvisioning {
		t.Fatalf("start: %+v %v", started, err)
	}
	// An outcome of another attempt changes nothing and says where the
	// request is.
	back := func(attempt int) error {
		_, err := s.ScheduleRetry(ctx, r.ID, attempt, store.Failure{Code: "X"}, time.Now())
		return err
	}
	var se *domain.StateError
	if err := back(2); !errors.As(err, &se) || se.Current.Status != domain.StatusProvisioning || se.Current.Attempts != 1 {
		t.Fatalf("stale attempt: %v", err)
	}
	if n := countEvents(t, s, r.ID, domain.ActionAttemptFailed); n != 0 {
		t.Fatalf("a refused outcome left %d events", n)
	}
	if err := back(1); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Request(ctx, r.ID); got.Status != domain.StatusApproved || got.ErrorCode != "X" ||
		countEvents(t, s, r.ID, domain.ActionAttemptFailed) != 1 {
		t.Fatalf("current attempt's outcome: %+v", got)
	}
}

// A success, which reads nothing back, is still guarded by the attempt and
// recorded with its event.
func TestRecordSuccessGuardsTheAttempt(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev, appr := mkUser(t, s, "dev", domain.RoleRequester), mkUser(t, s, "appr", domain.RoleApprover)
	r := mkRequest(t, s, dev, "t-success")
	if _, err := s.MoveApproved(ctx, r.ID, appr.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartAttempt(ctx, r.ID, 1, 3, ""); err != nil {
		t.Fatal(err)
	}
	created := store.Created{InstanceID: "r-ok", InstanceName: "cache", InstanceStatus: "Creating",
		Result: map[string]any{"InstanceId": "r-ok"}, ConnectionDomain: "r-ok.example", Port: 6379}
	var se *domain.StateError
	if err := s.RecordSuccess(ctx, r.ID, 2, created); !errors.As(err, &se) || se.Current.Status != domain.StatusProvisioning {
		t.Fatalf("another attempt's success: %v", err)
	}
	if err := s.RecordSuccess(ctx, r.ID, 1, created); err != nil {
		t.Fatal(err)
	}
	got, err := s.Request(ctx, r.ID)
	if err != nil || got.Status != domain.StatusSucceeded || got.InstanceID != "r-ok" || got.ConnectionPort != 6379 ||
		got.Result["InstanceId"] != "r-ok" || countEvents(t, s, r.ID, domain.ActionSucceeded) != 1 {
		t.Fatalf("success: %+v %v", got, err)
	}
	if err := s.RecordSuccess(ctx, r.ID, 1, created); !errors.Is(err, domain.ErrStateChanged) {
		t.Fatalf("a second success: %v", err)
	}
}

func TestInstancesToFollow(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	succeeded := func(token, status string, finished time.Duration) int64 {
		r := mkRequest(t, s, dev, token)
		if _, err := s.Pool().Exec(ctx, `UPDATE requests SET status = 'succeeded', instance_id = 'r-' || $2,
			instance_status = $3, finished_at = now() - $4::bigint * interval '1 second' WHERE id = $1`,
			r.ID, token, status, int64(finished.Seconds())); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	creating := succeeded("a", "Creating", 0)
	unknown := succeeded("b", "", time.Minute)
	succeeded("c", "Normal", 0)
	succeeded("d", "Creating", 2*time.Hour) // beyond FollowFor
	mkRequest(t, s, dev, "e")               // not succeeded
	looked := succeeded("f", "Creating", 0)
	if err := s.CheckedInstance(ctx, looked); err != nil {
		t.Fatal(err)
	}
	order := func(limit int) []int64 {
		t.Helper()
		list, err := s.InstancesToFollow(ctx, time.Hour, limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, in := range list {
			if in.RegionID != "cn-hangzhou" || in.InstanceID == "" {
				t.Errorf("instance %+v", in)
			}
			ids = append(ids, in.RequestID)
		}
		return ids
	}
	// Never asked about first, then the one asked about longest ago.
	if got := order(10); !slices.Equal(got, []int64{creating, unknown, looked}) {
		t.Fatalf("to follow %v, want %v", got, []int64{creating, unknown, looked})
	}
	if got := order(1); !slices.Equal(got, []int64{creating}) {
		t.Fatalf("limit 1: %v", got)
	}
	// Still creating: no event, but it goes to the back of the line.
	if changed, err := s.SetInstanceStatus(ctx, creating, "r-a", store.InstanceReport{Status: "Creating"}); changed || err != nil {
		t.Fatalf("unchanged status: %v %v", changed, err)
	}
	if got := order(10); !slices.Equal(got, []int64{unknown, looked, creating}) {
		t.Fatalf("after a look: %v", got)
	}
	// Normal: an event, and no longer followed. Another instance's id
	// changes nothing.
	if changed, err := s.SetInstanceStatus(ctx, unknown, "r-other", store.InstanceReport{Status: "Normal"}); changed || err != nil {
		t.Fatalf("another instance: %v %v", changed, err)
	}
	if changed, err := s.SetInstanceStatus(ctx, unknown, "r-b", store.InstanceReport{Status: "Normal"}); !changed || err != nil {
		t.Fatalf("changed status: %v %v", changed, err)
	}
	if n := countEvents(t, s, unknown, domain.ActionInstanceStatus); n != 1 {
		t.Fatalf("%d status events", n)
	}
	if n := countEvents(t, s, creating, domain.ActionInstanceStatus); n != 0 {
		t.Fatalf("an unchanged status left %d events", n)
	}
	if got := order(10); !slices.Equal(got, []int64{looked, creating}) {
		t.Fatalf("after Normal: %v", got)
	}
	// An instance the cloud does not know is not asked about again.
	if err := s.StopFollowing(ctx, looked); err != nil {
		t.Fatal(err)
	}
	if got := order(10); !slices.Equal(got, []int64{creating}) {
		t.Fatalf("after StopFollowing: %v", got)
	}
}

// A failed request succeeds only by adoption of an instance found by its
// tag: without that cause the move is refused and nothing is written; with
// it, the request succeeds with one event that says how it was found.
func TestAdoptInstanceNeedsItsTag(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev, appr := mkUser(t, s, "dev", domain.RoleRequester), mkUser(t, s, "appr", domain.RoleApprover)
	r := mkRequest(t, s, dev, "t-adopt")
	if _, err := s.MoveApproved(ctx, r.ID, appr.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartAttempt(ctx, r.ID, 1, 1, ""); err != nil {
		t.Fatal(err)
	}
	failed, err := s.RecordFailure(ctx, r.ID, 1, store.Failure{Code: "Throttling.User"}, "no success after 1 attempts")
	if err != nil {
		t.Fatal(err)
	}
	created := store.Created{InstanceID: "r-found", InstanceName: "cache", Result: map[string]any{"InstanceId": "r-found"}}
	if err := s.AdoptInstance(ctx, failed, created); err == nil {
		t.Fatal("a failed request succeeded without its instance found by its tag")
	}
	if got, _ := s.Request(ctx, r.ID); got.Status != domain.StatusFailed || countEvents(t, s, r.ID, domain.ActionSucceeded) != 0 {
		t.Fatalf("a refused adoption changed the request: %+v", got)
	}
	created.FoundByTag = "by its tag kvportal:request"
	if err := s.AdoptInstance(ctx, failed, created); err != nil {
		t.Fatal(err)
	}
	got, err := s.Request(ctx, r.ID)
	if err != nil || got.Status != domain.StatusSucceeded || got.InstanceID != "r-found" || got.ErrorCode != "" ||
		countEvents(t, s, r.ID, domain.ActionSucceeded) != 1 {
		t.Fatalf("adopted: %+v %v", got, err)
	}
}

// The follow sweep's probe is never compiled by Postgres's JIT, whatever
// cost the planner gives it: the cost is a misestimate that grows with the
// table, and compiling a one-page probe took far longer than running it.
// The threshold is set to nothing here so that a table of a test's size
// shows what a large one would.
func TestFollowSweepIsNeverCompiled(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	var available bool
	if err := s.Pool().QueryRow(ctx, `SELECT pg_jit_available()`).Scan(&available); err != nil {
		t.Fatal(err)
	}
	if !available {
		t.Skip("this Postgres has no JIT to turn off")
	}
	plan := func(settings []string) string {
		t.Helper()
		tx, err := s.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // only read
		for _, set := range append([]string{`SET LOCAL jit = on`, `SET LOCAL jit_above_cost = 0`}, settings...) {
			if _, err := tx.Exec(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE) `+store.FollowSQL, time.Now().Add(-time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	// Without the sweep's settings the same statement is compiled, or this
	// test would show nothing.
	if p := plan(nil); !strings.Contains(p, "JIT:") {
		t.Fatalf("the probe is not compiled even at no threshold:\n%s", p)
	}
	if p := plan(store.FollowSettings); strings.Contains(p, "JIT:") {
		t.Fatalf("the follow sweep's probe was compiled:\n%s", p)
	}
}
