package web_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// axeSource is axe-core, vendored in testdata for the tests only.
var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile("testdata/axe.min.js") })

// axeFinding is one rule an element breaks, as axe-core reports it.
type axeFinding struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRun runs every axe-core rule on the page in view and keeps the
// moderate, serious and critical findings (what keeps someone from using
// the page, or finding their way in it); the
// script is added through the DevTools protocol, which the page's
// Content-Security-Policy does not govern.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
	.filter(v => v.impact === 'moderate' || v.impact === 'serious' || v.impact === 'critical')
	.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`

// checkA11y fails the test on every moderate, serious or critical axe-core finding on
// the page in view.
func checkA11y(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	loaded, err := chromedp.Run(c, chromedp.Evaluate[bool](`typeof axe === 'object'`))
	if err == nil && !loaded {
		_, err = chromedp.Run(c, chromedp.Evaluate[chromedp.Void](string(src)))
	}
	if err != nil {
		t.Fatalf("%s: load axe-core: %v", page, err)
	}
	findings, err := chromedp.Run(c, chromedp.Evaluate[[]axeFinding](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe-core: %v", page, err)
	}
	for _, f := range findings {
		t.Errorf("%s: %s (%s): %s\n\t%s", page, f.ID, f.Impact, f.Help, strings.Join(f.Nodes, "\n\t"))
	}
}

// checkPage is what every page the browser tests reach goes through: the
// accessibility check, then a screenshot for whoever reads the results.
func checkPage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	checkA11y(t, ctx, name)
	screenshot(t, ctx, name)
}

// The pages no journey reaches: a failed sign-in, a page of another role
// (403), a request that does not exist (404).
func TestBrowserErrorPagesAccessible(t *testing.T) {
	e := webtest.New(t)
	e.User("dev", domain.RoleRequester)
	ctx := browser(t)
	base := e.Srv.URL

	step(t, ctx, "a wrong password",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "dev"),
		chromedp.SendKeys(chromedp.CSS("#password"), "not-the-password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-error"]`)),
	)
	checkPage(t, ctx, "sign-in-failed")
	signIn(t, ctx, base, "dev")
	for _, p := range []struct{ path, code string }{{"/approvals", "403"}, {"/requests/999999", "404"}} {
		step(t, ctx, p.path,
			chromedp.Navigate(base+p.path),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-page"][data-code="`+p.code+`"]`)),
		)
		checkPage(t, ctx, "error-"+p.code)
	}
}

// The pages the journeys pass by, each as it first shows: an admin's
// settings, instances, drift, teams and policies pages, with axe-core.
func TestBrowserOtherPagesAccessible(t *testing.T) {
	e := webtest.New(t)
	e.User("boss", domain.RoleAdmin)
	ctx := browser(t)
	base := e.Srv.URL

	signIn(t, ctx, base, "boss")
	for _, p := range []struct{ path, name string }{
		{"/settings/sessions", "sessions"}, {"/instances", "instances"}, {"/admin/drift", "drift"},
		{"/admin/teams", "teams"}, {"/admin/policies", "policies"}, {"/admin/users", "users-admin"},
	} {
		step(t, ctx, p.path,
			chromedp.Navigate(base+p.path),
			chromedp.WaitVisible(chromedp.CSS("main h1")),
		)
		checkPage(t, ctx, p.name)
	}
}
