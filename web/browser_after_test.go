package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// The requester finds the connection address on My instances and copies it
// with the Copy button; the request's page shows it too.
func TestBrowserConnectionAddress(t *testing.T) {
	e := webtest.New(t, webtest.WithProvisioner(t))
	dev := e.User("dev", domain.RoleRequester)
	ann := e.User("ann", domain.RoleApprover)
	r := e.Request(dev)
	if _, err := e.St.MoveApproved(context.Background(), r.ID, ann.ID, e.H.Workflow.Enqueue); err != nil {
		t.Fatal(err)
	}
	done := e.WaitStatus(r.ID, domain.StatusSucceeded)
	if done.Address() == "" {
		t.Fatal("no address recorded")
	}
	ctx := browser(t)
	base := e.Srv.URL
	input := `#address-` + webtest.Itoa(r.ID)

	signIn(t, ctx, base, "dev")
	step(t, ctx, "open My instances",
		chromedp.Click(chromedp.CSS(`nav a[href="/instances"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table[data-testid="instances"]`)),
		chromedp.WaitVisible(chromedp.CSS(input)),
	)
	if v := attr(t, ctx, input, "value"); v != done.Address() {
		t.Fatalf("address %q, want %q", v, done.Address())
	}
	// What the button hands to the clipboard is recorded: a headless
	// browser's clipboard cannot be read back without a permission prompt.
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Evaluate[bool](`(function(){window.copied="";
		navigator.clipboard.writeText=function(t){window.copied=t;return Promise.resolve();};return true;})()`)); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "copy the address",
		chromedp.Click(chromedp.CSS(`button[data-copy="address-`+webtest.Itoa(r.ID)+`"]`)),
	)
	var copied string
	var err error
	for range 100 { // the copy settles after the click's promise
		if copied, err = chromedp.Run(c, chromedp.Evaluate[string](`window.copied`)); err != nil || copied != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || copied != done.Address() {
		t.Errorf("copied %q (%v), want %q", copied, err, done.Address())
	}
	selected, err := chromedp.Run(c, chromedp.Evaluate[string](
		`(function(){var i=document.querySelector('`+input+`');return i.value.substring(i.selectionStart,i.selectionEnd);})()`))
	if err != nil || selected != done.Address() {
		t.Errorf("selected %q (%v): the address should be selected for a keyboard copy too", selected, err)
	}
	screenshot(t, ctx, "instances")

	// The list leads to the instance's page, which lists its requests.
	step(t, ctx, "open the instance, then its request",
		chromedp.Click(chromedp.CSS(`tr[data-request-id="`+webtest.Itoa(r.ID)+`"] a[href="/instances/`+done.InstanceID+`"]`)),
		chromedp.Click(chromedp.CSS(`main a[href="/requests/`+webtest.Itoa(r.ID)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection"] `+input)),
	)
	if v := attr(t, ctx, input, "value"); v != done.Address() {
		t.Errorf("request page address %q", v)
	}
}
