package simconfig_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/simulator/simconfig"
)

func TestBindFlags(t *testing.T) {
	t.Parallel()
	// The options as config fills them from the environment: the flags
	// start from them, and a flag given wins.
	base := simconfig.DefaultOptions()
	base.Addr, base.Config.Latency, base.Config.LostRate = "127.0.0.1:9999", 250*time.Millisecond, 0.25
	base.Config.StatePath, base.Config.ErrorRate, base.Config.AccessKeyID = "/tmp/from-env.json", 0.1, "env-key"
	base.Config.AccessKeySecret = "env-secret"
	base.Config.SoldOutZones = []string{"cn-hangzhou-b", "cn-hangzhou-g"}
	opts := base
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	simconfig.BindFlags(fs, &opts)
	if err := fs.Parse([]string{"--error-rate=0.5", "--creating-delay=5s", "--throttle-rate", "0.2", "--instance-quota=3"}); err != nil {
		t.Fatal(err)
	}
	c := opts.Config
	if opts.Addr != "127.0.0.1:9999" || c.Latency != 250*time.Millisecond || c.LostRate != 0.25 || c.StatePath != "/tmp/from-env.json" ||
		c.ErrorRate != 0.5 || c.CreatingDelay != 5*time.Second || c.ThrottleRate != 0.2 ||
		c.AccessKeyID != "env-key" || c.AccessKeySecret != "env-secret" ||
		strings.Join(c.SoldOutZones, ",") != "cn-hangzhou-b,cn-hangzhou-g" || c.InstanceQuota != 3 {
		t.Errorf("options = %+v", opts)
	}
	if def := fs.Lookup("access-key-secret").DefValue; def != simconfig.DefaultAccessKeySecret {
		t.Errorf("-help shows the secret %q", def)
	}
	if d := simconfig.DefaultOptions(); d.Addr != simconfig.DefaultAddr || d.Config.CreatingDelay != simconfig.DefaultCreatingDelay ||
		d.Config.AccessKeyID != simconfig.DefaultAccessKeyID || d.Config.AccessKeySecret != simconfig.DefaultAccessKeySecret {
		t.Errorf("DefaultOptions = %+v", d)
	}
}
