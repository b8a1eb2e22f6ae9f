package handlers_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

func TestTeamsPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithGate(0.1))
	admin, _ := e.SignedIn("adm", domain.RoleAdmin)
	dev := e.User("dev", domain.RoleRequester)

	if got := admin.Flash(admin.Post("/admin/teams", url.Values{"name": {"payments"}, "max_instances": {"1"}, "max_monthly_spend": {""}})); got != "Team payments added" {
		t.Errorf("add: %q", got)
	}
	r := admin.Post("/admin/teams", url.Values{"name": {"payments"}, "max_instances": {"x"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc.Find("#err-name").Text(), "is taken") && !strings.Contains(r.Doc.Find("#err-max_instances").Text(), "whole number") {
		t.Errorf("bad add: %d", r.Status)
	}
	if got := r.Doc.Find("#f-max_instances").AttrOr("aria-invalid", ""); got != "true" {
		t.Errorf("bad limit not marked invalid: %q", got)
	}
	team, err := e.St.TeamByName(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	id := webtest.Itoa(team.ID)
	if got := admin.Flash(admin.Post("/admin/teams/"+id+"/members", url.Values{"username": {"dev"}})); got != "dev added to payments" {
		t.Errorf("add member: %q", got)
	}
	r = admin.Post("/admin/teams/"+id+"/members", url.Values{"username": {"nobody"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc.Find("#err-member-"+id).Text(), "is not a user") {
		t.Errorf("unknown member: %d", r.Status)
	}
	e.Request(dev) // no team: counts nowhere
	c := e.Client()
	c.Login("dev")
	if r := c.Post("/requests", webtest.ValidForm()); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", r.Status)
	}
	page := admin.Get("/admin/teams").Doc
	row := page.Find(`[data-team="payments"]`)
	if got := strings.Join(strings.Fields(row.Find(`[data-testid="instances"]`).Text()), " "); got != "1 of 1" {
		t.Errorf("usage: %q", got)
	}
	if got := strings.Join(strings.Fields(row.Find(`[data-testid="spend"]`).Text()), " "); got != "73.00 of none" {
		t.Errorf("spend: %q", got)
	}
	if got := admin.Flash(admin.Post("/admin/teams/"+id+"/limits", url.Values{"max_instances": {"5"}, "max_monthly_spend": {"100"}})); !strings.Contains(got, "5 instances, 100.00 a month") {
		t.Errorf("limits: %q", got)
	}
	if r := admin.Post("/admin/teams/"+id+"/limits", url.Values{"max_monthly_spend": {"-3"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("negative spend: %d", r.Status)
	}
	if got := admin.Flash(admin.Post("/admin/teams/"+id+"/remove", url.Values{"username": {"dev"}})); got != "dev removed from payments" {
		t.Errorf("remove: %q", got)
	}
	// A name no user could have, control characters above all, is refused
	// with words before the database sees it.
	for _, name := range []string{"de\x00v", "dev\x01", "\u200bdev", strings.Repeat("a", 300)} {
		for _, path := range []string{"/members", "/remove"} {
			if r := admin.Post("/admin/teams/"+id+path, url.Values{"username": {name}}); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s %.20q: %d", path, name, r.Status)
			}
		}
		if r := admin.Post("/admin/teams", url.Values{"name": {name}}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("team named %.20q: %d", name, r.Status)
		}
	}
	if r := admin.Post("/admin/teams/9999/limits", url.Values{"max_instances": {"1"}}); r.Status != http.StatusNotFound {
		t.Errorf("unknown team: %d", r.Status)
	}
	list := admin.Get("/admin/requests?team=payments").Doc
	if n := list.Find("tr[data-request-id]").Length(); n != 1 {
		t.Errorf("team filter: %d rows", n)
	}
	if r := admin.Get("/admin/requests?team=Bad%20Team"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad team filter: %d", r.Status)
	}
}

func TestPoliciesPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithGate(0.1))
	admin, _ := e.SignedIn("adm", domain.RoleAdmin)
	doc := admin.Get("/admin/policies").Doc
	if !strings.Contains(doc.Find("#f-document").Text(), "small pay-as-you-go caches in Hangzhou") {
		t.Errorf("no example in the empty editor")
	}
	bad := strings.Replace(testPolicies, `"min_period"`, `"max_pricee"`, 1)
	r := admin.Post("/admin/policies", url.Values{"document": {bad}, "action": {"save"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc.Find(`[data-testid="document-error"]`).Text(), "rule 2: unknown key max_pricee") {
		t.Fatalf("bad document: %d %q", r.Status, r.Doc.Find(`[data-testid="document-error"]`).Text())
	}
	if r.Doc.Find("#f-document").Text() != bad {
		t.Errorf("the typed document was not kept")
	}
	if got := admin.Flash(admin.Post("/admin/policies", url.Values{"document": {testPolicies}, "action": {"save"}})); got != "Policies version 1 saved (2 rules)" {
		t.Errorf("save: %q", got)
	}
	r = admin.Post("/admin/policies", url.Values{"document": {testPolicies}, "action": {"try"},
		"sample": {`{"ChargeType": "PrePaid", "Period": 24}`}})
	if r.Status != http.StatusOK || !strings.Contains(r.Doc.Find(`[data-testid="try-result"]`).Text(), "Rule 2 (“subscriptions up to a year”) matches") {
		t.Errorf("try: %d %q", r.Status, r.Doc.Find(`[data-testid="try-result"]`).Text())
	}
	r = admin.Post("/admin/policies", url.Values{"document": {testPolicies}, "action": {"try"}, "sample": {`{"Colour": 1}`}})
	if r.Status != http.StatusUnprocessableEntity || r.Doc.Find(`[data-testid="sample-error"]`).Length() != 1 {
		t.Errorf("bad sample: %d", r.Status)
	}
	if got := admin.Flash(admin.Post("/admin/policies", url.Values{"document": {`{"rules": []}`}, "action": {"save"}})); got != "Policies version 2 saved (0 rules)" {
		t.Errorf("second save: %q", got)
	}
	page := admin.Get("/admin/policies?version=1").Doc
	if !strings.Contains(page.Find("#f-document").Text(), "subscriptions up to a year") || page.Find(`[data-testid="versions"] tbody tr`).Length() != 2 {
		t.Errorf("version 1 not shown with both versions listed")
	}
	if r := admin.Get("/admin/policies?version=77"); r.Status != http.StatusNotFound {
		t.Errorf("unknown version: %d", r.Status)
	}
}

// The audit trail's Team filter selects the events of the team's requests
// and of the team itself; its CSV export says each event's team.
func TestAuditTeam(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithGate(0.1))
	dev, devU := e.SignedIn("dev", domain.RoleRequester)
	adm, _ := e.SignedIn("root", domain.RoleAdmin)
	e.Team("payments", nil, nil, devU)
	e.Team("search", nil, nil)
	r := dev.Post("/requests", webtest.ValidForm())
	if r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", r.Status)
	}
	page := adm.Get("/audit?team=payments")
	if page.Status != http.StatusOK {
		t.Fatalf("audit: %d", page.Status)
	}
	var actions []string
	page.Doc.Find("tr[data-action]").Each(func(_ int, s *goquery.Selection) {
		actions = append(actions, s.AttrOr("data-action", ""))
		if team := strings.TrimSpace(s.Find(`[data-testid="team"]`).Text()); team != "payments" {
			t.Errorf("%s: team %q", s.AttrOr("data-action", ""), team)
		}
	})
	if strings.Join(actions, " ") != "request.submitted team.member_added team.created" {
		t.Errorf("payments' events: %v", actions)
	}
	if bad := adm.Get("/audit?team=Not+A+Team"); bad.Status != http.StatusUnprocessableEntity {
		t.Errorf("a bad team: %d", bad.Status)
	}
	csvText := adm.Get("/audit/export.csv?team=search").Body
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][3] != domain.ActionTeamCreated || rows[1][8] != "search" {
		t.Fatalf("export: %q %v", rows, err)
	}
}

// A team's default whitelist, longest lease and Slack channel are set on
// the teams page, by the rules `portal teams set` follows: all or nothing,
// each error beside its field with what was typed kept, an event for each
// setting that changed and none for one saved as it was.
func TestTeamSettingsForm(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	admin, adminUser := e.SignedIn("adm", domain.RoleAdmin)
	dev, _ := e.SignedIn("dev", domain.RoleRequester)
	team := e.Team("payments", nil, nil)
	id := webtest.Itoa(team.ID)
	path := "/admin/teams/" + id + "/settings"
	good := url.Values{"default_whitelist": {"10.0.0.0/8, 192.168.1.7"}, "max_lease_days": {"30"}, "slack_channel": {"C0123ABCD"}}
	if got := admin.Flash(admin.Post(path, good)); got != "Settings of payments saved" {
		t.Fatalf("save: %q", got)
	}
	events := func() [3]int {
		return [3]int{e.EventsOf(domain.ActionTeamWhitelistChanged, &adminUser.ID), e.EventsOf(domain.ActionTeamLimitsChanged, &adminUser.ID),
			e.EventsOf(domain.ActionTeamSlackChannelChanged, &adminUser.ID)}
	}
	if got := events(); got != [3]int{1, 1, 1} {
		t.Errorf("events after the first save: %v", got)
	}
	saved, err := e.St.TeamByName(context.Background(), "payments")
	if err != nil || saved.MaxLeaseDays == nil || *saved.MaxLeaseDays != 30 || saved.SlackChannel != "C0123ABCD" {
		t.Fatalf("saved: %+v %v", saved, err)
	}
	doc := admin.Get("/admin/teams").Doc
	if got := doc.Find("#f-default_whitelist-"+id).AttrOr("value", ""); got != "10.0.0.0/8,192.168.1.7" {
		t.Errorf("the whitelist shown: %q", got)
	}
	// Saved again as it is: nothing changed, nothing audited.
	if got := admin.Flash(admin.Post(path, good)); got != "Settings of payments saved" {
		t.Errorf("save again: %q", got)
	}
	if got := events(); got != [3]int{1, 1, 1} {
		t.Errorf("events after saving the same: %v", got)
	}

	bad := url.Values{"default_whitelist": {"10.0.0.0/33"}, "max_lease_days": {"0"}, "slack_channel": {"#general"}}
	r := admin.Post(path, bad)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad settings: %d", r.Status)
	}
	for field, want := range map[string]string{"default_whitelist": "10.0.0.0/33", "max_lease_days": "0", "slack_channel": "#general"} {
		input := r.Doc.Find("#f-" + field + "-" + id)
		if got := input.AttrOr("value", ""); got != want {
			t.Errorf("%s: kept %q, want %q", field, got, want)
		}
		if msg := r.Doc.Find("#err-" + field + "-" + id).Text(); msg == "" || !strings.Contains(input.AttrOr("aria-describedby", ""), "err-"+field+"-"+id) {
			t.Errorf("%s: error %q not tied to its field", field, msg)
		}
	}
	if again, _ := e.St.TeamByName(context.Background(), "payments"); again.MaxLeaseDays == nil || *again.MaxLeaseDays != 30 {
		t.Errorf("a refused form changed the lease: %+v", again)
	}
	// One bad field: the good ones are not saved either.
	if r := admin.Post(path, url.Values{"default_whitelist": {""}, "max_lease_days": {"x"}, "slack_channel": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("one bad field: %d", r.Status)
	}
	if again, _ := e.St.TeamByName(context.Background(), "payments"); again.SlackChannel != "C0123ABCD" {
		t.Errorf("a refused form changed the channel: %+v", again)
	}
	if got := events(); got != [3]int{1, 1, 1} {
		t.Errorf("events after refused forms: %v", got)
	}

	// A field left out of the post keeps its setting.
	if got := admin.Flash(admin.Post(path, url.Values{"max_lease_days": {"31"}})); got != "Settings of payments saved" {
		t.Errorf("one field: %q", got)
	}
	if again, _ := e.St.TeamByName(context.Background(), "payments"); again.MaxLeaseDays == nil || *again.MaxLeaseDays != 31 ||
		again.SlackChannel != "C0123ABCD" {
		t.Errorf("after one field: %+v", again)
	}
	// Odd input is refused with words, never a 500.
	for _, odd := range []string{"C0\x00", "\u200bC0123ABCD", strings.Repeat("1", 5000), "10.0.0.1,\xff"} {
		for _, field := range []string{"default_whitelist", "max_lease_days", "slack_channel"} {
			if r := admin.Post(path, url.Values{field: {odd}}); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s %.20q: %d", field, odd, r.Status)
			}
		}
	}
	if r := dev.Post(path, good); r.Status != http.StatusForbidden {
		t.Errorf("a requester's post: %d", r.Status)
	}
	if r := admin.Post("/admin/teams/9999/settings", good); r.Status != http.StatusNotFound {
		t.Errorf("unknown team: %d", r.Status)
	}
}
