package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
)

func TestMain(m *testing.M) { testpg.Main(m) }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	return store.New(testpg.Pool(t))
}

func mkUser(t *testing.T, s *store.Store, name string, role domain.Role) store.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), name, role, "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mkRequest(t *testing.T, s *store.Store, requester store.User, token string) domain.Request {
	t.Helper()
	r, err := s.CreateRequest(context.Background(), store.NewRequest{RequesterID: requester.ID, Params: testfix.Params(token),
		PasswordSealed: []byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func countEvents(t *testing.T, s *store.Store, requestID int64, action string) int {
	t.Helper()
	evs, err := s.RequestEvents(context.Background(), requestID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == action {
			n++
		}
	}
	return n
}

func TestUsers(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	u := mkUser(t, s, "dev", domain.RoleRequester)
	if _, err := s.CreateUser(ctx, "dev", domain.RoleAdmin, "h", nil); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate user: %v", err)
	}
	got, err := s.UserByUsername(ctx, "dev")
	if err != nil || got.ID != u.ID || got.Role != domain.RoleRequester {
		t.Fatalf("by name: %+v %v", got, err)
	}
	if _, err := s.UserByUsername(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if _, err := s.CreateUser(ctx, "Bad Name", domain.RoleAdmin, "h", nil); err == nil {
		t.Fatal("username format not enforced")
	}
}

func TestCreateRequestWritesEventAndKeepsTokenUnique(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	r := mkRequest(t, s, dev, "tok-1")
	if r.Status != domain.StatusPendingApproval || !r.PasswordSet || r.RequesterName != "dev" {
		t.Fatalf("unexpected request %+v", r)
	}
	if countEvents(t, s, r.ID, domain.ActionRequestSubmitted) != 1 {
		t.Fatal("submitted event missing")
	}
	_, err := s.CreateRequest(context.Background(), store.NewRequest{RequesterID: dev.ID, Params: domain.Params{
		InstanceClass: "c", RegionId: "r", ChargeType: "PostPaid", NetworkType: "Classic", InstanceType: "Redis", EngineVersion: "2.8", Token: "tok-1"}})
	if !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("reused token: %v", err)
	}
}

func TestDecisionsFollowTheStateMachine(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	appr := mkUser(t, s, "appr", domain.RoleApprover)

	r := mkRequest(t, s, dev, "t1")
	if _, err := s.MoveApproved(ctx, r.ID, dev.ID, nil); !errors.Is(err, store.ErrOwnRequest) {
		t.Fatalf("own approval: %v", err)
	}
	if _, err := s.MoveRejected(ctx, r.ID, dev.ID, "mine"); !errors.Is(err, store.ErrOwnRequest) {
		t.Fatalf("own rejection: %v", err)
	}
	if n := countEvents(t, s, r.ID, domain.ActionRequestApproved) + countEvents(t, s, r.ID, domain.ActionRequestRejected); n != 0 {
		t.Fatalf("refused decisions left %d events", n)
	}
	got, err := s.MoveApproved(ctx, r.ID, appr.ID, nil)
	if err != nil || got.Status != domain.StatusApproved || got.DeciderName != "appr" {
		t.Fatalf("approve: %+v %v", got, err)
	}
	_, err = s.MoveRejected(ctx, r.ID, appr.ID, "late")
	var se *domain.StateError
	if !errors.As(err, &se) || se.Current.Status != domain.StatusApproved || se.Current.DeciderName != "appr" {
		t.Fatalf("reject after approve: %v", err)
	}

	r2 := mkRequest(t, s, dev, "t2")
	if _, err := s.MoveCancelled(ctx, r2.ID, appr.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancel by another: %v", err)
	}
	c, err := s.MoveCancelled(ctx, r2.ID, dev.ID)
	if err != nil || c.Status != domain.StatusCancelled || c.PasswordSet != true || c.FinishedAt == nil {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	if _, err := s.MoveApproved(ctx, r2.ID, appr.ID, nil); !errors.Is(err, domain.ErrStateChanged) {
		t.Fatalf("approve a cancelled request: %v", err)
	}
	var sealed []byte
	if err := s.Pool().QueryRow(ctx, "SELECT password_sealed FROM requests WHERE id = $1", r2.ID).Scan(&sealed); err != nil || sealed != nil {
		t.Fatalf("password not erased at a terminal state: %v %v", sealed, err)
	}
}

func TestConcurrentDecisionsOneWins(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	a1 := mkUser(t, s, "a1", domain.RoleApprover)
	a2 := mkUser(t, s, "a2", domain.RoleAdmin)
	for i := 0; i < 20; i++ {
		r := mkRequest(t, s, dev, "race-"+string(rune('a'+i)))
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Add(3)
		go func() { defer wg.Done(); _, errs[0] = s.MoveApproved(ctx, r.ID, a1.ID, nil) }()
		go func() { defer wg.Done(); _, errs[1] = s.MoveRejected(ctx, r.ID, a2.ID, "no") }()
		go func() { defer wg.Done(); _, errs[2] = s.MoveCancelled(ctx, r.ID, dev.ID) }()
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if !errors.Is(err, domain.ErrStateChanged) {
				t.Fatalf("unexpected error: %v", err)
			}
		}
		decisions := countEvents(t, s, r.ID, domain.ActionRequestApproved) + countEvents(t, s, r.ID, domain.ActionRequestRejected) +
			countEvents(t, s, r.ID, domain.ActionRequestCancelled)
		if wins != 1 || decisions != 1 {
			t.Fatalf("round %d: %d winners, %d decision events", i, wins, decisions)
		}
	}
}

func TestAuditTrailIsAppendOnly(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	mkUser(t, s, "dev", domain.RoleRequester)
	for _, q := range []string{"UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events CASCADE"} {
		if _, err := s.Pool().Exec(ctx, q); err == nil {
			t.Errorf("%s was allowed", q)
		}
	}
}

// Failed sign-ins count by typed username (reset by that user's successful
// sign-in) and by client address.
func TestLoginFailures(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	since := time.Now().Add(-time.Hour)
	record := func(action, username, address string) {
		t.Helper()
		if err := s.RecordEvent(ctx, store.NewEvent{Action: action,
			Details: domain.Details{"username": username, "address": address}}); err != nil {
			t.Fatal(err)
		}
	}
	record(domain.ActionLoginFailed, "dev", "10.0.0.1")
	record(domain.ActionLoginFailed, "dev", "10.0.0.2")
	record(domain.ActionLogin, "dev", "10.0.0.1")
	record(domain.ActionLoginFailed, "dev", "10.0.0.1")
	record(domain.ActionLoginFailed, "ops", "10.0.0.1")
	byUser, byAddress, err := s.LoginFailures(ctx, "dev", "10.0.0.1", since)
	if err != nil || byUser != 1 || byAddress != 3 {
		t.Fatalf("dev from 10.0.0.1: %d by user, %d by address (%v); want 1, 3", byUser, byAddress, err)
	}
	if byUser, byAddress, err = s.LoginFailures(ctx, "ops", "10.0.0.2", since); err != nil || byUser != 1 || byAddress != 1 {
		t.Fatalf("ops from 10.0.0.2: %d, %d (%v); want 1, 1", byUser, byAddress, err)
	}
	if byUser, byAddress, err = s.LoginFailures(ctx, "dev", "10.0.0.1", time.Now().Add(time.Minute)); err != nil || byUser != 0 || byAddress != 0 {
		t.Fatalf("after since: %d, %d (%v)", byUser, byAddress, err)
	}
}
