package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/store"
)

func TestEventFiltersAndKeysetPages(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	appr := mkUser(t, s, "appr", domain.RoleApprover)
	// A few thousand events: 1500 requests, each submitted, half approved.
	if _, err := s.Pool().Exec(ctx, `
		WITH r AS (
			INSERT INTO requests (requester_id, token, instance_class, region_id, charge_type, network_type, instance_type, engine_version, instance_id)
			SELECT $1, 'seed-' || g, $2::text, CASE WHEN g % 3 = 0 THEN 'cn-shanghai' ELSE 'cn-hangzhou' END,
			       'PostPaid', 'Classic', 'Redis', '2.8', CASE WHEN g = 777 THEN 'r-needle' ELSE '' END
			FROM generate_series(1, 1500) g RETURNING id)
		INSERT INTO audit_events (actor_id, action, request_id, at)
		SELECT $1, 'request.submitted', id, now() - interval '1 day' FROM r`, dev.ID, testfix.InstanceClass); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO audit_events (actor_id, action, request_id)
		SELECT $1, 'request.approved', id FROM requests WHERE id % 2 = 0`, appr.ID); err != nil {
		t.Fatal(err)
	}

	count := func(f store.EventFilter) int {
		t.Helper()
		n := 0
		if err := s.EachEvent(ctx, f, func(*store.EventRow) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(store.EventFilter{Action: domain.ActionRequestApproved}); n != 750 {
		t.Fatalf("approved events: %d", n)
	}
	if n := count(store.EventFilter{Actor: "appr"}); n != 750 {
		t.Fatalf("events by appr: %d", n)
	}
	if n := count(store.EventFilter{InstanceID: "r-needle"}); n != 1 {
		t.Fatalf("events of r-needle: %d", n)
	}
	if n := count(store.EventFilter{RegionID: "cn-shanghai", Action: domain.ActionRequestSubmitted}); n != 500 {
		t.Fatalf("shanghai submissions: %d", n)
	}
	if n := count(store.EventFilter{Since: time.Now().Add(-time.Hour)}); n < 750 || n > 760 {
		t.Fatalf("events of the last hour: %d", n)
	}
	if n := count(store.EventFilter{Until: time.Now().Add(-time.Hour), Action: domain.ActionRequestSubmitted}); n != 1500 {
		t.Fatalf("events before an hour ago: %d", n)
	}

	// Walk every page of submissions: no gaps, no repeats, newest first.
	seen := map[int64]bool{}
	var before int64
	last := int64(1 << 62)
	for {
		page, err := s.ListEvents(ctx, store.EventFilter{Action: domain.ActionRequestSubmitted, BeforeID: before, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if seen[e.ID] || e.ID >= last {
				t.Fatalf("event %d out of order or repeated", e.ID)
			}
			seen[e.ID], last = true, e.ID
		}
		before = page[len(page)-1].ID
	}
	if len(seen) != 1500 {
		t.Fatalf("pages held %d events, want 1500", len(seen))
	}
}

// An export of the whole trail allocates nothing per event, so its memory
// stays flat however many there are. (Not parallel: the count is the
// process's.)
func TestEachEventAllocatesNothingPerRow(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	const events = 20000
	if _, err := s.Pool().Exec(ctx, `INSERT INTO audit_events (actor_id, action, details)
		SELECT $1, 'request.submitted', '{"attempt": 1}' FROM generate_series(1, $2::int)`, dev.ID, events); err != nil {
		t.Fatal(err)
	}
	n := 0
	allocs := testing.AllocsPerRun(2, func() {
		if err := s.EachEvent(ctx, store.EventFilter{}, func(r *store.EventRow) error {
			if n++; string(r.Action) == "" {
				t.Error("an event without its action")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	if n < 3*events { // AllocsPerRun runs it once more to warm up
		t.Fatalf("%d rows read", n)
	}
	if allocs > events/100 {
		t.Errorf("%v allocations for %d events: some per row", allocs, events)
	}
}

// The export reads the trail a statement's page at a time: across pages
// every event comes once, newest first, and a limit or a starting point
// holds across them too.
func TestEachEventAcrossPages(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	// Past two of the export's pages, with whatever making the user wrote.
	if _, err := s.Pool().Exec(ctx, `INSERT INTO audit_events (actor_id, action)
		SELECT $1, 'auth.login' FROM generate_series(1, 2*5000 + 17)`, dev.ID); err != nil {
		t.Fatal(err)
	}
	var total, byDev int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE actor_id = $1) FROM audit_events`, dev.ID).
		Scan(&total, &byDev); err != nil {
		t.Fatal(err)
	}
	walk := func(f store.EventFilter) (n int, first, last int64) {
		t.Helper()
		prev := int64(1 << 62)
		err := s.EachEvent(ctx, f, func(e *store.EventRow) error {
			if e.ID >= prev {
				t.Fatalf("event %d after %d: repeated or out of order", e.ID, prev)
			}
			if n == 0 {
				first = e.ID
			}
			n, prev, last = n+1, e.ID, e.ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, first, last
	}
	n, first, last := walk(store.EventFilter{})
	if n != total || first-last != int64(total-1) {
		t.Fatalf("the whole trail: %d events from %d to %d, want %d in a row", n, first, last, total)
	}
	if n, _, _ := walk(store.EventFilter{Limit: 5003}); n != 5003 {
		t.Errorf("a limit past one page: %d events", n)
	}
	if n, _, _ := walk(store.EventFilter{Limit: 5000}); n != 5000 {
		t.Errorf("a limit of one page: %d events", n)
	}
	if n, top, _ := walk(store.EventFilter{BeforeID: first - 99}); n != total-100 || top != first-100 {
		t.Errorf("below an event: %d events from %d", n, top)
	}
	if n, _, _ := walk(store.EventFilter{Actor: "dev"}); n != byDev {
		t.Errorf("an actor's events: %d", n)
	}
}

// An actor's page merges what they did with the sign-ins failed under their
// name, newest first, each half limited on its own: the page holds the
// newest of both, in order, and the other conditions apply to both halves.
func TestActorPageMergesBothHalves(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	// Alternating: the user's own sign-ins and failed ones under the name.
	if _, err := s.Pool().Exec(ctx, `INSERT INTO audit_events (actor_id, action, details)
		SELECT CASE WHEN g % 2 = 0 THEN $1::bigint END,
		       CASE WHEN g % 2 = 0 THEN 'auth.login' ELSE '`+domain.ActionLoginFailed+`' END,
		       jsonb_build_object('username', 'dev')
		FROM generate_series(1, 300) g`, dev.ID); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListEvents(ctx, store.EventFilter{Actor: "dev", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i, e := range page {
		if i > 0 && e.ID != page[i-1].ID-1 {
			t.Fatalf("event %d after %d: the page skips or misorders", e.ID, page[i-1].ID)
		}
		if e.Action == domain.ActionLoginFailed {
			failed++
		}
	}
	if len(page) != 20 || failed != 10 {
		t.Errorf("%d events, %d failed sign-ins; want 20, 10", len(page), failed)
	}
	only, err := s.ListEvents(ctx, store.EventFilter{Actor: "dev", Action: domain.ActionLoginFailed, BeforeID: page[5].ID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(only) != 150-3 || only[0].Action != domain.ActionLoginFailed || only[0].ID >= page[5].ID {
		t.Errorf("failed sign-ins below an event: %d, first %+v", len(only), only[0])
	}
}
