package simulator_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

const (
	keyID    = "sim-test-key"
	secret   = "sim-test-secret"
	password = "Qa123456"
)

func config(statePath string) simulator.Config {
	return simulator.Config{AccessKeyID: keyID, AccessKeySecret: secret, StatePath: statePath, Seed: 42}
}

// serve serves sim on 127.0.0.1 and returns a client of it.
func serve(t *testing.T, sim *simulator.Simulator) *rkvstore.Client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: keyID, AccessKeySecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func params(t *testing.T, sim *simulator.Simulator) domain.Params {
	t.Helper()
	p, problems := domain.Validate(domain.Input{
		"InstanceClass": "redis.master.mid.default", "RegionId": "cn-shanghai", "Password": password, "Token": domain.NewToken(),
	}, sim.Catalog())
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return p
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]simulator.Config{
		"no key":           {AccessKeySecret: secret},
		"no secret":        {AccessKeyID: keyID},
		"rate above 1":     {AccessKeyID: keyID, AccessKeySecret: secret, LostRate: 1.5},
		"negative rate":    {AccessKeyID: keyID, AccessKeySecret: secret, ErrorRate: -0.1},
		"negative latency": {AccessKeyID: keyID, AccessKeySecret: secret, Latency: -time.Second},
		"negative quota":   {AccessKeyID: keyID, AccessKeySecret: secret, InstanceQuota: -1},
	} {
		if _, err := simulator.New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	sim, err := simulator.New(config(""))
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(simulator.Faults{ThrottleRate: 2}); err == nil {
		t.Error("SetFaults accepted a throttle rate of 2")
	}
	if err := sim.SetFaults(simulator.Faults{Latency: time.Millisecond, ThrottleRate: 0.5}); err != nil {
		t.Fatal(err)
	}
	if f := sim.Faults(); f.ThrottleRate != 0.5 || f.Latency != time.Millisecond {
		t.Errorf("Faults = %+v", f)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sim-state.json")
	first, err := simulator.New(config(path))
	if err != nil {
		t.Fatal(err)
	}
	p := params(t, first)
	made, err := serve(t, first).CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), made.InstanceId) || strings.Contains(string(data), password) {
		t.Errorf("state file should hold the instance and no password:\n%s", data)
	}
	if leftovers, _ := filepath.Glob(path + ".tmp-*"); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	restarted, err := simulator.New(config(path))
	if err != nil {
		t.Fatal(err)
	}
	insts := restarted.Instances()
	if len(insts) != 1 || insts[0].InstanceId != made.InstanceId || insts[0].Token != p.Token {
		t.Fatalf("after restart instances = %+v", insts)
	}
	client := serve(t, restarted)
	again, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if again.InstanceId != made.InstanceId || restarted.CountByToken(p.Token) != 1 {
		t.Errorf("replay after restart made %s (count %d), want %s", again.InstanceId, restarted.CountByToken(p.Token), made.InstanceId)
	}
	attr, err := client.DescribeInstanceAttribute(t.Context(), "cn-shanghai", made.InstanceId)
	if err != nil || attr.InstanceId != made.InstanceId {
		t.Errorf("DescribeInstanceAttribute after restart = %+v, %v", attr, err)
	}
}

func TestCorruptStateRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := simulator.New(config(path)); err == nil {
		t.Error("New accepted a corrupt state file")
	}
}

func TestZoneChosenWhenNotGiven(t *testing.T) {
	t.Parallel()
	sim, err := simulator.New(config(""))
	if err != nil {
		t.Fatal(err)
	}
	res, err := serve(t, sim).CreateInstance(t.Context(), params(t, sim))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.ZoneId, "cn-shanghai-") {
		t.Errorf("ZoneId = %q, want a cn-shanghai zone picked", res.ZoneId)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	opts := simulator.Options{Addr: "127.0.0.1:0", Config: config("")}
	ctx, cancel := context.WithCancel(t.Context())
	endpoints := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- simulator.Run(ctx, opts, func(endpoint string) { endpoints <- endpoint }) }()

	var endpoint string
	select {
	case endpoint = <-endpoints:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	client, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: endpoint, AccessKeyID: keyID, AccessKeySecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeRegions(t.Context()); err != nil {
		t.Fatalf("DescribeRegions on %s: %v", endpoint, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestStartOnWildcardGivesLoopbackEndpoint(t *testing.T) {
	t.Parallel()
	sim, err := simulator.New(config(""))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.Start("0.0.0.0:0", sim)
	if err != nil {
		t.Skipf("cannot listen on the wildcard address: %v", err)
	}
	defer srv.Shutdown(context.Background())
	if !strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:") || srv.Simulator() != sim {
		t.Errorf("Endpoint = %q", srv.Endpoint())
	}
}
