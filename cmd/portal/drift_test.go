package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
)

// portal drift against the built-in simulator: nothing to report is exit
// status 0 and no output; an instance the cloud does not have is one line,
// its InstanceId first, and exit status 1.
func TestDriftCommand(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	out, err := runCLI(t, url, "", "drift")
	if err != nil || out != "" {
		t.Fatalf("no instances: %q %v", out, err)
	}

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)
	u, err := st.CreateUser(ctx, "dev", domain.RoleRequester, "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.CreateRequest(ctx, store.NewRequest{RequesterID: u.ID, Params: domain.Params{
		InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou", ChargeType: "PostPaid",
		NetworkType: "Classic", InstanceType: "Redis", EngineVersion: "4.0", Token: "tok-gone"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE requests SET status = 'succeeded', instance_id = 'r-gone', instance_status = 'Normal'
		WHERE id = $1`, r.ID); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, url, "", "drift")
	if !errors.Is(err, errDrift) {
		t.Fatalf("drift: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "r-gone missing in the cloud") {
		t.Errorf("output %q", out)
	}
	if _, err := runCLI(t, url, "", "drift", "extra"); !errors.Is(err, errUsage) {
		t.Errorf("an argument: %v", err)
	}
}
