package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// The tokens page in Chromium, with the keyboard: reached from the top bar,
// its errors, a token made and shown once, revoked; then an admin's view
// of everyone's. axe-core checks every state of the page.
func TestBrowserTokens(t *testing.T) {
	e := webtest.New(t)
	e.User("dev", domain.RoleRequester)
	e.User("boss", domain.RoleAdmin)
	ctx := browser(t)
	base := e.Srv.URL

	signIn(t, ctx, base, "dev")
	step(t, ctx, "open the tokens page",
		chromedp.Click(chromedp.CSS(`a[href="/settings/tokens"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-name`)),
	)
	checkPage(t, ctx, "tokens-empty")

	tabTo(t, ctx, "#f-expires_days")
	press(t, ctx, "a lifetime that is no number", "abc")
	press(t, ctx, "submit with Enter", kb.Enter)
	step(t, ctx, "the errors", chromedp.WaitVisible(chromedp.CSS(`#error-summary`)))
	for _, f := range []string{"name", "expires_days"} {
		if text(t, ctx, "#err-"+f) == "" {
			t.Errorf("no error beside %s", f)
		}
	}
	checkPage(t, ctx, "tokens-errors")

	step(t, ctx, "correct and submit",
		chromedp.SendKeys(chromedp.CSS("#f-name"), "deploy pipeline"),
		choose(tokenDaysName, "30"),
		chromedp.Click(chromedp.CSS(`[data-testid="create-token"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="new-token"]`)),
	)
	token := attr(t, ctx, "#new-token-value", "value")
	if !strings.HasPrefix(token, apitoken.Prefix) {
		t.Fatalf("the new token: %q", token)
	}
	if boolAttr(t, ctx, `[data-testid="new-token"] button[data-copy]`, "hidden") != "" {
		t.Error("the Copy button stays hidden with the script")
	}
	checkPage(t, ctx, "tokens-created")

	step(t, ctx, "reload: the token is gone",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="own-tokens"]`)),
	)
	if html := text(t, ctx, "main"); strings.Contains(html, token) {
		t.Error("the token is shown after a reload")
	}
	tabTo(t, ctx, `[data-testid="own-tokens"] [data-testid="revoke"]`)
	press(t, ctx, "revoke with Enter", kb.Enter)
	step(t, ctx, "revoked", chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	if f := text(t, ctx, `[data-testid="flash"]`); !strings.Contains(f, "deploy pipeline revoked") {
		t.Errorf("flash %q", f)
	}
	if s := attr(t, ctx, `[data-testid="own-tokens"] tbody tr`, "data-state"); s != apitoken.StateRevoked {
		t.Errorf("state after revoking: %q", s)
	}
	checkPage(t, ctx, "tokens-revoked")
	signOut(t, ctx)

	signIn(t, ctx, base, "boss")
	step(t, ctx, "an admin's tokens page",
		chromedp.Navigate(base+"/settings/tokens"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="other-tokens"]`)),
	)
	if o := attr(t, ctx, `[data-testid="other-tokens"] tbody tr`, "data-owner"); o != "dev" {
		t.Errorf("owner %q", o)
	}
	checkPage(t, ctx, "tokens-admin")
}

// tokenDaysName is the token form's lifetime field.
const tokenDaysName = "expires_days"
