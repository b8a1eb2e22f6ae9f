package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
)

// A table of requests read with ForTable shows exactly what it shows read
// with every column: a field the table comes to show must be added to
// the table's shape (shapeTable in store's requestColumns), or this fails.
func TestListForTableShowsWhatTheFullRowShows(t *testing.T) {
	ctx := context.Background()
	pool := testpg.Pool(t)
	s := store.New(pool)
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	approver := mkUser(t, s, "approver", domain.RoleApprover)
	team, err := s.CreateTeam(ctx, "payments", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"table-pending", "table-made", "table-failed", "table-private"} {
		mkRequest(t, s, dev, tok)
	}
	// Every state's fields, set as the workflow and the provisioner would.
	for _, q := range []string{
		`UPDATE requests SET status = 'succeeded', decided_by = $1, decided_at = now(), finished_at = now(), attempts = 1,
			instance_id = 'r-bp1made', result_name = 'cache-made', instance_status = 'Normal',
			connection_domain = 'r-bp1made.redis.rds.aliyuncs.com', connection_port = 6379, team_id = $2
		 WHERE token = 'table-made'`,
		`UPDATE requests SET status = 'failed', decided_by = $1, decided_at = now(), finished_at = now(), attempts = 3,
			error_code = 'QuotaExceeded', error_message = 'no room', team_id = $2 WHERE token = 'table-failed'`,
		`UPDATE requests SET status = 'succeeded', decided_by = $1, decided_at = now(), finished_at = now(),
			instance_id = 'r-bp1private', instance_status = 'Creating', private_address = '10.0.0.7', connection_port = 6379
		 WHERE token = 'table-private' AND $2::bigint > 0`, // $2 unused but typed
	} {
		if _, err := pool.Exec(ctx, q, approver.ID, team.ID); err != nil {
			t.Fatal(err)
		}
	}
	render := func(rs []domain.Request) string {
		var b bytes.Buffer
		if err := pages.RequestTable(time.Now().Truncate(time.Hour), rs, true).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	full, err := s.ListRequests(ctx, store.RequestFilter{RequesterID: dev.ID})
	if err != nil {
		t.Fatal(err)
	}
	table, err := s.ListRequests(ctx, store.RequestFilter{RequesterID: dev.ID, ForTable: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 4 || len(table) != 4 {
		t.Fatalf("listed %d and %d requests, want 4", len(full), len(table))
	}
	if got, want := render(table), render(full); got != want {
		t.Errorf("the table differs read with ForTable:\n%s\nwith every column:\n%s", got, want)
	}
	// The filters that join other tables work on the narrower row too.
	byTeam, err := s.ListRequests(ctx, store.RequestFilter{Team: "payments", RequesterName: "dev", ForTable: true})
	if err != nil || len(byTeam) != 2 {
		t.Fatalf("by team and requester: %d rows, %v; want 2", len(byTeam), err)
	}
}
