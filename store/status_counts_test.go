package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// The counts the metrics read are kept by the moves themselves: after
// submissions and decisions made concurrently on several
// connections, they are what counting the table says.
func TestStatusCountsFollowEveryMove(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev, appr := mkUser(t, s, "dev", domain.RoleRequester), mkUser(t, s, "appr", domain.RoleApprover)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 6 {
				r := mkRequest(t, s, dev, fmt.Sprintf("t-count-%d-%d", w, i))
				var err error
				switch i % 3 {
				case 0:
					_, err = s.MoveApproved(ctx, r.ID, appr.ID, nil)
				case 1:
					_, err = s.MoveRejected(ctx, r.ID, appr.ID, "no")
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	// A status written without a move of the state machine is counted too.
	if _, err := s.Pool().Exec(ctx, `UPDATE requests SET status = 'cancelled'
		WHERE id = (SELECT min(id) FROM requests WHERE status = 'pending_approval')`); err != nil {
		t.Fatal(err)
	}
	stats, err := s.ProvisioningStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Pool().Query(ctx, `SELECT status, count(*) FROM requests GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[domain.Status]int{}
	for rows.Next() {
		var st domain.Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			t.Fatal(err)
		}
		want[st] = n
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if want[domain.StatusApproved] != 8 || want[domain.StatusRejected] != 8 || want[domain.StatusCancelled] != 1 {
		t.Fatalf("the moves did not happen as planned: %v", want)
	}
	for _, st := range domain.Statuses() {
		if stats.ByStatus[st] != want[st] {
			t.Errorf("%s: counted %d, the table has %d", st, stats.ByStatus[st], want[st])
		}
	}
	if stats.OldestApproved.IsZero() {
		t.Error("no oldest approved request although eight are approved")
	}
}
