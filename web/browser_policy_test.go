package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/policy"
)

// The policy editor in a browser: a mistake is shown beside the editor,
// the document fixed and saved, and a sample tried.
func TestBrowserPolicyEditor(t *testing.T) {
	e := webtest.New(t, webtest.WithGate(0.1))
	e.User("adm", domain.RoleAdmin)
	ctx := browser(t)
	base := e.Srv.URL
	signIn(t, ctx, base, "adm")
	bad := strings.Replace(policy.Example, `"min_period"`, `"max_pricee"`, 1)
	step(t, ctx, "open the editor and save a mistake",
		chromedp.Click(chromedp.CSS(`[data-testid="admin-menu"] > summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/admin/policies"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-document`)),
		setText("document", bad),
		chromedp.Click(chromedp.CSS(`[data-testid="save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="document-error"]`)),
	)
	if msg := text(t, ctx, `[data-testid="document-error"]`); !strings.Contains(msg, "rule 2: unknown key max_pricee") {
		t.Errorf("error %q", msg)
	}
	if d := attr(t, ctx, `#f-document`, "aria-describedby"); !strings.Contains(d, "err-document") {
		t.Errorf("editor not described by its error: %q", d)
	}
	screenshot(t, ctx, "policies-error")
	step(t, ctx, "fix and save",
		setText("document", policy.Example),
		chromedp.Click(chromedp.CSS(`[data-testid="save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	if f := text(t, ctx, `[data-testid="flash"]`); f != "Policies version 1 saved (2 rules)" {
		t.Errorf("flash %q", f)
	}
	step(t, ctx, "try a sample",
		setText("sample", `{"InstanceClass": "`+testfix.InstanceClass+`", "ChargeType": "PostPaid", "RegionId": "cn-hangzhou", "Team": "payments", "monthly_price": 20}`),
		chromedp.Click(chromedp.CSS(`[data-testid="try"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="try-result"]`)),
	)
	if res := text(t, ctx, `[data-testid="try-result"]`); !strings.Contains(res, "Rule 1 (“small pay-as-you-go caches in Hangzhou”) matches: the request is approved at once") {
		t.Errorf("try result %q", res)
	}
	screenshot(t, ctx, "policies-try")
}

// setText puts value, which may span lines, into the control named name.
func setText(name, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, _ := json.Marshal(value)
		_, err := chromedp.Evaluate[bool](`(function(){var s=document.querySelector('[name="`+name+`"]');s.value=`+string(v)+
			`;s.dispatchEvent(new Event('input',{bubbles:true}));return true;})()`)(ctx, tg)
		return err
	})
}
