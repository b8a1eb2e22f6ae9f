package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/admission"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/rkvstore"
)

// The change forms: each kind's form says what will happen; bad input is
// told beside its field with what was typed kept (but a password), nothing
// stored; a good change goes to its request's page and into the approvals
// queue as current → new; a second change while one is pending is refused
// naming the first.
func TestChangeForms(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	boss, bossUser := e.SignedIn("boss", domain.RoleApprover)
	other, _ := e.SignedIn("other", domain.RoleRequester)
	in := e.Instance(devUser, bossUser, nil, "r-change")

	// A pay-as-you-go instance without a lease: renew and extend_lease
	// say why not, the others are offered.
	page := dev.Get("/instances/r-change")
	for _, k := range domain.Kinds {
		sel := `[data-testid="changes"] a[data-kind="` + string(k.Kind) + `"]`
		if k.Refusal(in) != "" {
			sel = `[data-testid="changes"] span[data-kind="` + string(k.Kind) + `"]`
		}
		if page.Doc.Find(sel).Length() != 1 {
			t.Errorf("the instance page: no %s", sel)
		}
	}
	for _, k := range domain.Kinds {
		form := dev.Get("/instances/r-change/change?kind=" + string(k.Kind))
		if form.Status != http.StatusOK || !strings.Contains(form.Doc.Find(`[data-testid="change-says"]`).Text(), k.Says[:20]) {
			t.Fatalf("%s form: %d", k.Kind, form.Status)
		}
		if k.Refusal(in) != "" {
			if form.Doc.Find(`[data-testid="change-refused"]`).Length() != 1 {
				t.Errorf("%s: the form does not say why not", k.Kind)
			}
			continue
		}
		for _, f := range k.Fields {
			id := "f-" + f.Name
			if form.Doc.Find(`label[for="`+id+`"]`).Length() != 1 || form.Doc.Find("#"+id).Length() != 1 {
				t.Errorf("%s: field %s without its label", k.Kind, f.Name)
			}
		}
	}
	if r := other.Get("/instances/r-change/change?kind=set_whitelist"); r.Status != http.StatusNotFound {
		t.Errorf("someone else's form: %d", r.Status)
	}
	if r := dev.Get("/instances/r-change/change?kind=grow"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown kind: %d", r.Status)
	}

	before := e.CountRequests()
	bad := dev.Post("/instances/r-change/requests", url.Values{"Kind": {"set_whitelist"}, "SecurityIps": {"10.0.0.0/33"}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad whitelist: %d", bad.Status)
	}
	field := bad.Doc.Find("#f-SecurityIps")
	if got := field.Text(); got != "10.0.0.0/33" {
		t.Errorf("what was typed: %q", got)
	}
	if d, _ := field.Attr("aria-describedby"); !strings.Contains(d, "err-SecurityIps") || bad.Doc.Find("#err-SecurityIps").Text() == "" {
		t.Errorf("the error is not tied to its field: %q", d)
	}
	pw := dev.Post("/instances/r-change/requests", url.Values{"Kind": {"reset_password"}, "Password": {"short"}})
	if v, _ := pw.Doc.Find("#f-Password").Attr("value"); pw.Status != http.StatusUnprocessableEntity || v != "" {
		t.Errorf("a bad password: %d, kept %q", pw.Status, v)
	}
	rel := dev.Post("/instances/r-change/requests", url.Values{"Kind": {"release"}, "ConfirmInstanceId": {"r-other"}})
	if rel.Status != http.StatusUnprocessableEntity || rel.Doc.Find("#err-ConfirmInstanceId").Text() == "" {
		t.Errorf("a wrong confirmation: %d", rel.Status)
	}
	if e.CountRequests() != before {
		t.Fatal("a refused change was stored")
	}

	ok := dev.Post("/instances/r-change/requests", url.Values{"Kind": {"set_whitelist"}, "SecurityIps": {"0.0.0.0/0"}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("a good change: %d", ok.Status)
	}
	loc := ok.Header.Get("Location")
	held := dev.Post("/instances/r-change/requests", url.Values{"Kind": {"release"}, "ConfirmInstanceId": {"r-change"}})
	if held.Status != http.StatusConflict || !strings.Contains(held.Doc.Find(`[data-testid="form-error"]`).Text(), "request "+strings.TrimPrefix(loc, "/requests/")) {
		t.Errorf("a second change: %d %q", held.Status, held.Doc.Find(`[data-testid="form-error"]`).Text())
	}
	queue := boss.Get("/approvals")
	row := queue.Doc.Find(`[data-param="SecurityIps"]`)
	if !strings.Contains(row.Text(), "none → 0.0.0.0/0") || row.Find(`dd[data-warn="true"]`).Length() != 1 {
		t.Errorf("the queue's row: %q", row.Text())
	}
	show := dev.Get(loc)
	if got := show.Doc.Find(`dd[data-param="Kind"]`).Text(); got != "Set the IP whitelist" {
		t.Errorf("the request's page: kind %q", got)
	}
}

// The creation form's whitelist is prefilled with the team's default,
// checked with the whitelist's rules beside its field, and kept with the
// request.
func TestCreationWhitelistField(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	team := e.Team("payments", nil, nil, devUser)
	if err := e.St.SetTeamWhitelist(context.Background(), team.ID, "10.0.0.0/8", nil); err != nil {
		t.Fatal(err)
	}
	form := dev.Get("/requests/new")
	if got := form.Doc.Find("#f-SecurityIps").Text(); got != "10.0.0.0/8" {
		t.Fatalf("prefilled with %q", got)
	}
	before := e.CountRequests()
	bad := dev.Post("/requests", url.Values{"SecurityIps": {"10.0.0.0/8,10.0.0.0/8"}, "Team": {"payments"}})
	if bad.Status != http.StatusUnprocessableEntity || bad.Doc.Find("#err-SecurityIps").Text() == "" ||
		bad.Doc.Find("#f-SecurityIps").Text() != "10.0.0.0/8,10.0.0.0/8" || e.CountRequests() != before {
		t.Fatalf("a duplicate entry: %d %q", bad.Status, bad.Doc.Find("#err-SecurityIps").Text())
	}
}

// yearDiscount prices a subscription at 100 a month, 15 % off for a year
// or more: what a month costs depends on the period priced.
type yearDiscount struct{}

func (yearDiscount) Estimate(_ context.Context, p domain.Params) (rkvstore.Price, bool) {
	amount := 100.0
	if p.ChargeType == domain.ChargePrePaid {
		amount *= float64(max(p.Period, 1))
		if p.Period >= 12 {
			amount *= 0.85
		}
	}
	return rkvstore.Price{Currency: "CNY", TradeAmount: amount, OriginalPrice: amount}, true
}

// The resize form prices each class with the parameters the submission's
// estimate uses (a yearly subscription's own period, not one month), so the
// price it shows is the one the team's budget then counts.
func TestChangeFormPricesAsTheSubmission(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, func(h *handlers.Handlers) {
		h.Prices = yearDiscount{}
		(&admission.Gate{Store: h.Store, Prices: yearDiscount{}, Logger: h.Logger}).Wire(h.Workflow)
	})
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	_, bossUser := e.SignedIn("boss", domain.RoleApprover)
	e.Instance(devUser, bossUser, nil, "r-year")
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE requests SET charge_type = 'PrePaid', period = 12 WHERE instance_id = 'r-year'`,
		`UPDATE instances SET charge_type = 'PrePaid' WHERE instance_id = 'r-year'`,
	} {
		if _, err := e.St.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	const month = "85.00 CNY a month"
	form := dev.Get("/instances/r-year/change?kind=modify_spec")
	if got := form.Doc.Find(`[data-testid="change-price"]`).Text(); form.Status != http.StatusOK || !strings.Contains(got, month) {
		t.Fatalf("the form: %d, now %q", form.Status, got)
	}
	// The classes offered, each with its price, are the field's list.
	opt := form.Doc.Find(`#list-InstanceClass option`).First()
	class, _ := opt.Attr("value")
	if !strings.Contains(opt.Text(), month) {
		t.Fatalf("class %q offered at %q, want %q", class, opt.Text(), month)
	}
	ok := dev.Post("/instances/r-year/requests", url.Values{"Kind": {"modify_spec"}, "InstanceClass": {class},
		"EffectiveTime": {domain.EffectiveImmediately}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("the resize: %d %s", ok.Status, ok.Doc.Find(`[data-testid="form-error"]`).Text())
	}
	show := dev.Get(ok.Header.Get("Location"))
	if got := show.Doc.Find(`[data-testid="monthly-price"]`).Text(); !strings.Contains(got, month) {
		t.Errorf("the request's estimate %q, the form said %q", got, month)
	}
}
