package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// overflowing names what is wider than the screen: the page itself, or a
// table that scrolls sideways inside it (its last columns out of sight).
const overflowing = `(() => {
	const out = [];
	const root = document.documentElement;
	if (root.scrollWidth > root.clientWidth + 1) out.push('the page: ' + root.scrollWidth + ' px wide in ' + root.clientWidth);
	for (const w of document.querySelectorAll('.table-wrap')) {
		if (w.scrollWidth > w.clientWidth + 1) out.push((w.querySelector('[data-testid]')?.dataset.testid || 'a table') + ': ' + w.scrollWidth + ' px wide in ' + w.clientWidth);
	}
	return out;
})()`

// TestBrowserListsFitTheScreen opens every list page, with long values in
// its rows, on a laptop and on a phone: nothing is wider than the screen
// (no column out of sight, no sideways scrolling), and axe-core finds
// nothing moderate or worse on any of them.
func TestBrowserListsFitTheScreen(t *testing.T) {
	e := webtest.New(t)
	ctx := context.Background()
	admin := e.User("admin", domain.RoleAdmin)
	dev := e.User("developer-with-a-long-name", domain.RoleRequester)
	e.User("approver", domain.RoleApprover)
	pending := e.Request(dev)
	e.Request(dev)
	done := e.Request(dev)
	if _, err := e.St.MoveApproved(ctx, done.ID, admin.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, done.ID, 1, 8, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.St.RecordSuccess(ctx, done.ID, 1, store.Created{InstanceID: "r-56e3f0b1c2d4a5e6", InstanceStatus: "Normal",
		ConnectionDomain: "r-56e3f0b1c2d4a5e6.redis.rds.aliyuncs.com", Port: 6379}); err != nil {
		t.Fatal(err)
	}
	e.Team("platform-reliability", nil, nil, dev)
	b := browser(t)
	base := e.Srv.URL
	signIn(t, b, base, "admin")
	pages := []string{"/requests", "/instances", "/approvals", "/admin/requests", "/audit", "/admin/users",
		"/settings/tokens", "/settings/sessions", "/admin/teams", "/admin/drift", "/admin/policies",
		"/instances/r-56e3f0b1c2d4a5e6", "/instances/r-56e3f0b1c2d4a5e6/change?kind=set_whitelist",
		"/instances/r-56e3f0b1c2d4a5e6/change?kind=modify_spec", "/teams/platform-reliability"}
	for _, s := range screenSizes {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
		if s.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		step(t, b, "resize to "+s.suffix, chromedp.EmulateViewport(s.width, s.height, opts...))
		for _, p := range pages {
			step(t, b, p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")),
				chromedp.Sleep(100*time.Millisecond))
			if wide := evalStrings(t, b, overflowing); len(wide) > 0 {
				t.Errorf("%s at %d px: %s", p, s.width, strings.Join(wide, "; "))
			}
			checkA11y(t, b, p+" at "+s.suffix)
		}

		// The top bar: one row on a laptop, at most three short ones on a
		// phone; the Admin menu opens in place, with nothing off-screen.
		bar := number(t, b, `document.querySelector('.topbar-inner').getBoundingClientRect().height`)
		if limit := map[bool]float64{false: 60, true: 130}[s.mobile]; bar > limit {
			t.Errorf("the top bar is %.0f px high at %d px", bar, s.width)
		}
		step(t, b, "open the Admin menu", chromedp.Click(chromedp.CSS(`[data-testid="admin-menu"] > summary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="admin-menu"] a[href="/audit"]`)))
		if wide := evalStrings(t, b, overflowing); len(wide) > 0 {
			t.Errorf("the open Admin menu at %d px: %s", s.width, strings.Join(wide, "; "))
		}
		checkA11y(t, b, "admin menu at "+s.suffix)

		// A pending request with its Approve… opened.
		step(t, b, "open Approve…", chromedp.Navigate(base+"/requests/"+webtest.Itoa(pending.ID)),
			chromedp.Click(chromedp.CSS(`[data-testid="approve-open"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="approve"]`)))
		checkA11y(t, b, "approve opened at "+s.suffix)

		// The form: "Your request" and the price before Submit.
		step(t, b, "the form", chromedp.Navigate(base+"/requests/new"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="summary"]`)))
		order := number(t, b, `document.querySelector('[data-testid="summary"]').getBoundingClientRect().top -
			document.querySelector('.request-form button.primary[type=submit]').getBoundingClientRect().top`)
		if order >= 0 {
			t.Errorf("at %d px, Your request comes after Submit", s.width)
		}
	}
}

func evalStrings(t *testing.T, ctx context.Context, js string) []string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := chromedp.Run(c, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return out
}

func number(t *testing.T, ctx context.Context, js string) float64 {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := chromedp.Run(c, chromedp.Evaluate[float64](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return out
}
