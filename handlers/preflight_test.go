package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/preflight"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

// withPreflightSim makes the form's pre-flight ask a simulator over HTTP,
// through the SDK, and offers the simulator's catalog.
func withPreflightSim(t *testing.T, sim **simulator.Simulator, api **rkvstore.Client) webtest.Option {
	return func(h *handlers.Handlers) {
		s, err := simulator.New(simulator.Config{AccessKeyID: "pf-key", AccessKeySecret: "pf-secret", Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		c, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: "pf-key",
			AccessKeySecret: "pf-secret", ReadTimeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		h.Workflow.Preflight = preflight.Gate{Checker: c, Logger: h.Logger}
		h.Workflow.Catalog = testfix.StaticCatalog{Cat: s.Catalog()}
		*sim, *api = s, c
	}
}

// simForm is a form the simulator accepts.
func simForm() url.Values {
	return url.Values{
		"InstanceType": {"Redis"}, "EngineVersion": {"4.0"}, "InstanceClass": {testfix.InstanceClass},
		"InstanceName": {"orders-cache"}, "RegionId": {"cn-hangzhou"}, "ZoneId": {"cn-hangzhou-g"},
		"NetworkType": {"Classic"}, "ChargeType": {"PostPaid"}, "Password": {"Sup3rSecretPw"},
	}
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	var sim *simulator.Simulator
	var api *rkvstore.Client
	e := webtest.New(t, withPreflightSim(t, &sim, &api))
	dev, _ := e.SignedIn("dev", domain.RoleRequester)

	// Accepted: the request is stored, says it passed, and nothing was made.
	resp := dev.Post("/requests", simForm())
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", resp.Status, resp.Body)
	}
	r, _ := e.St.Request(context.Background(), webtest.MustID(t, resp.Location()))
	if r.Preflight != domain.PreflightPassed || sim.Calls("CreateInstance") != 1 || len(sim.Instances()) != 0 {
		t.Fatalf("pre-flight %q, %d calls, %d instances", r.Preflight, sim.Calls("CreateInstance"), len(sim.Instances()))
	}

	refused := func(name string, form url.Values, field, code string) {
		t.Helper()
		before := e.CountRequests()
		resp := dev.Post("/requests", form)
		if resp.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", name, resp.Status)
		}
		var msg string
		if field == "" {
			msg = resp.Doc.Find(`[data-testid="form-problem"]`).Text()
		} else {
			msg = resp.Doc.Find("#err-" + field).Text()
			if d, _ := resp.Doc.Find("#f-" + field).Attr("aria-describedby"); !strings.Contains(d, "err-"+field) {
				t.Errorf("%s: the field is not described by its error (%q)", name, d)
			}
		}
		if !strings.Contains(msg, code) || !strings.Contains(msg, "refused") {
			t.Errorf("%s: error %q, want the cloud's %s", name, msg, code)
		}
		if strings.Contains(resp.Body, "Sup3rSecretPw") {
			t.Errorf("%s: the password came back", name)
		}
		if e.CountRequests() != before {
			t.Errorf("%s: a refused request was stored", name)
		}
	}

	sim.SetSoldOut("cn-hangzhou-g")
	refused("zone without stock", simForm(), "ZoneId", "ResourceNotAvailable")
	sim.SetSoldOut()

	if _, err := api.CreateInstance(context.Background(), domain.Params{InstanceClass: testfix.InstanceClass,
		RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-g", ChargeType: "PostPaid", NetworkType: "Classic",
		InstanceType: "Redis", EngineVersion: "4.0", Token: "someone-else"}); err != nil {
		t.Fatal(err)
	}
	sim.SetInstanceQuota(1)
	refused("quota", simForm(), "", "QuotaExceed")
	sim.SetInstanceQuota(0)

	// A token the cloud already used with other parameters.
	form := simForm()
	form.Set("Token", "someone-else")
	refused("token used elsewhere", form, "Token", "IdempotentParameterMismatch")

	// Throttled: queued anyway, and its page says the pre-flight was skipped.
	_ = sim.SetFaults(simulator.Faults{ThrottleRate: 1})
	resp = dev.Post("/requests", simForm())
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("throttled: %d", resp.Status)
	}
	id := webtest.MustID(t, resp.Location())
	if r, _ := e.St.Request(context.Background(), id); r.Preflight != domain.PreflightSkipped {
		t.Errorf("throttled: pre-flight %q", r.Preflight)
	}
	if dev.Get("/requests/"+webtest.Itoa(id)).Doc.Find(`[data-testid="preflight-skipped"]`).Length() != 1 {
		t.Error("the page does not say the pre-flight was skipped")
	}

	// Slow: the form waits for the pre-flight's bound, not for the cloud
	// (a latency far past it, so that a busy machine can't blur the two).
	_ = sim.SetFaults(simulator.Faults{Latency: time.Minute})
	start := time.Now()
	resp = dev.Post("/requests", simForm())
	if took := time.Since(start); resp.Status != http.StatusSeeOther || took > 6*preflight.Timeout {
		t.Errorf("slow cloud: %d after %s", resp.Status, took)
	}
	if r, _ := e.St.Request(context.Background(), webtest.MustID(t, resp.Location())); r.Preflight != domain.PreflightSkipped {
		t.Errorf("slow cloud: pre-flight %q", r.Preflight)
	}
}

// An unknown class, when the catalog could not be loaded to offer the
// real ones, is refused by the cloud beside the class.
func TestPreflightUnknownClass(t *testing.T) {
	t.Parallel()
	var sim *simulator.Simulator
	var api *rkvstore.Client
	e := webtest.New(t, withPreflightSim(t, &sim, &api), webtest.WithCatalog(nil))
	dev, _ := e.SignedIn("dev", domain.RoleRequester)
	form := simForm()
	form.Set("InstanceClass", "redis.master.huge.nonexistent")
	resp := dev.Post("/requests", form)
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown class: %d\n%s", resp.Status, resp.Body)
	}
	if msg := resp.Doc.Find("#err-InstanceClass").Text(); !strings.Contains(msg, "InvalidInstanceClass") {
		t.Errorf("unknown class: %q", msg)
	}
}
