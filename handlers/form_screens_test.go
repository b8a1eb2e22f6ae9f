package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// The form starts with where (the region narrows the rest), folds the
// optional groups, keeps its help short with the whole rule behind a
// disclosure, says what is requested beside the fields, and leaves with
// "Back".
func TestFormLayout(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithFormPrices(t))
	c, _ := e.SignedIn("layout-dev", domain.RoleRequester)
	doc := c.Get("/requests/new").Doc

	if first, _ := doc.Find(`.form-main [data-field]`).First().Attr("data-field"); first != "RegionId" {
		t.Errorf("the form starts with %q, not RegionId", first)
	}
	for _, g := range []string{"restore", "advanced"} {
		fold := doc.Find(`details#group-` + g)
		if fold.Length() != 1 {
			t.Errorf("group %s is not a disclosure", g)
		} else if _, open := fold.Attr("open"); open {
			t.Errorf("group %s is open on a new form", g)
		}
	}
	name := doc.Find(`[data-field="InstanceName"]`)
	if help := name.Find(`.help`).First().Text(); len(help) > 60 {
		t.Errorf("InstanceName help is long: %q", help)
	}
	rule := name.Find(`details.rule .help`)
	ruleID, _ := rule.Attr("id")
	if !strings.Contains(rule.Text(), "no spaces") {
		t.Errorf("InstanceName's whole rule %q", rule.Text())
	}
	if by, _ := doc.Find(`#f-InstanceName`).Attr("aria-describedby"); !strings.Contains(by, ruleID) || ruleID == "" {
		t.Errorf("InstanceName described by %q, not its rule %q", by, ruleID)
	}
	summary := doc.Find(`aside[data-testid="summary"]`)
	if got := summary.Find(`dd[data-summary="InstanceType EngineVersion"]`).Text(); got != "Redis · 2.8" {
		t.Errorf("summary says %q for the type and version", got)
	}
	if summary.Find(`button[name="estimate"]`).Length() != 1 || summary.Find(`#price[role="status"]`).Length() != 1 {
		t.Error("the estimate button and its price are not in the summary")
	}
	if summary.Find(`dd[data-summary="Team"]`).Length() != 0 {
		t.Error("the summary has a Team line for someone in no team")
	}
	back := doc.Find(`.actions a[href="/requests"]`)
	if strings.TrimSpace(back.Text()) != "Back" || strings.Contains(doc.Find(`.actions`).Text(), "Cancel") {
		t.Errorf("leaving the form: %q", doc.Find(`.actions`).Text())
	}

	// Someone in a team sees it in the summary.
	tc, tu := e.SignedIn("layout-team-dev", domain.RoleRequester)
	e.Team("payments", nil, nil, tu)
	if got := tc.Get("/requests/new").Doc.Find(`aside dd[data-summary="Team"]`).Text(); got != "payments" {
		t.Errorf("summary says %q for the team", got)
	}

	// A folded group opens with an error or a value in it.
	form := webtest.ValidForm()
	form.Set("BackupId", "b-1") // needs SrcDBInstanceId
	res := c.Post("/requests", form)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("backup without source: %d", res.Status)
	}
	if _, open := res.Doc.Find(`details#group-restore`).Attr("open"); !open {
		t.Error("the restore group stays folded with an error in it")
	}
	if _, open := res.Doc.Find(`details#group-advanced`).Attr("open"); open {
		t.Error("the advanced group opens with its defaults only")
	}
	form = webtest.ValidForm()
	form.Set("Token", "my-own-token")
	form.Set("InstanceClass", "")
	res = c.Post("/requests", form)
	if _, open := res.Doc.Find(`details#group-advanced`).Attr("open"); !open {
		t.Error("the advanced group stays folded with a token typed in it")
	}
	if got := res.Doc.Find(`[data-testid="note-Password"]`).Text(); !strings.Contains(got, "Type the password again") {
		t.Errorf("password note after a 422: %q", got)
	}
}

// Without a script, "Estimate price" shows the form again with the price
// beside the button, focused, every value kept but the password, and a
// note by the password field; the script's JSON answer gives the price or
// the fields to correct.
func TestEstimatePrice(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithFormPrices(t))
	c, _ := e.SignedIn("price-dev", domain.RoleRequester)
	c.Get("/requests/new")
	form := webtest.ValidForm()
	form.Set("estimate", "1")
	res := c.Post("/requests", form)
	if res.Status != http.StatusOK {
		t.Fatalf("estimate: %d", res.Status)
	}
	price := res.Doc.Find(`aside #price`)
	if !strings.Contains(price.Text(), "a month (billed by the hour)") {
		t.Errorf("price %q", price.Text())
	}
	if _, focused := price.Attr("autofocus"); !focused {
		t.Error("the price is not focused")
	}
	if v, _ := res.Doc.Find(`#f-InstanceName`).Attr("value"); v != "orders-cache" {
		t.Errorf("InstanceName kept as %q", v)
	}
	if v, _ := res.Doc.Find(`#f-Password`).Attr("value"); v != "" || strings.Contains(res.Body, "Sup3rSecretPw") {
		t.Error("the password is in the page")
	}
	note := res.Doc.Find(`[data-testid="note-Password"]`)
	noteID, _ := note.Attr("id")
	if by, _ := res.Doc.Find(`#f-Password`).Attr("aria-describedby"); !strings.Contains(note.Text(), "Type the password again") || !strings.Contains(by, noteID) {
		t.Errorf("password note %q, described by %q", note.Text(), by)
	}
	if e.CountRequests() != 0 {
		t.Error("an estimate stored a request")
	}

	asJSON := func(form url.Values) (int, map[string]any) {
		t.Helper()
		form.Set("csrf_token", c.CSRF)
		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/requests", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		r := c.Do(req)
		var out map[string]any
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("%d, not JSON: %s", r.Status, r.Body)
		}
		return r.Status, out
	}
	form = webtest.ValidForm()
	form.Del("Password")
	form.Set("estimate", "1")
	status, out := asJSON(form)
	if status != http.StatusOK || !strings.Contains(out["price"].(string), "a month (billed by the hour)") {
		t.Errorf("JSON estimate: %d %v", status, out)
	}
	form.Set("RegionId", "")
	status, out = asJSON(form)
	errs, _ := out["errors"].([]any)
	if status != http.StatusUnprocessableEntity || len(errs) == 0 || errs[0].(map[string]any)["field"] != "RegionId" {
		t.Errorf("JSON estimate of an invalid form: %d %v", status, out)
	}
	if e.CountRequests() != 0 {
		t.Error("an estimate stored a request")
	}
}

// After a wrong password, the sign-in page puts the cursor in the password
// field, the username kept.
func TestLoginFocusesPasswordAfterFailure(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	e.User("focus-dev", domain.RoleRequester)
	c := e.Client()
	doc := c.Get("/login").Doc
	if _, ok := doc.Find(`#username`).Attr("autofocus"); !ok {
		t.Error("a fresh sign-in page does not focus the username")
	}
	res := c.Post("/login", url.Values{"username": {"focus-dev"}, "password": {"wrong"}})
	if _, ok := res.Doc.Find(`#password`).Attr("autofocus"); !ok {
		t.Error("after a wrong password, the password field is not focused")
	}
	if _, ok := res.Doc.Find(`#username`).Attr("autofocus"); ok {
		t.Error("after a wrong password, the username is focused")
	}
}
