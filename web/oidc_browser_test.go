package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kvportal/kvportal/internal/webtest"
)

// Chromium signs in through the identity provider: "Sign in with SSO" on
// the sign-in page, the provider, back to the page first wanted; then the
// sessions page lists this browser.
func TestBrowserSSO(t *testing.T) {
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, ""))
	ctx := browser(t)
	base := e.Srv.URL

	p.SignInAs("s-ann", "ann", "approvers")
	step(t, ctx, "open a page that needs signing in",
		chromedp.Navigate(base+"/approvals"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sso"]`)),
	)
	screenshot(t, ctx, "login-sso")
	step(t, ctx, "sign in with SSO",
		chromedp.Click(chromedp.CSS(`[data-testid="sso"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="whoami"]`)),
	)
	if who := text(t, ctx, `[data-testid="whoami"]`); !strings.Contains(who, "ann") || !strings.Contains(who, "approver") {
		t.Errorf("signed in as %q", who)
	}
	if h := text(t, ctx, "h1"); !strings.Contains(h, "Approvals") {
		t.Errorf("landed on %q, want the approvals page", h)
	}
	step(t, ctx, "the sessions page",
		chromedp.Click(chromedp.CSS(`a[href="/settings/sessions"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sessions"]`)),
	)
	if row := text(t, ctx, `tr[data-current]`); !strings.Contains(row, "Chrome") || !strings.Contains(row, "127.0.0.1") {
		t.Errorf("current session row %q", row)
	}
	screenshot(t, ctx, "sessions")
	signOutSSO(t, ctx)
}

func signOutSSO(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sso"]`)),
	)
}
