package handlers_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// An instance's page is for those who look after it: its owner, its
// team's members, approvers and admins; anyone else gets not found, as for
// a request. It shows the instance as it is now and its requests.
func TestInstancePageAccess(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	mate, mateUser := e.SignedIn("mate", domain.RoleRequester)
	other, _ := e.SignedIn("other", domain.RoleRequester)
	boss, bossUser := e.SignedIn("boss", domain.RoleApprover)
	team := e.Team("payments", nil, nil, devUser, mateUser)
	in := e.Instance(devUser, bossUser, &team, "r-page")

	for name, c := range map[string]*webtest.Client{"owner": dev, "team mate": mate, "approver": boss} {
		page := c.Get("/instances/r-page")
		if page.Status != http.StatusOK {
			t.Fatalf("%s: %d", name, page.Status)
		}
		doc := page.Doc
		if got := doc.Find(`[data-param="InstanceClass"]`).Text(); got == "" || got[:len(in.InstanceClass)] != in.InstanceClass {
			t.Errorf("%s: class %q", name, got)
		}
		if v, _ := doc.Find("input#instance-address").Attr("value"); v != "r-page.redis.example:6379" {
			t.Errorf("%s: address %q", name, v)
		}
		if got := doc.Find(`.page-head [data-testid="team"]`).Text(); got != "payments" {
			t.Errorf("%s: team %q", name, got)
		}
		if got := doc.Find(`[data-testid="owner"]`).Text(); got != "dev" {
			t.Errorf("%s: owner %q", name, got)
		}
		if got := doc.Find(`[data-testid="requests"] tr[data-request-id]`).AttrOr("data-request-id", ""); got != webtest.Itoa(in.RequestID) {
			t.Errorf("%s: requests %q", name, got)
		}
		if got := doc.Find(`[data-param="Tags"]`).Text(); got != "kvportal:request="+webtest.Itoa(in.RequestID)+", kvportal:team=payments" {
			t.Errorf("%s: tags %q", name, got)
		}
	}
	// A resize ordered for the maintenance window is shown beside the
	// class, with the request that ordered it; the class stays as it runs.
	if _, err := e.St.Pool().Exec(context.Background(), `UPDATE instances SET scheduled_class = 'redis.master.mid.default',
		scheduled_by = request_id WHERE instance_id = 'r-page'`); err != nil {
		t.Fatal(err)
	}
	doc := dev.Get("/instances/r-page").Doc
	if got := doc.Find(`[data-testid="scheduled-class"]`).Text(); !strings.Contains(got, "redis.master.mid.default") ||
		!strings.Contains(got, "maintenance window") {
		t.Errorf("the resize ordered: %q", got)
	}
	if href := doc.Find(`[data-testid="scheduled-class"] a`).AttrOr("href", ""); href != "/requests/"+webtest.Itoa(in.RequestID) {
		t.Errorf("the ordering request's link: %q", href)
	}
	if got := doc.Find(`[data-param="InstanceClass"]`).Text(); !strings.HasPrefix(got, in.InstanceClass) {
		t.Errorf("the class while a resize waits: %q", got)
	}
	// The lease and the subscription's end read as words: how far off,
	// then the exact time, once each.
	if _, err := e.St.Pool().Exec(context.Background(), `UPDATE instances SET release_after = now() + interval '30 days 1 hour',
		end_time = now() + interval '90 days 1 hour' WHERE instance_id = 'r-page'`); err != nil {
		t.Fatal(err)
	}
	doc = dev.Get("/instances/r-page").Doc
	lease := strings.Join(strings.Fields(doc.Find(`[data-param="ReleaseAfter"]`).Text()), " ")
	if !regexp.MustCompile(`^released in 30 days · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`).MatchString(lease) {
		t.Errorf("the lease line: %q", lease)
	}
	ends := strings.Join(strings.Fields(doc.Find(`[data-param="EndTime"]`).Text()), " ")
	if !regexp.MustCompile(`^in \d+ (days|months) · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`).MatchString(ends) {
		t.Errorf("the end line: %q", ends)
	}
	row := dev.Get("/instances").Doc.Find(`tr[data-instance-id="r-page"]`)
	if got := row.Find(`[data-testid="scheduled-class"]`).Text(); !strings.Contains(got, "redis.master.mid.default") {
		t.Errorf("the list's row while a resize waits: %q", got)
	}
	for _, path := range []string{"/instances/r-page", "/instances/r-none", "/instances/%00"} {
		if r := other.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("%s for someone else: %d", path, r.Status)
		}
	}
}

// My instances holds the viewer's and their teams' instances; an admin's
// list holds every one, filtered by team, region and status, a bad filter
// beside its field.
func TestInstanceLists(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	_, mateUser := e.SignedIn("mate", domain.RoleRequester)
	_, otherUser := e.SignedIn("other", domain.RoleRequester)
	admin, _ := e.SignedIn("root", domain.RoleAdmin)
	bossUser := e.User("boss", domain.RoleApprover)
	team := e.Team("payments", nil, nil, devUser, mateUser)
	e.Instance(mateUser, bossUser, &team, "r-team")
	e.Instance(devUser, bossUser, nil, "r-own")
	e.Instance(otherUser, bossUser, nil, "r-else")

	rows := func(c *webtest.Client, path string) []string {
		t.Helper()
		r := c.Get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.Status)
		}
		var ids []string
		r.Doc.Find(`[data-testid="instances"] tr[data-instance-id]`).Each(func(_ int, s *goquery.Selection) {
			ids = append(ids, s.AttrOr("data-instance-id", ""))
		})
		return ids
	}
	if got := rows(dev, "/instances"); len(got) != 2 || got[0] != "r-own" || got[1] != "r-team" {
		t.Errorf("dev's list: %v", got)
	}
	if got := rows(admin, "/instances"); len(got) != 3 {
		t.Errorf("admin's list: %v", got)
	}
	if got := rows(admin, "/instances?team=payments"); len(got) != 1 || got[0] != "r-team" {
		t.Errorf("admin's list of payments: %v", got)
	}
	if got := rows(admin, "/instances?status=Normal&region=cn-hangzhou"); len(got) != 3 {
		t.Errorf("admin's list of Normal: %v", got)
	}
	bad := admin.Get("/instances?team=%20Bad%20Name")
	if bad.Status != http.StatusUnprocessableEntity || bad.Doc.Find(`#f-team[aria-describedby="err-team"]`).Length() != 1 {
		t.Errorf("a bad filter: %d\n%s", bad.Status, bad.Body)
	}
	// A requester's list has no filters: theirs and their teams' only.
	if got := rows(dev, "/instances?team=nobody"); len(got) != 2 {
		t.Errorf("dev's list ignores filters: %v", got)
	}
}
