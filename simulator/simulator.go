// Package simulator is a local stand-in for the ApsaraDB for Redis
// (R-KVStore) API, so that KVPortal runs, and is tested, with no cloud
// account.
//
// It speaks the real wire protocol — RPC style, signature version 1.0
// (HMAC-SHA1) or version 3 (ACS3-HMAC-SHA256) checked against a configured
// key pair, JSON answers in the API's shapes — so KVPortal drives it with the
// same official SDK client it uses against the real endpoint, and the current
// SDKs of other languages, the CLI or Terraform can be pointed at it too.
//
// It implements CreateInstance (with the rules of package rkvstore, Token
// idempotency, tags, DryRun, stock per zone and an instance quota),
// DescribeRegions, DescribeAvailableResource, DescribeInstanceAttribute,
// DescribeInstances (tag, status, charge type and Expired filters, pages of
// at most 50, 10 by default), DescribePrice, and the operations after
// creation: ModifyInstanceSpec, ModifySecurityIps, DescribeSecurityIps,
// DeleteInstance, RenewInstance, ModifyInstanceAttribute and
// ModifyInstanceAutoRenewalAttribute. It can be told to misbehave: added
// latency, throttling, 5xx errors, and responses lost after the change was
// made, for every operation or for chosen ones (Faults.Actions).
//
// Where the API reference is silent, the simulator decides, as follows.
//
//   - A change of class is Changing for Config.CreatingDelay, as a creation
//     is Creating; meanwhile InstanceClass is the target, RealInstanceClass
//     the previous class and IsOrderCompleted false. MaintainTime starts it
//     after Config.MaintainDelay, the time to the next maintenance window
//     (at once when 0); until then the instance is Normal and named by its
//     class, its order not completed, and another change is refused with
//     Task.Conflict. UPGRADE must not shrink the
//     instance, DOWNGRADE must not grow it. A ClientToken belongs to one
//     instance and one operation; its replay answers the first OrderId (and,
//     for RenewInstance, EndTime) and changes nothing.
//   - DeleteInstance and RenewInstance of the wrong charge type, and
//     ModifyInstanceAutoRenewalAttribute of a pay-as-you-go instance, are
//     refused with 403 IncorrectChargeType. DeleteInstance, ModifySecurityIps
//     and a NewPassword need a Normal instance (IncorrectDBInstanceState
//     otherwise); a ModifyInstanceSpec while one runs answers Task.Conflict.
//   - A released instance is gone for every call (InvalidInstanceId.NotFound),
//     but its creation Token still stands for it: CreateInstance replayed
//     with it answers that instance, InstanceStatus Released, and never makes
//     a second one for the same request.
//   - The whitelist: a group holds at most 1,000 entries, each kept once;
//     ali_dms_group, hdm_security_ips and dts_ip_list are the system's groups
//     (403 InvalidSecurityIpGroupName.System); Delete of every entry removes
//     a group, but the default group keeps at least one.
//   - A renewal runs from the subscription's end, or from now once it has
//     passed. Auto-renewal is recorded for up to 30 instances at once (all
//     or none), never acted on.
package simulator

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/simulator/simconfig"
)

// Config configures a Simulator. It is declared in simconfig, with the
// settings' defaults and flags, so that package config can read the
// PORTAL_SIM_* variables into it without importing the simulator.
type Config = simconfig.Config

// Faults are the misbehaviours of a Simulator, adjustable at run time.
type Faults struct {
	// Latency is added to every call.
	Latency time.Duration
	// ThrottleRate is the share of calls, 0 to 1, refused with
	// Throttling.User (HTTP 400).
	ThrottleRate float64
	// ErrorRate is the share of calls, 0 to 1, failing with a 5xx:
	// ServiceUnavailable (503) or InternalError (500).
	ErrorRate float64
	// LostRate is the share of successful calls that change something
	// (CreateInstance, DeleteInstance, ModifyInstanceSpec,
	// ModifyInstanceAttribute, ModifySecurityIps, RenewInstance,
	// ModifyInstanceAutoRenewalAttribute), 0 to 1, whose change is made but
	// whose response is lost: the connection is closed without an answer.
	LostRate float64
	// Actions, when not empty, are the only actions the faults apply to
	// (every fault, the latency included), so that a test can make one
	// operation misbehave and leave the calls around it alone.
	Actions []string
}

// validate checks that the rates are shares and the latency not negative.
func (f Faults) validate() error {
	for name, rate := range map[string]float64{"throttle": f.ThrottleRate, "error": f.ErrorRate, "lost": f.LostRate} {
		if !(rate >= 0 && rate <= 1) {
			return fmt.Errorf("simulator: %s rate %v is not between 0 and 1", name, rate)
		}
	}
	if f.Latency < 0 {
		return fmt.Errorf("simulator: latency %s is negative", f.Latency)
	}
	for _, a := range f.Actions {
		if _, ok := actions[a]; !ok {
			return fmt.Errorf("simulator: faults name the action %q, which the simulator does not serve", a)
		}
	}
	return nil
}

// Simulator is the simulated API, an http.Handler. It is safe for concurrent
// use.
type Simulator struct {
	accessKeyID     string
	accessKeySecret string
	creatingDelay   time.Duration
	maintainDelay   time.Duration
	clock           domain.Clock
	logger          *slog.Logger
	catalog         *domain.Catalog
	state           *state
	nonces          *nonceCache

	mu           sync.Mutex
	rng          *rand.Rand
	faults       Faults
	soldOutZones []string
	quota        int
	calls        map[string]int
	hook         func(action string, form url.Values)
}

// New returns a Simulator, with the instances of cfg.StatePath if that file
// exists.
func New(cfg Config) (*Simulator, error) {
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		return nil, errors.New("simulator: an access key ID and secret are required")
	}
	faults := Faults{Latency: cfg.Latency, ThrottleRate: cfg.ThrottleRate, ErrorRate: cfg.ErrorRate, LostRate: cfg.LostRate}
	if err := faults.validate(); err != nil {
		return nil, err
	}
	if cfg.CreatingDelay < 0 {
		return nil, fmt.Errorf("simulator: creating delay %s is negative", cfg.CreatingDelay)
	}
	if cfg.InstanceQuota < 0 {
		return nil, fmt.Errorf("simulator: instance quota %d is negative", cfg.InstanceQuota)
	}
	st, err := loadState(cfg.StatePath)
	if err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &Simulator{
		accessKeyID:     cfg.AccessKeyID,
		accessKeySecret: cfg.AccessKeySecret,
		creatingDelay:   cfg.CreatingDelay,
		maintainDelay:   cfg.MaintainDelay,
		clock:           cfg.Clock,
		logger:          cfg.Logger,
		catalog:         buildCatalog(),
		state:           st,
		nonces:          newNonceCache(),
		rng:             rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		faults:          faults,
		soldOutZones:    slices.Clone(cfg.SoldOutZones),
		quota:           cfg.InstanceQuota,
		calls:           map[string]int{},
	}
	if s.clock == nil {
		s.clock = domain.SystemClock{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// SetFaults replaces the faults, for the calls that arrive from now on.
func (s *Simulator) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Actions = slices.Clone(f.Actions)
	s.faults = f
	return nil
}

// Faults returns the current faults.
func (s *Simulator) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// faultsFor returns the faults that apply to a call of the action: none
// when the faults are limited to other actions.
func (s *Simulator) faultsFor(action string) Faults {
	f := s.Faults()
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, action) {
		return Faults{}
	}
	return f
}

// SetSoldOut replaces the zones without stock (none: every zone has stock),
// for the calls that arrive from now on.
func (s *Simulator) SetSoldOut(zoneIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.soldOutZones = slices.Clone(zoneIDs)
}

// soldOut reports whether the zone has no stock.
func (s *Simulator) soldOut(zoneID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.soldOutZones, zoneID)
}

// SetInstanceQuota replaces the instance quota (0: none), for the calls that
// arrive from now on.
func (s *Simulator) SetInstanceQuota(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota = max(n, 0)
}

// instanceQuota returns the instance quota (0: none).
func (s *Simulator) instanceQuota() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quota
}

// CallHook sets a function called, on the request's goroutine, whenever a
// call arrives, before anything else happens to it (nil removes it). form
// holds every parameter of the call, the Password among them: the hook is
// for tests and benchmarks, never for logging.
func (s *Simulator) CallHook(hook func(action string, form url.Values)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// Calls returns how many calls of the action have arrived, whatever became
// of them (refused, faulted or served).
func (s *Simulator) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// Catalog returns what the simulated cloud sells. It must not be modified.
func (s *Simulator) Catalog() *domain.Catalog {
	return s.catalog
}

// Instances returns every instance made, oldest first, deleted ones too
// (their DeletedAt is set).
func (s *Simulator) Instances() []Instance {
	return s.state.all()
}

// CountByToken returns how many instances were made with the token. Token
// idempotency means it is never more than 1.
func (s *Simulator) CountByToken(token string) int {
	return s.state.countByToken(token)
}

// roll reports whether an event of probability rate happens.
func (s *Simulator) roll(rate float64) bool {
	if rate <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < rate
}

// newID returns prefix followed by 16 random hexadecimal digits.
func (s *Simulator) newID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%s%016x", prefix, s.rng.Uint64())
}

// newPrivateIP returns an address in 172.16.0.0/16 for an instance in a VPC.
func (s *Simulator) newPrivateIP() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.rng.Uint64()
	return fmt.Sprintf("172.16.%d.%d", n>>8&0xff, 1+n%254)
}

// newRequestID returns a request ID shaped like the API's (a UUID).
func (s *Simulator) newRequestID() string {
	s.mu.Lock()
	a, b := s.rng.Uint64(), s.rng.Uint64()
	s.mu.Unlock()
	return requestID(a, b)
}

// requestID formats a and b as a request id: %08X-%04X-%04X-%04X-%012X of
// a>>32, a>>16&0xffff, a&0xffff, b>>48 and b&0xffffffffffff, written
// directly rather than through fmt, once per call.
func requestID(a, b uint64) string {
	var buf [36]byte
	put := func(dst []byte, v uint64) {
		for i := len(dst) - 1; i >= 0; i-- {
			dst[i] = upperHex[v&15]
			v >>= 4
		}
	}
	put(buf[0:8], a>>32)
	put(buf[9:13], a>>16&0xffff)
	put(buf[14:18], a&0xffff)
	put(buf[19:23], b>>48)
	put(buf[24:36], b&0xffffffffffff)
	buf[8], buf[13], buf[18], buf[23] = '-', '-', '-', '-'
	return string(buf[:])
}
