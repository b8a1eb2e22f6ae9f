package simulator

import (
	"flag"
	"strings"
	"time"
)

// Defaults of `portal sim`. The key pair is not a secret: the simulator
// guards nothing, and serves loopback by default.
const (
	DefaultAddr            = "127.0.0.1:9400"
	DefaultAccessKeyID     = "kvportal-sim"
	DefaultAccessKeySecret = "kvportal-sim-secret"
	DefaultCreatingDelay   = 20 * time.Second
)

// Options are the settings of a standalone simulator server: where it
// listens and its Config.
type Options struct {
	Addr   string
	Config Config
}

// DefaultOptions are the settings of `portal sim` before its environment
// variables and flags.
func DefaultOptions() Options {
	return Options{Addr: DefaultAddr, Config: Config{
		AccessKeyID:     DefaultAccessKeyID,
		AccessKeySecret: DefaultAccessKeySecret,
		CreatingDelay:   DefaultCreatingDelay,
	}}
}

// BindFlags defines the simulator's flags on fs, bound to o: --addr,
// --access-key-id, --access-key-secret, --latency, --throttle-rate,
// --error-rate, --lost-rate, --creating-delay, --state, --sold-out-zones,
// --instance-quota. Each flag starts from o's value (DefaultOptions, with
// what package config read from the flag's PORTAL_SIM_* variable), and a
// flag on the command line wins.
func BindFlags(fs *flag.FlagSet, o *Options) {
	c := &o.Config
	fs.StringVar(&o.Addr, "addr", o.Addr, "listen address (env PORTAL_SIM_ADDR)")
	fs.StringVar(&c.AccessKeyID, "access-key-id", c.AccessKeyID, "the access key ID the simulator accepts (env PORTAL_SIM_ACCESS_KEY_ID)")
	fs.StringVar(&c.AccessKeySecret, "access-key-secret", c.AccessKeySecret, "the access key secret the simulator checks signatures with (env PORTAL_SIM_ACCESS_KEY_SECRET)")
	fs.DurationVar(&c.Latency, "latency", c.Latency, "latency added to every call, e.g. 200ms (env PORTAL_SIM_LATENCY)")
	fs.Float64Var(&c.ThrottleRate, "throttle-rate", c.ThrottleRate, "share of calls, 0 to 1, refused with Throttling.User (env PORTAL_SIM_THROTTLE_RATE)")
	fs.Float64Var(&c.ErrorRate, "error-rate", c.ErrorRate, "share of calls, 0 to 1, failing with 503 ServiceUnavailable or 500 InternalError (env PORTAL_SIM_ERROR_RATE)")
	fs.Float64Var(&c.LostRate, "lost-rate", c.LostRate, "share of calls that change something (CreateInstance, DeleteInstance, ModifyInstanceSpec, ...), 0 to 1, whose change is made but whose response is lost (env PORTAL_SIM_LOST_RATE)")
	fs.DurationVar(&c.CreatingDelay, "creating-delay", c.CreatingDelay, "how long a new instance stays Creating before it is Normal (env PORTAL_SIM_CREATING_DELAY)")
	fs.StringVar(&c.StatePath, "state", c.StatePath, "JSON file keeping the instances across restarts; empty keeps them in memory (env PORTAL_SIM_STATE)")
	fs.Var((*commaList)(&c.SoldOutZones), "sold-out-zones", "comma-separated zones without stock, where CreateInstance is refused with ResourceNotAvailable (env PORTAL_SIM_SOLD_OUT_ZONES)")
	fs.IntVar(&c.InstanceQuota, "instance-quota", c.InstanceQuota, "how many instances may exist at once, beyond which CreateInstance is refused with QuotaExceed.Instance; 0 for no quota (env PORTAL_SIM_INSTANCE_QUOTA)")
	// -help never shows a secret taken from the environment.
	fs.Lookup("access-key-secret").DefValue = DefaultAccessKeySecret
}

// commaList is a flag holding a comma-separated list.
type commaList []string

func (l *commaList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *commaList) Set(v string) error {
	*l = nil
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}
