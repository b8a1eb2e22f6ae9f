package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// On a phone (390 px wide), a list of requests is a stack of cards: nothing
// scrolls sideways, Status and InstanceId are in view, and an ID keeps to
// one line.
func TestBrowserPhoneCards(t *testing.T) {
	e := webtest.New(t)
	ctx := context.Background()
	dev := e.User("phone-dev", domain.RoleRequester)
	appr := e.User("phone-appr", domain.RoleApprover)
	r := e.Request(dev)
	if _, err := e.St.MoveApproved(ctx, r.ID, appr.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, r.ID, 1, 8, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.St.RecordSuccess(ctx, r.ID, 1, store.Created{InstanceID: "r-bp1zxszhcgatnx2lei64c59", InstanceName: "orders-cache-primary",
		InstanceStatus: "Normal", ConnectionDomain: "r-bp1zxszhcgatnx2lei64c59.redis.rds.aliyuncs.com", Port: 6379}); err != nil {
		t.Fatal(err)
	}
	e.Request(dev) // and one still pending

	b := browser(t)
	signIn(t, b, e.Srv.URL, "phone-dev")
	step(t, b, "a phone's screen, the history",
		chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile),
		chromedp.Navigate(e.Srv.URL+"/requests"),
		chromedp.WaitVisible(chromedp.CSS(`table.cards`)),
		chromedp.Sleep(100*time.Millisecond))
	checkPage(t, b, "phone-requests")

	c, cancel := context.WithTimeout(b, 20*time.Second)
	defer cancel()
	inView := func(sel string) bool {
		t.Helper()
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](`(function(){var els=document.querySelectorAll(`+jsString(sel)+`);
			if(!els.length) return false;
			for(var i=0;i<els.length;i++){var r=els[i].getBoundingClientRect();
				if(r.width===0||r.left<0||r.right>window.innerWidth) return false;}
			return true;})()`))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return ok
	}
	for _, sel := range []string{`table.cards [data-status]`, `table.cards td[data-label="InstanceId"]`} {
		if !inView(sel) {
			t.Errorf("%s is not within the phone's width", sel)
		}
	}
	wide, err := chromedp.Run(c, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Errorf("the page scrolls sideways on a phone (%v)", err)
	}
	// The cell says what it is, as the column's header would.
	label, err := chromedp.Run(c, chromedp.Evaluate[string](
		`getComputedStyle(document.querySelector('table.cards td[data-label="InstanceId"]'), '::before').content`))
	if err != nil || label != `"InstanceId"` {
		t.Errorf("InstanceId card label %q (%v)", label, err)
	}
	oneLine, err := chromedp.Run(c, chromedp.Evaluate[bool](`(function(){
		var td=[].find.call(document.querySelectorAll('table.cards td[data-label="InstanceId"]'), function(td){return td.textContent.trim().indexOf('r-')===0;});
		var range=document.createRange(); range.selectNodeContents(td);
		var tops={}; [].forEach.call(range.getClientRects(), function(r){ if(r.width>0) tops[Math.round(r.top)]=1; });
		return Object.keys(tops).length===1;})()`))
	if err != nil || !oneLine {
		t.Errorf("the InstanceId wraps on a phone (%v)", err)
	}

	step(t, b, "the request's page on the phone",
		chromedp.Navigate(e.Srv.URL+"/requests/"+webtest.Itoa(r.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-param="InstanceId"]`)))
	checkA11y(t, b, "phone-request")
	oneLine, err = chromedp.Run(c, chromedp.Evaluate[bool](`(function(){
		var dd=document.querySelector('[data-param="InstanceId"]');
		var range=document.createRange(); range.selectNodeContents(dd);
		var tops={}; [].forEach.call(range.getClientRects(), function(r){ if(r.width>0) tops[Math.round(r.top)]=1; });
		return Object.keys(tops).length===1;})()`))
	if err != nil || !oneLine {
		t.Errorf("the InstanceId wraps on the request's page (%v)", err)
	}
}

// "Estimate price" with the script: the price shows beside the button and
// takes the focus, the page stays, and the password typed is still there.
func TestBrowserEstimateKeepsPassword(t *testing.T) {
	e := webtest.New(t, webtest.WithFormPrices(t))
	e.User("estimator", domain.RoleRequester)
	b := browser(t)
	signIn(t, b, e.Srv.URL, "estimator")
	step(t, b, "fill in the form",
		chromedp.Navigate(e.Srv.URL+"/requests/new"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-request-form]`)),
		choose("RegionId", "cn-hangzhou"),
		choose("InstanceClass", testfix.InstanceClass),
		chromedp.SendKeys(chromedp.CSS("#f-Password"), "Sup3rSecretPw"),
		chromedp.SendKeys(chromedp.CSS("#f-InstanceName"), "priced-cache"),
	)
	if got := text(t, b, `dd[data-summary="InstanceName"]`); got != "priced-cache" {
		t.Errorf("the summary says %q for the name as typed", got)
	}
	step(t, b, "estimate",
		chromedp.Click(chromedp.CSS(`button[data-estimate]`)),
		chromedp.WaitVisible(chromedp.CSS(`#price strong`)),
	)
	if got := text(t, b, `#price`); !strings.Contains(got, "a month (billed by the hour)") {
		t.Errorf("price %q", got)
	}
	c, cancel := context.WithTimeout(b, 20*time.Second)
	defer cancel()
	state, err := chromedp.Run(c, chromedp.Evaluate[[]string](`[location.pathname, document.getElementById('f-Password').value, document.activeElement.id]`))
	if err != nil || len(state) != 3 || state[0] != "/requests/new" || state[1] != "Sup3rSecretPw" || state[2] != "price" {
		t.Errorf("after the estimate: page, password kept, focus = %q (%v)", state, err)
	}
	checkPage(t, b, "form-estimated")
	if e.CountRequests() != 0 {
		t.Error("an estimate stored a request")
	}
}
