package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// press sends keys to whatever has the focus, as a keyboard does.
func press(t *testing.T, ctx context.Context, what, keys string) {
	t.Helper()
	step(t, ctx, what, chromedp.KeyEvent(keys))
}

// hasFocus reports whether the focused element matches sel.
func hasFocus(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ok, err := chromedp.Run(c, chromedp.Evaluate[bool](`!!document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`))
	if err != nil {
		t.Fatalf("focus: %v", err)
	}
	return ok
}

// tabTo presses Tab until the element matching sel has the focus: what
// someone without a mouse does. The focus order must reach it.
func tabTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	for i := 0; i < 120; i++ {
		if hasFocus(t, ctx, sel) {
			return
		}
		press(t, ctx, "Tab", kb.Tab)
	}
	t.Fatalf("Tab never reaches %s", sel)
}

// focusedSoon reports whether the element matching sel has the focus
// within two seconds: autofocus applies once the page is rendered, which a
// loaded machine may take a moment to do.
func focusedSoon(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	for range 20 {
		if hasFocus(t, ctx, sel) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// A request made with the keyboard alone: sign in, skip to the content,
// open the form, fill it in (the selects by typing), submit with Space.
func TestBrowserKeyboardOnly(t *testing.T) {
	e := webtest.New(t)
	e.User("dev", domain.RoleRequester)
	ctx := browser(t)

	step(t, ctx, "the sign-in page", chromedp.Navigate(e.Srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")))
	if !focusedSoon(t, ctx, "#username") {
		t.Fatal("the sign-in page should start in the username field")
	}
	press(t, ctx, "type the username", "dev")
	press(t, ctx, "to the password", kb.Tab)
	if !hasFocus(t, ctx, "#password") {
		t.Fatal("Tab from the username should reach the password")
	}
	press(t, ctx, "type the password", webtest.Password)
	press(t, ctx, "sign in with Enter", kb.Enter)
	step(t, ctx, "signed in", chromedp.WaitVisible(chromedp.CSS(`[data-testid="whoami"]`)))

	press(t, ctx, "first Tab", kb.Tab)
	if !hasFocus(t, ctx, "a.skip-link") {
		t.Fatal("the first Tab should reach the skip link")
	}
	press(t, ctx, "skip to the content", kb.Enter)
	if !hasFocus(t, ctx, "#main") {
		t.Fatal("the skip link should move the focus to the main content")
	}
	tabTo(t, ctx, `main a[href="/requests/new"]`)
	press(t, ctx, "open the form", kb.Enter)
	step(t, ctx, "the form", chromedp.WaitVisible(chromedp.CSS(`form[data-request-form]`)))

	tabTo(t, ctx, "#f-InstanceName")
	press(t, ctx, "type the name", "kb-cache")
	tabTo(t, ctx, "#f-RegionId")
	press(t, ctx, "choose the region by typing", "cn-hangzhou")
	tabTo(t, ctx, "#f-InstanceClass")
	press(t, ctx, "choose the class by typing", "redis.master.mid")
	tabTo(t, ctx, "#f-Password")
	press(t, ctx, "type the password", "Sup3rSecretPw")
	tabTo(t, ctx, `.actions button.primary`)
	press(t, ctx, "submit with Space", " ")
	step(t, ctx, "the request's page", chromedp.WaitVisible(chromedp.CSS(`h1 [data-status]`)))
	if s := attr(t, ctx, `h1 [data-status]`, "data-status"); s != "pending_approval" {
		t.Fatalf("status %q", s)
	}
	for param, want := range map[string]string{"InstanceName": "kb-cache", "RegionId": "cn-hangzhou", "InstanceClass": "redis.master.mid.default"} {
		if got := text(t, ctx, `[data-param="`+param+`"]`); !strings.Contains(got, want) {
			t.Errorf("%s is %q, want %q", param, got, want)
		}
	}
	checkPage(t, ctx, "keyboard-request")
}
