package components_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
)

func doc(t *testing.T, html string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(bytes.NewBufferString(html))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Every state's badge carries data-status and its readable label, and the
// stylesheet gives each state its own colour by data-status.
func TestStatusBadge(t *testing.T) {
	css, err := os.ReadFile("../../static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range domain.Statuses() {
		var buf bytes.Buffer
		if err := components.StatusBadge(s).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		b := doc(t, buf.String()).Find("[data-status]")
		if got, _ := b.Attr("data-status"); got != string(s) {
			t.Errorf("data-status %q, want %q", got, s)
		}
		if b.Text() != s.Label() {
			t.Errorf("label %q, want %q", b.Text(), s.Label())
		}
		if cls, _ := b.Attr("class"); cls != "badge" {
			t.Errorf("class %q", cls)
		}
		if rule := `.badge[data-status="` + string(s) + `"] {`; !bytes.Contains(css, []byte(rule)) {
			t.Errorf("app.css has no colour for %s (%s)", s, rule)
		}
	}
}

func TestFormFieldAccessibility(t *testing.T) {
	var buf bytes.Buffer
	f := components.Field{Name: "InstanceName", Label: "Instance name", Help: "Optional.", Error: "must start with a letter", Kind: "text", Value: "1x"}
	if err := components.FormField(f).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	d := doc(t, buf.String())
	in := d.Find("input#f-InstanceName")
	if v, _ := in.Attr("aria-invalid"); v != "true" {
		t.Errorf("aria-invalid %q", v)
	}
	if v, _ := in.Attr("aria-describedby"); v != "err-InstanceName help-InstanceName" {
		t.Errorf("aria-describedby %q", v)
	}
	if d.Find(`label[for="f-InstanceName"]`).Length() != 1 || d.Find("#err-InstanceName").Length() != 1 {
		t.Error("label or error missing")
	}
	buf.Reset()
	f.Error = ""
	_ = components.FormField(f).Render(context.Background(), &buf)
	if _, ok := doc(t, buf.String()).Find("input").Attr("aria-invalid"); ok {
		t.Error("aria-invalid on a valid field")
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	cases := map[time.Duration]string{10 * time.Second: "just now", 3 * time.Minute: "3 min ago", 2 * time.Hour: "2 h ago",
		90 * time.Minute: "1 h 30 min ago", 72 * time.Hour: "3 days ago"}
	for d, want := range cases {
		if got := components.Ago(now, now.Add(-d)); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRequestLabel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r    domain.Request
		want string
	}{
		{domain.Request{Status: domain.StatusSucceeded, InstanceStatus: "Creating"}, "Setting up"},
		{domain.Request{Status: domain.StatusSucceeded}, "Setting up"},
		{domain.Request{Status: domain.StatusSucceeded, InstanceStatus: domain.InstanceNormal}, "Succeeded"},
		{domain.Request{Status: domain.StatusProvisioning, InstanceStatus: "Creating"}, "Provisioning"},
		{domain.Request{Status: domain.StatusRejected}, "Rejected"},
	} {
		if got := components.RequestLabel(c.r); got != c.want {
			t.Errorf("%s/%s: %q, want %q", c.r.Status, c.r.InstanceStatus, got, c.want)
		}
	}
}

// One price, one way: per month with the currency, a subscription's total
// from the same monthly figure.
func TestPriceText(t *testing.T) {
	t.Parallel()
	postPaid := domain.Params{ChargeType: domain.ChargePostPaid}
	for _, c := range []struct {
		monthly  float64
		currency string
		p        domain.Params
		want     string
	}{
		{domain.MonthlyPrice(postPaid, 0.03), "USD", postPaid, "21.90 USD a month (billed by the hour)"},
		{30, "USD", domain.Params{ChargeType: domain.ChargePrePaid, Period: 3}, "30.00 USD a month (90.00 USD for 3 months)"},
		{12.5, "CNY", domain.Params{ChargeType: domain.ChargePrePaid, Period: 1}, "12.50 CNY a month (12.50 CNY for 1 month)"},
		{19.49, "", postPaid, "19.49 a month (billed by the hour)"},
	} {
		if got := components.PriceText(c.monthly, c.currency, c.p); got != c.want {
			t.Errorf("%v %s %+v: %q, want %q", c.monthly, c.currency, c.p, got, c.want)
		}
	}
}
