package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/store"
)

// The admin's list of every request: by requester name, submission time,
// status, region, type and InstanceId, in keyset pages.
func TestRequestFiltersForAdmins(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	ops := mkUser(t, s, "ops.team", domain.RoleRequester)
	// 300 requests of dev, ten days old, and 200 of ops.team from today.
	if _, err := s.Pool().Exec(ctx, `
		INSERT INTO requests (requester_id, token, instance_class, region_id, charge_type, network_type,
			instance_type, engine_version, status, instance_id, created_at)
		SELECT CASE WHEN g <= 300 THEN $1::bigint ELSE $2::bigint END, 'seed-' || g, $3::text,
			CASE WHEN g % 2 = 0 THEN 'cn-shanghai' ELSE 'cn-hangzhou' END, 'PostPaid', 'Classic',
			CASE WHEN g % 5 = 0 THEN 'Memcache' ELSE 'Redis' END, '2.8',
			CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END,
			'r-' || g, CASE WHEN g <= 300 THEN now() - interval '10 days' ELSE now() END
		FROM generate_series(1, 500) g`, dev.ID, ops.ID, testfix.InstanceClass); err != nil {
		t.Fatal(err)
	}
	all := func(f store.RequestFilter) []domain.Request {
		t.Helper()
		var out []domain.Request
		f.Limit = 70
		for {
			page, err := s.ListRequests(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range page {
				if (i > 0 && r.ID >= page[i-1].ID) || (len(out) > 0 && r.ID >= out[len(out)-1].ID) {
					t.Fatalf("request %d out of order", r.ID)
				}
			}
			out = append(out, page...)
			if len(page) < f.Limit {
				return out
			}
			f.BeforeID = page[len(page)-1].ID
		}
	}
	now := time.Now()
	cases := []struct {
		name string
		f    store.RequestFilter
		want int
	}{
		{"everything", store.RequestFilter{}, 500},
		{"by requester name", store.RequestFilter{RequesterName: "ops.team"}, 200},
		{"unknown requester", store.RequestFilter{RequesterName: "nobody"}, 0},
		{"since yesterday", store.RequestFilter{Since: now.Add(-24 * time.Hour)}, 200},
		{"until yesterday", store.RequestFilter{Until: now.Add(-24 * time.Hour)}, 300},
		{"a window", store.RequestFilter{Since: now.Add(-11 * 24 * time.Hour), Until: now.Add(-9 * 24 * time.Hour)}, 300},
		{"failed of dev", store.RequestFilter{RequesterName: "dev", Status: domain.StatusFailed}, 30},
		{"memcache in shanghai", store.RequestFilter{InstanceType: "Memcache", RegionID: "cn-shanghai"}, 50},
		{"by InstanceId", store.RequestFilter{InstanceID: "r-420"}, 1},
	}
	for _, tc := range cases {
		if got := all(tc.f); len(got) != tc.want {
			t.Errorf("%s: %d requests, want %d", tc.name, len(got), tc.want)
		}
	}
	if got := all(store.RequestFilter{InstanceID: "r-420"}); len(got) == 1 && got[0].RequesterName != "ops.team" {
		t.Errorf("r-420 requested by %q", got[0].RequesterName)
	}
}

func TestUsernameRule(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"dev": true, "a": true, "ops.team_1-x": true, "0day": true, string(make([]byte, 65)): false,
		"": false, "Dev": false, ".dev": false, "-dev": false, "de v": false, "dév": false, "a,b": false, "=a": false,
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl":  true,
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm": false,
	} {
		if store.ValidUsername(name) != ok {
			t.Errorf("ValidUsername(%q) = %v", name, !ok)
		}
	}
}

// The approvals queue reads its rows and the top bar's count in one
// statement: the count is CountPending's on every page, past the last
// pending request too, and leaves out the viewer's own requests.
func TestPendingRequestsCarriesTheViewersCount(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	lead := mkUser(t, s, "lead", domain.RoleApprover)
	var last int64
	for i, who := range []store.User{dev, dev, lead, dev} {
		last = mkRequest(t, s, who, fmt.Sprintf("kvp-pending-%d", i)).ID
	}
	for _, tc := range []struct {
		viewer        store.User
		after         int64
		rows, waiting int
	}{
		{lead, 0, 4, 3},
		{dev, 0, 4, 1},
		{lead, last, 0, 3},
		{dev, last, 0, 1},
	} {
		rs, waiting, err := s.PendingRequests(ctx, tc.viewer.ID, tc.after, 50)
		if err != nil || len(rs) != tc.rows || waiting != tc.waiting {
			t.Fatalf("%s after %d: %d rows, %d waiting, %v; want %d, %d", tc.viewer.Username, tc.after, len(rs), waiting, err, tc.rows, tc.waiting)
		}
		if n, err := s.CountPending(ctx, tc.viewer.ID); err != nil || n != waiting {
			t.Fatalf("CountPending for %s: %d, %v; the queue said %d", tc.viewer.Username, n, err, waiting)
		}
	}
}
