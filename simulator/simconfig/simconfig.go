// Package simconfig holds the settings of the R-KVStore simulator: its
// Config, the defaults of `portal sim` and the flags that set them.
//
// They are the simulator's, and package simulator names them (simulator.Config
// is this Config), but they are declared here, apart from the simulator's
// code, so that package config can read PORTAL_SIM_* into them, through the
// very flags `portal sim` parses, without importing the simulator and the
// cloud's SDK it speaks. Each default and each flag is written once, here.
// It imports only domain (for the Clock) and the standard library.
package simconfig

import (
	"flag"
	"log/slog"
	"strings"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// Config configures a Simulator (simulator.New).
type Config struct {
	// AccessKeyID and AccessKeySecret are the one key pair the simulator
	// accepts. Both required.
	AccessKeyID     string
	AccessKeySecret string
	// Latency, ThrottleRate, ErrorRate and LostRate are the initial Faults.
	Latency      time.Duration
	ThrottleRate float64
	ErrorRate    float64
	LostRate     float64
	// CreatingDelay is how long a new instance stays Creating before it is
	// Normal (0: Normal at once), and a resized one Changing.
	CreatingDelay time.Duration
	// MaintainDelay is how long after a resize ordered for the maintenance
	// window (EffectiveTime MaintainTime) its change starts: the time to
	// the instance's next window. Until then the instance is Normal at its
	// class, the order not completed. 0: the change starts at once.
	MaintainDelay time.Duration
	// SoldOutZones are zones without stock: CreateInstance there (or with
	// no zone, when every zone selling the class is sold out) is refused
	// with ResourceNotAvailable, as is ModifyInstanceSpec of an instance
	// there.
	SoldOutZones []string
	// InstanceQuota, when above 0, is how many instances may exist at once:
	// a CreateInstance beyond it is refused with QuotaExceed.Instance.
	InstanceQuota int
	// StatePath, when set, is the JSON file the instances are kept in, so
	// that they survive a restart. It is read by New and rewritten
	// atomically after every change. A replay is recognised across a
	// restart only with the same AccessKeySecret, which keys the digest of
	// the parameters kept in place of the Password.
	StatePath string
	// Seed seeds the random choices (faults, instance IDs); 0 picks a
	// random seed. Tests set it for repeatable runs.
	Seed uint64
	// Clock is the clock of instance lifecycles (Creating, then Normal);
	// nil means the system's. Request timestamps are always checked
	// against the real time, as signing clients use it.
	Clock domain.Clock
	// Logger receives one line per call (action, code, duration; never a
	// parameter value); nil discards.
	Logger *slog.Logger
}

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
// --error-rate, --lost-rate, --creating-delay, --maintain-delay, --state, --sold-out-zones,
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
	fs.DurationVar(&c.MaintainDelay, "maintain-delay", c.MaintainDelay, "how long a resize ordered for the maintenance window (MaintainTime) waits before its change starts; 0 starts it at once (env PORTAL_SIM_MAINTAIN_DELAY)")
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
