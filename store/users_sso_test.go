package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// A person of the identity provider is created once, under a free name
// (never a local user's), and given the role of their groups at each
// sign-in, which ends their sessions when it changes.
func TestUpsertSSOUser(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	local := mkUser(t, s, "ann", domain.RoleAdmin)
	in := store.SSOUser{Issuer: "https://idp.example", Subject: "42", Username: "ann", Role: domain.RoleApprover}
	u, err := s.UpsertSSOUser(ctx, in)
	if err != nil || u.Username != "ann-2" || u.Role != domain.RoleApprover || u.ID == local.ID || u.PasswordHash != "" {
		t.Fatalf("first sign-in: %+v %v", u, err)
	}
	same, err := s.UpsertSSOUser(ctx, in)
	if err != nil || same.ID != u.ID {
		t.Fatalf("second sign-in: %+v %v", same, err)
	}
	session := startSession(t, s, u, "sso-1", time.Now())
	in.Role = domain.RoleRequester
	if u, err = s.UpsertSSOUser(ctx, in); err != nil || u.Role != domain.RoleRequester {
		t.Fatalf("demotion: %+v %v", u, err)
	}
	if _, err := s.SessionByHash(ctx, session); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session survived the demotion: %v", err)
	}
	// Another issuer's subject 42 is another person.
	other, err := s.UpsertSSOUser(ctx, store.SSOUser{Issuer: "https://other.example", Subject: "42", Username: "ann", Role: domain.RoleRequester})
	if err != nil || other.ID == u.ID || other.Username != "ann-3" {
		t.Errorf("other issuer: %+v %v", other, err)
	}
	// Refused later (no mapped group): their sessions end, the event says why.
	session = startSession(t, s, u, "sso-2", time.Now())
	if err := s.RefuseSSO(ctx, in.Issuer, in.Subject, domain.Details{"username": "ann", "reason": "no_mapped_group"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByHash(ctx, session); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session survived the refusal: %v", err)
	}
}

// A sign-on's stored state is taken once.
func TestSSOFlowOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	f := store.SSOFlow{StateHash: []byte("state-hash"), BindingHash: []byte("binding"), Nonce: "n", Verifier: "v",
		Next: "/approvals", CreatedAt: time.Now().Truncate(time.Microsecond)}
	if err := s.StartSSOFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, err := s.TakeSSOFlow(ctx, f.StateHash)
	if err != nil || got.Nonce != "n" || got.Verifier != "v" || got.Next != "/approvals" || !got.CreatedAt.Equal(f.CreatedAt) {
		t.Fatalf("take: %+v %v", got, err)
	}
	if _, err := s.TakeSSOFlow(ctx, f.StateHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("taken twice: %v", err)
	}
}
