package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// A submitter is read as UserTeams reads its teams, with the version of
// the policies in force (0 for none) and the user name, for a user in no team, in one and in several.
func TestSubmitterByID(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	mk := func(name string) store.User {
		u, err := s.CreateUser(ctx, name, domain.RoleRequester, "hash", nil)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	alone, one, many := mk("alone"), mk("one"), mk("many")
	search := mkTeam(t, s, "search", ptr(3), ptr(100.0), many)
	mkTeam(t, s, "payments", nil, nil, one, many)

	check := func(u store.User, version int64) {
		t.Helper()
		got, err := s.SubmitterByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		teams, err := s.UserTeams(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		same := slices.EqualFunc(got.Teams, teams, func(a, b domain.Team) bool {
			return a.ID == b.ID && a.Name == b.Name && a.CreatedAt.Equal(b.CreatedAt) &&
				(a.MaxInstances == nil) == (b.MaxInstances == nil) && (a.MaxInstances == nil || *a.MaxInstances == *b.MaxInstances) &&
				(a.MaxMonthlySpend == nil) == (b.MaxMonthlySpend == nil) && (a.MaxMonthlySpend == nil || *a.MaxMonthlySpend == *b.MaxMonthlySpend)
		})
		if got.Username != u.Username || !same || got.PoliciesVersion != version {
			t.Errorf("%s: %+v, want teams %+v and version %d", u.Username, got, teams, version)
		}
	}
	for _, u := range []store.User{alone, one, many} {
		check(u, 0)
	}
	if got, _ := s.SubmitterByID(ctx, many.ID); len(got.Teams) != 2 || got.Teams[1].ID != search.ID {
		t.Errorf("many's teams by name: %+v", got.Teams)
	}
	v, err := s.SavePolicies(ctx, `{"rules": []}`, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.User{alone, one, many} {
		check(u, v.ID)
	}
	if _, err := s.SubmitterByID(ctx, many.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no such user: %v", err)
	}
}
