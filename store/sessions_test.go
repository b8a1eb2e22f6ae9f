package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

func startSession(t *testing.T, s *store.Store, u store.User, id string, at time.Time) []byte {
	t.Helper()
	h := sha256.Sum256([]byte(id))
	if _, err := s.StartSession(context.Background(), store.NewSession{IDHash: h[:], UserID: u.ID, At: at}, nil, store.NewEvent{}); err != nil {
		t.Fatal(err)
	}
	return h[:]
}

// A change of role, password or state ends every session of the user, in
// the change's transaction; other users' sessions stay.
func TestChangesEndSessions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	root := mkUser(t, s, "root", domain.RoleAdmin)
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	now := time.Now()
	keep := startSession(t, s, root, "root-1", now)
	changes := map[string]func() error{
		"role":     func() error { _, err := s.SetRole(ctx, dev.ID, domain.RoleApprover, &root.ID); return err },
		"password": func() error { _, err := s.SetPassword(ctx, dev.ID, "new-hash", &root.ID); return err },
		"disabled": func() error { _, err := s.SetDisabled(ctx, dev.ID, true, &root.ID); return err },
	}
	for name, change := range changes {
		a, b := startSession(t, s, dev, name+"-a", now), startSession(t, s, dev, name+"-b", now)
		if err := change(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, h := range [][]byte{a, b} {
			if _, err := s.SessionByHash(ctx, h); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: a session survived: %v", name, err)
			}
		}
		if _, err := s.SessionByHash(ctx, keep); err != nil {
			t.Errorf("%s: another user's session ended: %v", name, err)
		}
	}
}

// The sweep deletes idle and too old sessions, in bounded passes.
func TestDeleteExpiredSessions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	now := time.Now().Truncate(time.Microsecond)
	for i := range 5 {
		startSession(t, s, dev, "old-"+string(rune('a'+i)), now.Add(-time.Hour))
	}
	fresh := startSession(t, s, dev, "fresh", now)
	n, err := s.DeleteExpiredSessions(ctx, now.Add(-30*time.Minute), now.Add(-12*time.Hour), now, 3)
	if err != nil || n != 3 {
		t.Fatalf("first pass: %d %v", n, err)
	}
	n, err = s.DeleteExpiredSessions(ctx, now.Add(-30*time.Minute), now.Add(-12*time.Hour), now, 3)
	if err != nil || n != 2 {
		t.Fatalf("second pass: %d %v", n, err)
	}
	if _, err := s.SessionByHash(ctx, fresh); err != nil {
		t.Errorf("the fresh session went: %v", err)
	}
}

// A session or token another request is touching is skipped, not waited
// for: the touches of a busy session's requests never queue behind one
// another's commit. Untouched by another, the time is recorded.
func TestTouchesDoNotQueue(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	h := startSession(t, s, dev, "busy", start)
	tok, err := s.CreateToken(ctx, dev.ID, "ci", []byte("token-hash-busy"), time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another request's touch, under way: its transaction holds both rows.
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sessions WHERE id_hash = $1 FOR UPDATE`, h); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM api_tokens WHERE id = $1 FOR UPDATE`, tok.ID); err != nil {
		t.Fatal(err)
	}
	// Waiting would end at this context's deadline with an error.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	now := time.Now()
	if err := s.TouchSession(wctx, h, now); err != nil {
		t.Errorf("touching a session being touched: %v", err)
	}
	if err := s.TouchToken(wctx, tok.ID, now); err != nil {
		t.Errorf("touching a token being touched: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var seen time.Time
	if err := s.Pool().QueryRow(ctx, `SELECT seen_at FROM sessions WHERE id_hash = $1`, h).Scan(&seen); err != nil || !seen.Equal(start) {
		t.Errorf("a skipped touch wrote %v (%v), want it left at %v", seen, err, start)
	}
	if err := s.TouchSession(ctx, h, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT seen_at FROM sessions WHERE id_hash = $1`, h).Scan(&seen); err != nil || seen.Before(now.Add(-time.Second)) {
		t.Errorf("the touch after: seen %v (%v), want %v", seen, err, now)
	}
}
