package rkvstore_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

const (
	testKeyID    = "test-key-id"
	testSecret   = "test-key-secret"
	testPassword = "Qa123456"
)

// startSim serves a simulator configured by cfg (its key pair set here) on
// 127.0.0.1 and returns it with its endpoint.
func startSim(t *testing.T, cfg simulator.Config) (*simulator.Simulator, string) {
	t.Helper()
	cfg.AccessKeyID, cfg.AccessKeySecret = testKeyID, testSecret
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// newClient returns a client of endpoint with the test key pair, adjusted by
// adjust when given.
func newClient(t *testing.T, endpoint string, adjust ...func(*rkvstore.ClientConfig)) *rkvstore.Client {
	t.Helper()
	cfg := rkvstore.ClientConfig{Endpoint: endpoint, AccessKeyID: testKeyID, AccessKeySecret: testSecret}
	for _, f := range adjust {
		f(&cfg)
	}
	c, err := rkvstore.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setup starts a simulator and a client of it.
func setup(t *testing.T, cfg simulator.Config) (*simulator.Simulator, *rkvstore.Client) {
	t.Helper()
	sim, endpoint := startSim(t, cfg)
	return sim, newClient(t, endpoint)
}

// validParams returns validated parameters of a small Redis instance in
// cn-hangzhou-h, with a fresh token, adjusted by adjust.
func validParams(t *testing.T, sim *simulator.Simulator, adjust func(domain.Input)) domain.Params {
	t.Helper()
	in := testfix.Input(func(in domain.Input) { in["Password"], in["Token"] = testPassword, domain.NewToken() })
	if adjust != nil {
		adjust(in)
	}
	return testfix.Valid(t, in, sim.Catalog())
}

// wantAPIError checks that err is an *APIError of the class and code.
func wantAPIError(t *testing.T, err error, class rkvstore.ErrorClass, code string) *rkvstore.APIError {
	t.Helper()
	var apiErr *rkvstore.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	if apiErr.Class != class || (code != "" && apiErr.Code != code) {
		t.Fatalf("error = %v, want class %s code %q", apiErr, class, code)
	}
	return apiErr
}

func TestNewClientEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"https://r-kvstore.aliyuncs.com", true},
		{"https://r-kvstore.aliyuncs.com:443/", true},
		{"http://127.0.0.1:9400", true},
		{"http://127.1.2.3:9400", true},
		{"http://localhost:9400", true},
		{"http://[::1]:9400", true},
		{"http://r-kvstore.aliyuncs.com", false},
		{"http://10.0.0.5:9400", false},
		{"http://0.0.0.0:9400", false},
		{"http://localhost.evil.example", false},
		{"ftp://127.0.0.1", false},
		{"r-kvstore.aliyuncs.com", false},
		{"https://r-kvstore.aliyuncs.com/path", false},
		{"https://user:pw@r-kvstore.aliyuncs.com", false},
		{"", false},
	}
	for _, tt := range tests {
		_, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: tt.endpoint, AccessKeyID: "id", AccessKeySecret: "secret"})
		if (err == nil) != tt.ok {
			t.Errorf("NewClient(%q) error = %v, want ok %v", tt.endpoint, err, tt.ok)
		}
	}
	_, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: "http://r-kvstore.aliyuncs.com", AccessKeyID: "id", AccessKeySecret: "secret"})
	if err == nil || !strings.Contains(err.Error(), "https://") || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error for http:// to a remote host = %v, want it to explain https and loopback", err)
	}
}

func TestNewClientNeedsCredentials(t *testing.T) {
	t.Parallel()
	for _, cfg := range []rkvstore.ClientConfig{
		{Endpoint: "https://r-kvstore.aliyuncs.com", AccessKeySecret: "secret"},
		{Endpoint: "https://r-kvstore.aliyuncs.com", AccessKeyID: "id"},
	} {
		if _, err := rkvstore.NewClient(cfg); err == nil || !strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY") {
			t.Errorf("NewClient without credentials: error = %v", err)
		}
	}
}

func TestClientConfigHidesSecret(t *testing.T) {
	t.Parallel()
	cfg := rkvstore.ClientConfig{Endpoint: "https://x", AccessKeyID: "id", AccessKeySecret: "very-secret"}
	for _, s := range []string{cfg.String(), cfg.GoString()} {
		if strings.Contains(s, "very-secret") {
			t.Errorf("config printed with its secret: %s", s)
		}
	}
}

func TestCreateInstance(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{CreatingDelay: time.Hour})
	var mu sync.Mutex
	var sent url.Values
	sim.CallHook(func(action string, form url.Values) {
		if action == "CreateInstance" {
			mu.Lock()
			sent = form
			mu.Unlock()
		}
	})
	p := validParams(t, sim, nil)
	res, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^r-[0-9a-f]{16}$`).MatchString(res.InstanceId) {
		t.Errorf("InstanceId = %q, want r- and 16 hex digits", res.InstanceId)
	}
	if res.InstanceName != "orders-cache" || res.InstanceStatus != "Creating" || res.RequestId == "" ||
		res.RegionId != "cn-hangzhou" || res.ZoneId != "cn-hangzhou-h" || res.Port != 6379 || res.ConnectionDomain == "" {
		t.Errorf("result = %+v", res)
	}

	mu.Lock()
	defer mu.Unlock()
	for name, want := range map[string]string{
		"Token": p.Token, "Password": testPassword, "InstanceClass": p.InstanceClass, "RegionId": "cn-hangzhou",
		"ZoneId": "cn-hangzhou-h", "NetworkType": "CLASSIC", "ChargeType": "PostPaid", "InstanceType": "Redis",
		"EngineVersion": "2.8", "InstanceName": "orders-cache", "Port": "6379",
	} {
		if got := sent.Get(name); got != want {
			t.Errorf("sent %s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"Period", "VpcId", "VSwitchId", "PrivateIpAddress", "PrivateIp", "BackupId", "SrcDBInstanceId"} {
		if sent.Has(name) {
			t.Errorf("sent %s = %q, want it not sent", name, sent.Get(name))
		}
	}
}

func TestCreateInstanceVPCPrePaid(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	var mu sync.Mutex
	var sent url.Values
	sim.CallHook(func(action string, form url.Values) {
		mu.Lock()
		defer mu.Unlock()
		sent = form
	})
	p := validParams(t, sim, func(in domain.Input) {
		in["NetworkType"], in["VpcId"], in["VSwitchId"], in["PrivateIp"] = "VPC", "vpc-bp1abc", "vsw-bp1def", "172.16.0.10"
		in["ChargeType"], in["Period"] = "PrePaid", "12"
		in["Port"] = "6380"
	})
	res, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for name, want := range map[string]string{
		"NetworkType": "VPC", "VpcId": "vpc-bp1abc", "VSwitchId": "vsw-bp1def",
		"PrivateIpAddress": "172.16.0.10", "ChargeType": "PrePaid", "Period": "12", "Port": "6380",
	} {
		if got := sent.Get(name); got != want {
			t.Errorf("sent %s = %q, want %q", name, got, want)
		}
	}
	if sent.Has("PrivateIp") {
		t.Error("PrivateIp sent under the form's name, want PrivateIpAddress")
	}
	insts := sim.Instances()
	if len(insts) != 1 || insts[0].InstanceId != res.InstanceId || insts[0].PrivateIp != "172.16.0.10" ||
		insts[0].NetworkType != domain.NetworkVPC || insts[0].Period != 12 || insts[0].Port != 6380 || res.Port != 6380 {
		t.Errorf("instances = %+v", insts)
	}
}

func TestCreateInstanceMemcacheAndDefaultName(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	p := validParams(t, sim, func(in domain.Input) {
		in["InstanceName"] = ""
		in["InstanceType"], in["InstanceClass"] = "Memcache", "memcache.master.small.default"
	})
	res, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^m-[0-9a-f]{16}$`).MatchString(res.InstanceId) {
		t.Errorf("InstanceId = %q, want m- and 16 hex digits", res.InstanceId)
	}
	if res.InstanceName != res.InstanceId {
		t.Errorf("InstanceName = %q, want the InstanceId %q when none is given", res.InstanceName, res.InstanceId)
	}
}

func TestCreateInstanceRefused(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	base := validParams(t, sim, nil)
	tests := []struct {
		name   string
		adjust func(*domain.Params)
		code   string
		param  string
	}{
		{"no class", func(p *domain.Params) { p.InstanceClass = "" }, "MissingParameter", "InstanceClass"},
		{"no region", func(p *domain.Params) { p.RegionId = "" }, "MissingParameter", "RegionId"},
		{"class not sold in the zone", func(p *domain.Params) {
			p.ZoneId, p.InstanceClass = "cn-hangzhou-b", "redis.master.4xlarge.default"
		}, "InvalidParameter", "InstanceClass"},
		{"weak password", func(p *domain.Params) { p.Password = "weakpassword" }, "InvalidParameter", "Password"},
		{"VPC without VpcId", func(p *domain.Params) { p.NetworkType = domain.NetworkVPC }, "MissingParameter", "VpcId"},
		{"private IP on classic", func(p *domain.Params) { p.PrivateIp = "10.0.0.1" }, "InvalidParameter", "PrivateIpAddress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := base
			p.Token = domain.NewToken()
			tt.adjust(&p)
			_, err := client.CreateInstance(t.Context(), p)
			apiErr := wantAPIError(t, err, rkvstore.Permanent, tt.code)
			if !strings.Contains(apiErr.Message, `"`+tt.param+`"`) {
				t.Errorf("message %q does not name %s", apiErr.Message, tt.param)
			}
			if strings.Contains(apiErr.Error(), p.Password) {
				t.Errorf("error shows the password: %v", apiErr)
			}
			if sim.CountByToken(p.Token) != 0 {
				t.Error("a refused request made an instance")
			}
		})
	}
}

func TestCreateInstanceIdempotent(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	p := validParams(t, sim, nil)
	first, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	again, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if again.InstanceId != first.InstanceId || again.InstanceName != first.InstanceName {
		t.Errorf("replay made %s/%s, want %s/%s", again.InstanceId, again.InstanceName, first.InstanceId, first.InstanceName)
	}
	if n := sim.CountByToken(p.Token); n != 1 {
		t.Errorf("CountByToken = %d, want 1", n)
	}

	other := p
	other.InstanceClass = "redis.master.mid.default"
	_, err = client.CreateInstance(t.Context(), other)
	wantAPIError(t, err, rkvstore.Permanent, "IdempotentParameterMismatch")
	if n := sim.CountByToken(p.Token); n != 1 || len(sim.Instances()) != 1 {
		t.Errorf("after a mismatched replay: CountByToken = %d, instances %d, want 1 and 1", n, len(sim.Instances()))
	}
}

func TestCreateInstanceConcurrentSameToken(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	p := validParams(t, sim, nil)
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			res, err := client.CreateInstance(t.Context(), p)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = res.InstanceId
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("ids %v differ", ids)
			break
		}
	}
	if n := sim.CountByToken(p.Token); n != 1 {
		t.Errorf("CountByToken = %d, want 1", n)
	}
}

func TestDescribeRegions(t *testing.T) {
	t.Parallel()
	_, client := setup(t, simulator.Config{})
	regions, err := client.DescribeRegions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]domain.Region{}
	for _, r := range regions {
		byID[r.RegionId] = r
	}
	for _, id := range []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1", "eu-central-1", "us-west-1"} {
		r, ok := byID[id]
		if !ok || r.LocalName == "" || len(r.Zones) < 2 || len(r.Zones) > 4 {
			t.Errorf("region %s = %+v, want it with a name and 2 to 4 zones", id, r)
		}
	}
	if z := byID["cn-hangzhou"].Zones; !containsZone(z, "cn-hangzhou-h") {
		t.Errorf("cn-hangzhou zones = %+v, want cn-hangzhou-h among them", z)
	}
}

func containsZone(zones []domain.Zone, id string) bool {
	for _, z := range zones {
		if z.ZoneId == id {
			return true
		}
	}
	return false
}

func TestDescribeAvailableResource(t *testing.T) {
	t.Parallel()
	_, client := setup(t, simulator.Config{})
	offers, err := client.DescribeAvailableResource(t.Context(), "cn-hangzhou", "")
	if err != nil {
		t.Fatal(err)
	}
	has := func(zone, typ, version, class string) bool {
		for _, o := range offers {
			if o.RegionId == "cn-hangzhou" && o.ZoneId == zone && o.InstanceType == typ && o.EngineVersion == version && o.InstanceClass == class {
				return true
			}
		}
		return false
	}
	if !has("cn-hangzhou-h", "Redis", "4.0", "redis.master.4xlarge.default") {
		t.Error("cn-hangzhou-h lacks redis.master.4xlarge.default 4.0")
	}
	if has("cn-hangzhou-b", "Redis", "4.0", "redis.master.4xlarge.default") {
		t.Error("cn-hangzhou-b offers redis.master.4xlarge.default, want the catalog not uniform")
	}
	if !has("cn-hangzhou-h", "Memcache", "2.8", "memcache.master.small.default") {
		t.Error("no Memcache in cn-hangzhou-h")
	}
	for _, o := range offers {
		if o.InstanceClass == "redis.master.mid.default" && o.CapacityMB != 2048 {
			t.Errorf("mid capacity = %d MB, want 2048", o.CapacityMB)
		}
	}

	memcache, err := client.DescribeAvailableResource(t.Context(), "cn-hangzhou", domain.TypeMemcache)
	if err != nil {
		t.Fatal(err)
	}
	if len(memcache) == 0 {
		t.Fatal("no Memcache offers")
	}
	for _, o := range memcache {
		if o.InstanceType != domain.TypeMemcache {
			t.Errorf("asked for Memcache, got %+v", o)
		}
	}

	_, err = client.DescribeAvailableResource(t.Context(), "xx-nowhere-1", "")
	wantAPIError(t, err, rkvstore.Permanent, "InvalidRegionId.NotFound")
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	cat, err := client.Catalog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := sim.Catalog()
	if len(cat.Regions) != len(want.Regions) || len(cat.Offers) != len(want.Offers) {
		t.Fatalf("catalog has %d regions and %d offers, want %d and %d", len(cat.Regions), len(cat.Offers), len(want.Regions), len(want.Offers))
	}
	wantOffers := map[domain.Offer]bool{}
	for _, o := range want.Offers {
		wantOffers[o] = true
	}
	for _, o := range cat.Offers {
		if !wantOffers[o] {
			t.Errorf("unexpected offer %+v", o)
		}
	}
	r, ok := cat.Region("cn-hangzhou")
	if !ok || r.Zones[0].LocalName == "" {
		t.Errorf("cn-hangzhou = %+v, want zones with names", r)
	}
	if cat.FetchedAt.IsZero() || cat.Stale {
		t.Errorf("FetchedAt %v, Stale %v", cat.FetchedAt, cat.Stale)
	}
	if got := cat.EngineVersions(domain.TypeRedis); strings.Join(got, ",") != "2.8,4.0,5.0" {
		t.Errorf("Redis engine versions = %v", got)
	}
}

func TestDescribeInstanceAttribute(t *testing.T) {
	t.Parallel()
	clk := testfix.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	sim, client := setup(t, simulator.Config{CreatingDelay: time.Minute, Clock: clk})
	res, err := client.CreateInstance(t.Context(), validParams(t, sim, nil))
	if err != nil {
		t.Fatal(err)
	}
	attr, err := client.DescribeInstanceAttribute(t.Context(), "cn-hangzhou", res.InstanceId)
	if err != nil {
		t.Fatal(err)
	}
	if attr.InstanceStatus != "Creating" || attr.InstanceId != res.InstanceId || attr.InstanceName != "orders-cache" ||
		attr.RegionId != "cn-hangzhou" || attr.ZoneId != "cn-hangzhou-h" || attr.RequestId == "" {
		t.Errorf("attribute = %+v, want it Creating", attr)
	}
	clk.Advance(time.Minute)
	attr, err = client.DescribeInstanceAttribute(t.Context(), "cn-hangzhou", res.InstanceId)
	if err != nil {
		t.Fatal(err)
	}
	if attr.InstanceStatus != "Normal" {
		t.Errorf("status after the creating delay = %q, want Normal", attr.InstanceStatus)
	}

	_, err = client.DescribeInstanceAttribute(t.Context(), "cn-hangzhou", "r-0000000000000000")
	wantAPIError(t, err, rkvstore.Permanent, rkvstore.CodeInstanceNotFound)
}

func TestDescribePrice(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	hourly, err := client.DescribePrice(t.Context(), validParams(t, sim, nil))
	if err != nil {
		t.Fatal(err)
	}
	if hourly.Currency == "" || hourly.TradeAmount <= 0 {
		t.Errorf("PostPaid price = %+v", hourly)
	}
	yearly, err := client.DescribePrice(t.Context(), validParams(t, sim, func(in domain.Input) { in["ChargeType"], in["Period"] = "PrePaid", "12" }))
	if err != nil {
		t.Fatal(err)
	}
	if yearly.TradeAmount >= yearly.OriginalPrice || yearly.TradeAmount <= hourly.TradeAmount {
		t.Errorf("PrePaid 12 months = %+v, want discounted and above the hourly %v", yearly, hourly.TradeAmount)
	}
	again, err := client.DescribePrice(t.Context(), validParams(t, sim, func(in domain.Input) { in["ChargeType"], in["Period"] = "PrePaid", "12" }))
	if err != nil || again != yearly {
		t.Errorf("price not deterministic: %+v then %+v (%v)", yearly, again, err)
	}
	bigger, err := client.DescribePrice(t.Context(), validParams(t, sim, func(in domain.Input) { in["InstanceClass"] = "redis.master.large.default" }))
	if err != nil || bigger.TradeAmount <= hourly.TradeAmount {
		t.Errorf("8 GB price %+v not above 1 GB %+v (%v)", bigger, hourly, err)
	}
}

func TestWrongCredentialsRefused(t *testing.T) {
	t.Parallel()
	sim, endpoint := startSim(t, simulator.Config{})
	p := validParams(t, sim, nil)

	wrongSecret := newClient(t, endpoint, func(c *rkvstore.ClientConfig) { c.AccessKeySecret = "not-the-secret" })
	_, err := wrongSecret.CreateInstance(t.Context(), p)
	apiErr := wantAPIError(t, err, rkvstore.Permanent, "SignatureDoesNotMatch")
	if apiErr.HTTPStatus != 400 || apiErr.RequestId == "" {
		t.Errorf("error = %+v, want HTTP 400 with a RequestId", apiErr)
	}
	if text := apiErr.Error() + apiErr.Message; strings.Contains(text, testPassword) || strings.Contains(text, "string to sign") {
		t.Errorf("error shows what was signed, Password included: %v", apiErr)
	}

	wrongKey := newClient(t, endpoint, func(c *rkvstore.ClientConfig) { c.AccessKeyID = "someone-else" })
	_, err = wrongKey.DescribeRegions(t.Context())
	apiErr = wantAPIError(t, err, rkvstore.Permanent, "InvalidAccessKeyId.NotFound")
	if apiErr.HTTPStatus != 404 {
		t.Errorf("HTTP status = %d, want 404", apiErr.HTTPStatus)
	}
	if len(sim.Instances()) != 0 {
		t.Error("an unauthenticated call made an instance")
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	_, client := setup(t, simulator.Config{Latency: 150 * time.Millisecond})
	start := time.Now()
	if _, err := client.DescribeRegions(t.Context()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("call took %s, want at least the 150ms latency", took)
	}
}

func TestFaultThrottle(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{ThrottleRate: 1})
	p := validParams(t, sim, nil)
	_, err := client.CreateInstance(t.Context(), p)
	apiErr := wantAPIError(t, err, rkvstore.Retryable, "Throttling.User")
	if apiErr.HTTPStatus != 400 {
		t.Errorf("HTTP status = %d, want 400", apiErr.HTTPStatus)
	}
	if sim.CountByToken(p.Token) != 0 {
		t.Error("a throttled call made an instance")
	}
	if err := sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateInstance(t.Context(), p); err != nil {
		t.Errorf("after the throttling stopped: %v", err)
	}
}

func TestFaultServerError(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{ErrorRate: 1})
	seen := map[string]bool{}
	for range 12 {
		_, err := client.DescribeRegions(t.Context())
		apiErr := wantAPIError(t, err, rkvstore.Retryable, "")
		if apiErr.HTTPStatus < 500 || (apiErr.Code != "ServiceUnavailable" && apiErr.Code != "InternalError") {
			t.Fatalf("error = %+v, want a 5xx ServiceUnavailable or InternalError", apiErr)
		}
		seen[apiErr.Code] = true
	}
	if len(seen) != 2 {
		t.Errorf("codes seen %v, want both 503 and 500 errors", seen)
	}
	if sim.Calls("DescribeRegions") != 12 {
		t.Errorf("Calls = %d, want 12", sim.Calls("DescribeRegions"))
	}
}

func TestFaultLostResponse(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{LostRate: 1})
	p := validParams(t, sim, nil)
	_, err := client.CreateInstance(t.Context(), p)
	wantAPIError(t, err, rkvstore.OutcomeUnknown, "")
	insts := sim.Instances()
	if len(insts) != 1 || sim.CountByToken(p.Token) != 1 {
		t.Fatalf("instances = %+v, want the instance made despite the lost response", insts)
	}

	if err := sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	res, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.InstanceId != insts[0].InstanceId {
		t.Errorf("retry returned %s, want the instance the lost call made, %s", res.InstanceId, insts[0].InstanceId)
	}
	if n := sim.CountByToken(p.Token); n != 1 {
		t.Errorf("CountByToken = %d, want exactly 1", n)
	}
}

// slowSim is a simulator latency no call of these tests waits for: a call
// that returns well before it was cut off, on however busy a machine. The
// simulator stops waiting when the client goes away, so tests end at once.
const slowSim = time.Minute

func TestClientTimeout(t *testing.T) {
	t.Parallel()
	sim, endpoint := startSim(t, simulator.Config{Latency: slowSim})
	client := newClient(t, endpoint, func(c *rkvstore.ClientConfig) { c.ReadTimeout = 200 * time.Millisecond })
	start := time.Now()
	_, err := client.CreateInstance(t.Context(), validParams(t, sim, nil))
	wantAPIError(t, err, rkvstore.OutcomeUnknown, rkvstore.CodeTimeout)
	if took := time.Since(start); took > slowSim/2 {
		t.Errorf("call took %s, want it cut off by the 200ms read timeout", took)
	}
}

func TestContextEnds(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{Latency: slowSim})

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := client.DescribeRegions(ctx)
	wantAPIError(t, err, rkvstore.OutcomeUnknown, "")
	if took := time.Since(start); took > slowSim/2 {
		t.Errorf("call took %s, want it cut off by the context", took)
	}

	done, cancelDone := context.WithCancel(t.Context())
	cancelDone()
	_, err = client.CreateInstance(done, validParams(t, sim, nil))
	wantAPIError(t, err, rkvstore.Retryable, rkvstore.CodeNotSent)
	if n := sim.Calls("CreateInstance"); n != 0 {
		t.Errorf("a call with an ended context reached the simulator (%d calls)", n)
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	client := newClient(t, endpoint)
	_, err = client.DescribeRegions(t.Context())
	wantAPIError(t, err, rkvstore.Retryable, rkvstore.CodeConnectionFailed)
}

func TestCreateInstanceUnicodeName(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	p := validParams(t, sim, func(in domain.Input) { in["InstanceName"] = "订单缓存Cache" })
	res, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatalf("a name with Chinese characters: %v", err)
	}
	if res.InstanceName != "订单缓存Cache" {
		t.Errorf("InstanceName = %q", res.InstanceName)
	}
}

// TestSDKClientsReused: the SDK clients kept between calls carry nothing of
// the call before. A call cut off by its caller's deadline is followed, on
// the same region, by calls without one that succeed; calls from many
// goroutines at once each get a client no other call is using (-race).
func TestSDKClientsReused(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})

	if err := sim.SetFaults(simulator.Faults{Latency: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := client.CheckCreate(ctx, validParams(t, sim, nil))
	wantAPIError(t, err, rkvstore.OutcomeUnknown, rkvstore.CodeTimeout)
	if err := sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 4 {
				if err := client.CheckCreate(t.Context(), validParams(t, sim, nil)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	// A region the SDK refuses is refused on every call, never kept.
	for range 2 {
		p := validParams(t, sim, nil)
		p.RegionId = "cn hangzhou"
		wantAPIError(t, client.CheckCreate(t.Context(), p), rkvstore.Permanent, rkvstore.CodeNotSent)
	}
}
