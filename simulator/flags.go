package simulator

import (
	"errors"
	"flag"
	"fmt"
	"os"
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

// BindFlags defines the simulator's flags on fs, bound to the Options it
// returns: --addr, --access-key-id, --access-key-secret, --latency,
// --throttle-rate, --error-rate, --lost-rate, --creating-delay, --state,
// --sold-out-zones, --instance-quota. Each flag's default comes from its
// environment variable when set (PORTAL_SIM_ADDR, PORTAL_SIM_ACCESS_KEY_ID,
// PORTAL_SIM_ACCESS_KEY_SECRET, PORTAL_SIM_LATENCY, PORTAL_SIM_THROTTLE_RATE,
// PORTAL_SIM_ERROR_RATE, PORTAL_SIM_LOST_RATE, PORTAL_SIM_CREATING_DELAY,
// PORTAL_SIM_STATE, PORTAL_SIM_SOLD_OUT_ZONES, PORTAL_SIM_INSTANCE_QUOTA); a
// flag on the command line wins. getenv is os.Getenv when nil. The error reports
// environment values that do not parse.
func BindFlags(fs *flag.FlagSet, getenv func(string) string) (*Options, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	o := &Options{Config: Config{
		AccessKeyID:     DefaultAccessKeyID,
		AccessKeySecret: DefaultAccessKeySecret,
		CreatingDelay:   DefaultCreatingDelay,
	}}
	c := &o.Config
	fs.StringVar(&o.Addr, "addr", DefaultAddr, "listen address (env PORTAL_SIM_ADDR)")
	fs.StringVar(&c.AccessKeyID, "access-key-id", c.AccessKeyID, "the access key ID the simulator accepts (env PORTAL_SIM_ACCESS_KEY_ID)")
	fs.StringVar(&c.AccessKeySecret, "access-key-secret", c.AccessKeySecret, "the access key secret the simulator checks signatures with (env PORTAL_SIM_ACCESS_KEY_SECRET)")
	fs.DurationVar(&c.Latency, "latency", 0, "latency added to every call, e.g. 200ms (env PORTAL_SIM_LATENCY)")
	fs.Float64Var(&c.ThrottleRate, "throttle-rate", 0, "share of calls, 0 to 1, refused with Throttling.User (env PORTAL_SIM_THROTTLE_RATE)")
	fs.Float64Var(&c.ErrorRate, "error-rate", 0, "share of calls, 0 to 1, failing with 503 ServiceUnavailable or 500 InternalError (env PORTAL_SIM_ERROR_RATE)")
	fs.Float64Var(&c.LostRate, "lost-rate", 0, "share of CreateInstance calls, 0 to 1, whose instance is made but whose response is lost (env PORTAL_SIM_LOST_RATE)")
	fs.DurationVar(&c.CreatingDelay, "creating-delay", c.CreatingDelay, "how long a new instance stays Creating before it is Normal (env PORTAL_SIM_CREATING_DELAY)")
	fs.StringVar(&c.StatePath, "state", "", "JSON file keeping the instances across restarts; empty keeps them in memory (env PORTAL_SIM_STATE)")
	fs.Var((*commaList)(&c.SoldOutZones), "sold-out-zones", "comma-separated zones without stock, where CreateInstance is refused with ResourceNotAvailable (env PORTAL_SIM_SOLD_OUT_ZONES)")
	fs.IntVar(&c.InstanceQuota, "instance-quota", 0, "how many instances may exist at once, beyond which CreateInstance is refused with QuotaExceed.Instance; 0 for no quota (env PORTAL_SIM_INSTANCE_QUOTA)")

	var errs []error
	for _, name := range []string{"addr", "access-key-id", "access-key-secret", "latency", "throttle-rate", "error-rate", "lost-rate", "creating-delay", "state", "sold-out-zones", "instance-quota"} {
		variable := "PORTAL_SIM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		v := getenv(variable)
		if v == "" {
			continue
		}
		f := fs.Lookup(name)
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("simulator: %s=%q: %w", variable, v, err))
			continue
		}
		if name != "access-key-secret" {
			f.DefValue = v // what -help shows
		}
	}
	return o, errors.Join(errs...)
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
