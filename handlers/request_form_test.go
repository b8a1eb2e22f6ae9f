package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// Every rule's round trip through the form: 422, the error beside its field
// (aria-invalid, aria-describedby), in the summary, every value kept but the
// password, which appears nowhere in the page.
func TestFormRulesRoundTrip(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, _ := e.SignedIn("dev", domain.RoleRequester)
	cases := []struct {
		name   string
		set    map[string]string
		fields []string // fields expected to carry an error
	}{
		{"name starts with digit", map[string]string{"InstanceName": "1orders"}, []string{"InstanceName"}},
		{"name with space", map[string]string{"InstanceName": "my cache"}, []string{"InstanceName"}},
		{"name too short", map[string]string{"InstanceName": "x"}, []string{"InstanceName"}},
		{"name forbidden char", map[string]string{"InstanceName": "a/b"}, []string{"InstanceName"}},
		{"password too short", map[string]string{"Password": "Sh0rtPw"}, []string{"Password"}},
		{"password lacks upper", map[string]string{"Password": "nouppercase123"}, []string{"Password"}},
		{"password forbidden symbol", map[string]string{"Password": "Has.Symbol123"}, []string{"Password"}},
		{"password non-ascii", map[string]string{"Password": "Pässword1234"}, []string{"Password"}},
		{"password too long", map[string]string{"Password": "Aa1" + strings.Repeat("x", 40)}, []string{"Password"}},
		{"class missing", map[string]string{"InstanceClass": ""}, []string{"InstanceClass"}},
		{"class not offered", map[string]string{"InstanceClass": "redis.master.huge.default"}, []string{"InstanceClass"}},
		{"region missing", map[string]string{"RegionId": ""}, []string{"RegionId"}},
		{"region unknown", map[string]string{"RegionId": "mars-north-1"}, []string{"RegionId"}},
		{"zone of another region", map[string]string{"ZoneId": "cn-shanghai-b"}, []string{"ZoneId"}},
		{"charge type unknown", map[string]string{"ChargeType": "Free"}, []string{"ChargeType"}},
		{"prepaid without period", map[string]string{"ChargeType": "PrePaid", "Period": ""}, []string{"Period"}},
		{"prepaid bad period", map[string]string{"ChargeType": "PrePaid", "Period": "10"}, []string{"Period"}},
		{"token with space", map[string]string{"Token": "my token"}, []string{"Token"}},
		{"token too long", map[string]string{"Token": strings.Repeat("t", 65)}, []string{"Token"}},
		{"network unknown", map[string]string{"NetworkType": "Mesh"}, []string{"NetworkType"}},
		{"vpc without ids", map[string]string{"NetworkType": "VPC"}, []string{"VpcId", "VSwitchId"}},
		{"vpc id on classic", map[string]string{"VpcId": "vpc-123"}, []string{"VpcId"}},
		{"vpc id prefix", map[string]string{"NetworkType": "VPC", "VpcId": "abc", "VSwitchId": "vsw-1"}, []string{"VpcId"}},
		{"private ip invalid", map[string]string{"NetworkType": "VPC", "VpcId": "vpc-1", "VSwitchId": "vsw-1", "PrivateIp": "999.1.1.1"}, []string{"PrivateIp"}},
		{"backup without source", map[string]string{"BackupId": "b-1"}, []string{"BackupId"}},
		{"source with space", map[string]string{"SrcDBInstanceId": "r- 1"}, []string{"SrcDBInstanceId"}},
		{"instance type unknown", map[string]string{"InstanceType": "Mongo"}, []string{"InstanceType"}},
		{"engine version unknown", map[string]string{"EngineVersion": "9.9"}, []string{"EngineVersion"}},
		{"port out of range", map[string]string{"Port": "70000"}, []string{"Port"}},
		{"several at once", map[string]string{"InstanceName": "1x", "RegionId": "", "Password": "bad"}, []string{"InstanceName", "RegionId", "Password"}},
	}
	for _, tc := range cases {
		form := webtest.ValidForm()
		for k, v := range tc.set {
			form.Set(k, v)
		}
		before := e.CountRequests()
		r := c.Post("/requests", form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tc.name, r.Status)
			continue
		}
		if e.CountRequests() != before {
			t.Errorf("%s: a request was stored", tc.name)
		}
		if pw := form.Get("Password"); pw != "" && strings.Contains(r.Body, pw) {
			t.Errorf("%s: the password appears in the page", tc.name)
		}
		if v, _ := r.Doc.Find(`[name="Password"]`).Attr("value"); v != "" {
			t.Errorf("%s: password field not empty", tc.name)
		}
		for _, f := range tc.fields {
			errEl := r.Doc.Find("#err-" + f)
			if strings.TrimSpace(errEl.Text()) == "" {
				t.Errorf("%s: no error shown for %s", tc.name, f)
			}
			ctl := r.Doc.Find("#f-" + f)
			if inv, _ := ctl.Attr("aria-invalid"); inv != "true" {
				t.Errorf("%s: %s has aria-invalid=%q", tc.name, f, inv)
			}
			if desc, _ := ctl.Attr("aria-describedby"); !strings.Contains(desc, "err-"+f) {
				t.Errorf("%s: %s aria-describedby=%q", tc.name, f, desc)
			}
			if r.Doc.Find(`#error-summary a[href="#f-`+f+`"]`).Length() != 1 {
				t.Errorf("%s: summary does not link to %s", tc.name, f)
			}
		}
		if n := r.Doc.Find(".field-error").Length(); n != len(tc.fields) {
			t.Errorf("%s: %d errors shown, want %d: %s", tc.name, n, len(tc.fields), r.Doc.Find(".field-error").Text())
		}
		for k, vs := range form {
			if k == "Password" {
				continue
			}
			if got := fieldValue(r.Doc, k); got != vs[0] {
				t.Errorf("%s: %s kept as %q, want %q", tc.name, k, got, vs[0])
			}
		}
	}
}

// fieldValue is the value a form control shows: an input's value, a
// select's selected option.
func fieldValue(doc *goquery.Document, name string) string {
	el := doc.Find(`[name="` + name + `"]`).First()
	if goquery.NodeName(el) == "select" {
		v, _ := el.Find("option[selected]").Attr("value")
		return v
	}
	if goquery.NodeName(el) == "textarea" {
		return el.Text()
	}
	v, _ := el.Attr("value")
	return v
}

func TestFormDefaultsAndLabels(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, _ := e.SignedIn("dev", domain.RoleRequester)
	r := c.Get("/requests/new")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	want := map[string]string{"ChargeType": "PostPaid", "NetworkType": "Classic", "InstanceType": "Redis", "EngineVersion": "2.8", "Port": "6379"}
	for k, v := range want {
		if got := fieldValue(r.Doc, k); got != v {
			t.Errorf("default %s = %q, want %q", k, got, v)
		}
	}
	for _, name := range []string{"InstanceName", "Password", "InstanceClass", "RegionId", "ZoneId", "ChargeType", "Period",
		"Token", "NetworkType", "VpcId", "VSwitchId", "PrivateIp", "SrcDBInstanceId", "BackupId", "InstanceType", "EngineVersion", "Port"} {
		ctl := r.Doc.Find(`[name="` + name + `"]`)
		if ctl.Length() != 1 {
			t.Errorf("%s: %d controls", name, ctl.Length())
			continue
		}
		id, _ := ctl.Attr("id")
		if r.Doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s: no label", name)
		}
		if strings.TrimSpace(r.Doc.Find("#help-"+name).Text()) == "" {
			t.Errorf("%s: no help text", name)
		}
	}
	if goquery.NodeName(r.Doc.Find(`[name="RegionId"]`)) != "select" {
		t.Error("RegionId is not a select with a catalog")
	}
	if r.Doc.Find(`[data-testid="sim-banner"]`).Length() != 1 {
		t.Error("no simulator banner")
	}
}

// Without a catalog the form takes typed values.
func TestFormWithoutCatalog(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithCatalog(nil))
	c, _ := e.SignedIn("dev", domain.RoleRequester)
	r := c.Get("/requests/new")
	for _, f := range []string{"RegionId", "ZoneId", "InstanceClass"} {
		if n := goquery.NodeName(r.Doc.Find(`[name="` + f + `"]`)); n != "input" {
			t.Errorf("%s is a %s without a catalog", f, n)
		}
	}
	if r.Doc.Find(`[data-testid="catalog-note"]`).Length() != 1 {
		t.Error("no note that the catalog is unknown")
	}
	form := webtest.ValidForm()
	form.Set("RegionId", "eu-central-1")
	form.Set("ZoneId", "eu-central-1a")
	form.Set("InstanceClass", "redis.master.micro.default")
	if r := c.Post("/requests", form); r.Status != http.StatusSeeOther {
		t.Fatalf("status %d: %s", r.Status, r.Doc.Find(".field-error").Text())
	}
}

func TestFormStaleCatalog(t *testing.T) {
	t.Parallel()
	cat := testfix.Catalog()
	cat.Stale = true
	e := webtest.New(t, webtest.WithCatalog(cat))
	c, _ := e.SignedIn("dev", domain.RoleRequester)
	r := c.Get("/requests/new")
	if !strings.Contains(r.Doc.Find(`[data-testid="catalog-note"]`).Text(), "out of date") {
		t.Error("a stale catalog is not mentioned")
	}
}

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, u := e.SignedIn("dev", domain.RoleRequester)
	form := webtest.ValidForm()
	form.Set("Port", "6380")
	r := c.Post("/requests", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/requests/") {
		t.Fatalf("status %d location %q: %s", r.Status, r.Location(), r.Doc.Find(".field-error").Text())
	}
	rs, err := e.St.ListRequests(context.Background(), store.RequestFilter{RequesterID: u.ID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests %v %v", rs, err)
	}
	req := rs[0]
	if req.Status != domain.StatusPendingApproval || !req.PasswordSet || !strings.HasPrefix(req.Params.Token, "req-") || req.Params.Port != 6380 {
		t.Fatalf("stored %+v", req)
	}
	// The password is sealed with the token as associated data.
	var sealed []byte
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT password_sealed FROM requests WHERE id = $1`, req.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	plain, err := e.Sealer.Open(sealed, []byte(req.Params.Token))
	if err != nil || string(plain) != form.Get("Password") {
		t.Fatalf("sealed password opens to %q, %v", plain, err)
	}
	if e.CountEvents(domain.ActionRequestSubmitted, req.ID) != 1 {
		t.Error("no submitted event")
	}
	var port string
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT details->>'Port' FROM audit_events
		WHERE request_id = $1 AND action = $2`, req.ID, domain.ActionRequestSubmitted).Scan(&port); err != nil || port != "6380" {
		t.Errorf("the submitted event's Port: %q, %v", port, err)
	}
	page := c.Get(r.Location())
	if got := strings.TrimSpace(page.Doc.Find(`[data-testid="flash"]`).Text()); got != "Request "+webtest.Itoa(req.ID)+" submitted: it waits in the approvers' queue, and this page shows their decision." {
		t.Errorf("flash %q", got)
	}
	if strings.Contains(page.Body, form.Get("Password")) {
		t.Error("password on the request page")
	}
	if got := page.Doc.Find(`[data-param="Password"]`).Text(); got != "set" {
		t.Errorf("Password shown as %q", got)
	}
	if got := page.Doc.Find(`[data-param="Token"]`).Text(); got != req.Params.Token {
		t.Errorf("Token shown as %q", got)
	}
	if got := page.Doc.Find(`[data-param="Port"]`).Text(); got != "6380" {
		t.Errorf("Port shown as %q", got)
	}
	if s, _ := page.Doc.Find(`h1 [data-status]`).Attr("data-status"); s != "pending_approval" {
		t.Errorf("badge data-status %q", s)
	}
	// The flash is shown once.
	if again := c.Get(r.Location()); again.Doc.Find(`[data-testid="flash"]`).Length() != 0 {
		t.Error("flash shown twice")
	}
	// The typed token is kept; used again it is an error on Token.
	form.Set("Token", "my-own-token-1")
	if r := c.Post("/requests", form); r.Status != http.StatusSeeOther {
		t.Fatalf("own token: %d", r.Status)
	}
	r = c.Post("/requests", form)
	if r.Status != http.StatusUnprocessableEntity || r.Doc.Find("#err-Token").Length() != 1 {
		t.Fatalf("reused token: %d %s", r.Status, r.Doc.Find(".field-error").Text())
	}
	if strings.Contains(r.Body, form.Get("Password")) {
		t.Error("password echoed after a duplicate token")
	}
}

func TestCloneRequest(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, _ := e.SignedIn("dev", domain.RoleRequester)
	form := webtest.ValidForm()
	form.Set("Token", "clone-me-token")
	r := c.Post("/requests", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", r.Status)
	}
	id := strings.TrimPrefix(r.Location(), "/requests/")
	page := c.Get("/requests/new?clone=" + id)
	if page.Status != http.StatusOK {
		t.Fatalf("clone: %d", page.Status)
	}
	for _, k := range []string{"InstanceName", "InstanceClass", "RegionId", "ZoneId", "EngineVersion"} {
		if got := fieldValue(page.Doc, k); got != form.Get(k) {
			t.Errorf("clone %s = %q, want %q", k, got, form.Get(k))
		}
	}
	if fieldValue(page.Doc, "Token") != "" || fieldValue(page.Doc, "Password") != "" {
		t.Error("clone copies the token or the password")
	}
	other, _ := e.SignedIn("eve", domain.RoleRequester)
	if r := other.Get("/requests/new?clone=" + id); r.Status != http.StatusNotFound {
		t.Errorf("cloning another's request: %d", r.Status)
	}
	for _, bad := range []string{"abc", "-1", "99999999999999999999"} {
		if r := c.Get("/requests/new?clone=" + url.QueryEscape(bad)); r.Status != http.StatusNotFound {
			t.Errorf("clone=%s: %d", bad, r.Status)
		}
	}
}
