package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

func TestRoleAndDisableRules(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	root := mkUser(t, s, "root", domain.RoleAdmin)
	dev := mkUser(t, s, "dev", domain.RoleRequester)

	if _, err := s.SetDisabled(ctx, root.ID, true, &root.ID); !errors.Is(err, store.ErrSelf) {
		t.Fatalf("self-disable: %v", err)
	}
	if _, err := s.SetRole(ctx, root.ID, domain.RoleApprover, &root.ID); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("demote the last admin: %v", err)
	}
	u, err := s.SetRole(ctx, dev.ID, domain.RoleApprover, &root.ID)
	if err != nil || u.Role != domain.RoleApprover {
		t.Fatalf("promote: %+v %v", u, err)
	}
	u, err = s.SetDisabled(ctx, dev.ID, true, &root.ID)
	if err != nil || !u.Disabled {
		t.Fatalf("disable: %+v %v", u, err)
	}
	evs, err := s.ListEvents(ctx, store.EventFilter{Actor: "root"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if len(actions) != 2 || actions[0] != domain.ActionUserDisabled || actions[1] != domain.ActionUserRoleChanged {
		t.Fatalf("events by root: %v", actions)
	}
}

// Two admins demoting each other at once: one stays admin.
func TestLastAdminUnderRace(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		a := mkUser(t, s, "a"+string(rune('a'+round)), domain.RoleAdmin)
		b := mkUser(t, s, "b"+string(rune('a'+round)), domain.RoleAdmin)
		// Leave only a and b as enabled admins.
		if _, err := s.Pool().Exec(ctx, `UPDATE users SET disabled = true WHERE role = 'admin' AND id NOT IN ($1, $2)`, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { defer wg.Done(); _, errs[0] = s.SetRole(ctx, b.ID, domain.RoleRequester, &a.ID) }()
		go func() { defer wg.Done(); _, errs[1] = s.SetDisabled(ctx, a.ID, true, &b.ID) }()
		wg.Wait()
		var admins int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled`).Scan(&admins); err != nil {
			t.Fatal(err)
		}
		if admins != 1 {
			t.Fatalf("round %d: %d enabled admins left (errors %v)", round, admins, errs)
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, store.ErrLastAdmin) {
				t.Fatalf("unexpected error: %v", err)
			}
		}
	}
}
