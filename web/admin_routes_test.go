package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// The teams and policies pages are the admins': others get 403, visitors
// are sent to sign in, and a POST without the CSRF token changes nothing.
func TestTeamsAndPoliciesAdminOnly(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithGate(0.1))
	appr, _ := e.SignedIn("ann", domain.RoleApprover)
	admin, _ := e.SignedIn("adm", domain.RoleAdmin)
	anon := e.Client()
	for _, path := range []string{"/admin/teams", "/admin/policies"} {
		if r := appr.Get(path); r.Status != http.StatusForbidden {
			t.Errorf("approver GET %s: %d", path, r.Status)
		}
		if r := anon.Get(path); r.Status != http.StatusSeeOther {
			t.Errorf("visitor GET %s: %d", path, r.Status)
		}
		if r := appr.Post(path, url.Values{"name": {"x"}, "document": {`{"rules": []}`}, "action": {"save"}}); r.Status != http.StatusForbidden {
			t.Errorf("approver POST %s: %d", path, r.Status)
		}
		if r := admin.PostRaw(path, url.Values{"name": {"x"}, "document": {`{"rules": []}`}, "action": {"save"}}.Encode()); r.Status != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d", path, r.Status)
		}
	}
	if teams, _ := e.St.Teams(context.Background()); len(teams) != 0 {
		t.Errorf("%d teams created by refused posts", len(teams))
	}
	if _, err := e.St.CurrentPolicies(context.Background()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("policies saved by refused posts")
	}
}

// Every admin route refuses requesters and approvers (403) and sends
// visitors to sign in; admins get their pages.
func TestAdminRouteRoles(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev := e.User("owner", domain.RoleRequester)
	appr := e.User("decider", domain.RoleApprover)
	clients := map[string]*webtest.Client{"anonymous": e.Client()}
	clients["requester"], _ = e.SignedIn("req", domain.RoleRequester)
	clients["approver"], _ = e.SignedIn("appr", domain.RoleApprover)
	var adm store.User
	clients["admin"], adm = e.SignedIn("adm", domain.RoleAdmin)
	e.User("adm2", domain.RoleAdmin) // so that changes to adm are allowed
	clients["anonymous"].Get("/login")
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
			target := e.User("target"+webtest.Itoa(int64(n)), domain.RoleRequester)
			failed := e.FailedRequest(dev, appr)
			path := strings.NewReplacer("{user}", webtest.Itoa(target.ID), "{failed}", webtest.Itoa(failed.ID)).Replace(rt.path)
			form := url.Values{}
			for k, v := range rt.form {
				form[k] = []string{strings.ReplaceAll(v[0], "{n}", webtest.Itoa(int64(n)))}
			}
			before := e.CountAllEvents()
			c := clients[role]
			var r *webtest.Response
			if rt.method == "GET" {
				r = c.Get(path)
			} else {
				r = c.Post(path, form)
			}
			want := map[string]int{"anonymous": 303, "requester": 403, "approver": 403, "admin": rt.admin}[role]
			if r.Status != want {
				t.Errorf("%s %s as %s: %d, want %d", rt.method, rt.path, role, r.Status, want)
			}
			if role == "anonymous" && !strings.HasPrefix(r.Location(), "/login") {
				t.Errorf("%s %s as anonymous: to %q", rt.method, rt.path, r.Location())
			}
			if role != "admin" && e.CountAllEvents() != before {
				t.Errorf("%s %s as %s: refused but an event was written", rt.method, rt.path, role)
			}
			if role != "admin" {
				if cur, _ := e.St.Request(context.Background(), failed.ID); cur.Status != domain.StatusFailed {
					t.Errorf("%s %s as %s: request moved to %s", rt.method, rt.path, role, cur.Status)
				}
			}
		}
	}
	// Without the CSRF token, no admin POST does anything.
	target := e.User("csrf-target", domain.RoleRequester)
	failed := e.FailedRequest(dev, appr)
	before := e.CountAllEvents()
	for _, path := range []string{"/admin/users", "/admin/users/" + webtest.Itoa(target.ID) + "/role",
		"/admin/users/" + webtest.Itoa(target.ID) + "/disable", "/admin/users/" + webtest.Itoa(adm.ID) + "/enable",
		"/requests/" + webtest.Itoa(failed.ID) + "/requeue"} {
		if r := clients["admin"].PostRaw(path, "username=x&role=admin"); r.Status != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d", path, r.Status)
		}
	}
	if e.CountAllEvents() != before {
		t.Error("a POST without CSRF token wrote an event")
	}
}
