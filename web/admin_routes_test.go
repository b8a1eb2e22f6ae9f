package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// The teams and policies pages are the admins': others get 403, visitors
// are sent to sign in, and a POST without the CSRF token changes nothing.
func TestTeamsAndPoliciesAdminOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGate(0.1))
	appr, _ := e.signedIn("ann", domain.RoleApprover)
	admin, _ := e.signedIn("adm", domain.RoleAdmin)
	anon := e.client()
	for _, path := range []string{"/admin/teams", "/admin/policies"} {
		if r := appr.get(path); r.status != http.StatusForbidden {
			t.Errorf("approver GET %s: %d", path, r.status)
		}
		if r := anon.get(path); r.status != http.StatusSeeOther {
			t.Errorf("visitor GET %s: %d", path, r.status)
		}
		if r := appr.post(path, url.Values{"name": {"x"}, "document": {`{"rules": []}`}, "action": {"save"}}); r.status != http.StatusForbidden {
			t.Errorf("approver POST %s: %d", path, r.status)
		}
		if r := admin.postRaw(path, url.Values{"name": {"x"}, "document": {`{"rules": []}`}, "action": {"save"}}.Encode()); r.status != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d", path, r.status)
		}
	}
	if teams, _ := e.st.Teams(context.Background()); len(teams) != 0 {
		t.Errorf("%d teams created by refused posts", len(teams))
	}
	if id, _ := e.st.CurrentPoliciesID(context.Background()); id != 0 {
		t.Errorf("policies saved by refused posts")
	}
}

// Every admin route refuses requesters and approvers (403) and sends
// visitors to sign in; admins get their pages.
func TestAdminRouteRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev := e.user("owner", domain.RoleRequester)
	appr := e.user("decider", domain.RoleApprover)
	clients := map[string]*client{"anonymous": e.client()}
	clients["requester"], _ = e.signedIn("req", domain.RoleRequester)
	clients["approver"], _ = e.signedIn("appr", domain.RoleApprover)
	var adm store.User
	clients["admin"], adm = e.signedIn("adm", domain.RoleAdmin)
	e.user("adm2", domain.RoleAdmin) // so that changes to adm are allowed
	clients["anonymous"].get("/login")
	routes := []struct {
		method, path string
		form         url.Values
		admin        int
	}{
		{"GET", "/audit", nil, 200},
		{"GET", "/audit?action=request.approved", nil, 200},
		{"GET", "/audit/export.csv", nil, 200},
		{"GET", "/admin/requests", nil, 200},
		{"GET", "/admin/users", nil, 200},
		{"POST", "/admin/users", url.Values{"username": {"newbie{n}"}, "role": {"requester"}}, 303},
		{"POST", "/admin/users/{user}/role", url.Values{"role": {"approver"}}, 303},
		{"POST", "/admin/users/{user}/disable", nil, 303},
		{"POST", "/admin/users/{user}/enable", nil, 303},
		{"POST", "/admin/users/{user}/sessions/end", nil, 303},
		{"POST", "/requests/{failed}/requeue", nil, 303},
	}
	n := 0
	for _, rt := range routes {
		for _, role := range []string{"anonymous", "requester", "approver", "admin"} {
			n++
			target := e.user("target"+itoa(int64(n)), domain.RoleRequester)
			failed := e.failedRequest(dev, appr)
			path := strings.NewReplacer("{user}", itoa(target.ID), "{failed}", itoa(failed.ID)).Replace(rt.path)
			form := url.Values{}
			for k, v := range rt.form {
				form[k] = []string{strings.ReplaceAll(v[0], "{n}", itoa(int64(n)))}
			}
			before := e.countAllEvents()
			c := clients[role]
			var r *response
			if rt.method == "GET" {
				r = c.get(path)
			} else {
				r = c.post(path, form)
			}
			want := map[string]int{"anonymous": 303, "requester": 403, "approver": 403, "admin": rt.admin}[role]
			if r.status != want {
				t.Errorf("%s %s as %s: %d, want %d", rt.method, rt.path, role, r.status, want)
			}
			if role == "anonymous" && !strings.HasPrefix(r.location(), "/login") {
				t.Errorf("%s %s as anonymous: to %q", rt.method, rt.path, r.location())
			}
			if role != "admin" && e.countAllEvents() != before {
				t.Errorf("%s %s as %s: refused but an event was written", rt.method, rt.path, role)
			}
			if role != "admin" {
				if cur, _ := e.st.Request(context.Background(), failed.ID); cur.Status != domain.StatusFailed {
					t.Errorf("%s %s as %s: request moved to %s", rt.method, rt.path, role, cur.Status)
				}
			}
		}
	}
	// Without the CSRF token, no admin POST does anything.
	target := e.user("csrf-target", domain.RoleRequester)
	failed := e.failedRequest(dev, appr)
	before := e.countAllEvents()
	for _, path := range []string{"/admin/users", "/admin/users/" + itoa(target.ID) + "/role",
		"/admin/users/" + itoa(target.ID) + "/disable", "/admin/users/" + itoa(adm.ID) + "/enable",
		"/requests/" + itoa(failed.ID) + "/requeue"} {
		if r := clients["admin"].postRaw(path, "username=x&role=admin"); r.status != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d", path, r.status)
		}
	}
	if e.countAllEvents() != before {
		t.Error("a POST without CSRF token wrote an event")
	}
}
