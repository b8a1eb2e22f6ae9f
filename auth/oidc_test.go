package auth

import (
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

func TestUsername(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"jane.doe":             "jane.doe",
		"Jane.Doe@Example.com": "jane.doe-example.com",
		"Zoë Smith":            "zo--smith",
		"__admin":              "admin",
		"":                     "sso-s-123",
		"@@@":                  "sso-s-123",
	} {
		got := Username(name, "s-123")
		if got != want || !store.ValidUsername(got) {
			t.Errorf("Username(%q) = %q, want %q (valid: %v)", name, got, want, store.ValidUsername(got))
		}
	}
	long := Username("a123456789b123456789c123456789d123456789e123456789f123456789g123456789", "x")
	if len(long) > 56 || !store.ValidUsername(long+"-99") {
		t.Errorf("long name %q", long)
	}
}

func TestRoleFromGroups(t *testing.T) {
	t.Parallel()
	o, err := NewOIDC(OIDCConfig{Issuer: "https://idp.example", ClientID: "kv", AdminGroups: []string{"admins"},
		ApproverGroups: []string{"approvers"}, RequesterGroups: []string{"devs", "contractors"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		groups []string
		role   domain.Role
		ok     bool
	}{
		{[]string{"devs", "admins"}, domain.RoleAdmin, true},
		{[]string{"approvers", "contractors"}, domain.RoleApprover, true},
		{[]string{"contractors"}, domain.RoleRequester, true},
		{[]string{"Admins", "marketing"}, "", false},
		{nil, "", false},
	} {
		if role, ok := o.Role(tc.groups); role != tc.role || ok != tc.ok {
			t.Errorf("%v: %q %v", tc.groups, role, ok)
		}
	}
	if got := stringList("one"); len(got) != 1 || got[0] != "one" {
		t.Errorf("a single group as a string: %v", got)
	}
}
