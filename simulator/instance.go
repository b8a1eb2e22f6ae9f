package simulator

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// Instance is an instance the simulator made. The Password is not kept.
type Instance struct {
	InstanceId    string
	InstanceName  string
	Token         string `json:",omitempty"`
	RegionId      string
	ZoneId        string
	InstanceClass string
	InstanceType  string
	EngineVersion string
	ChargeType    string
	Period        int `json:",omitempty"`
	NetworkType   string
	VpcId         string `json:",omitempty"`
	VSwitchId     string `json:",omitempty"`
	PrivateIp     string `json:",omitempty"`
	// Port is the one asked for; 0 (instances kept before the simulator
	// took it) is the default, redisPort.
	Port       int `json:",omitempty"`
	CapacityMB int64
	// Tags are the instance's tags, in the order CreateInstance gave them.
	Tags      []Tag `json:",omitempty"`
	CreatedAt time.Time
	// ChangingUntil is when a change of class (ModifyInstanceSpec) ends,
	// and ChangingFrom when it starts, when that is later than its order
	// (a resize for the maintenance window): until then the instance is
	// Normal at PreviousClass and the order is not completed.
	ChangingUntil time.Time `json:",omitzero"`
	ChangingFrom  time.Time `json:",omitzero"`
	// PreviousClass is the class the instance runs as until the change of
	// class ends (the API's RealInstanceClass meanwhile).
	PreviousClass string `json:",omitempty"`
	// ReleaseProtection refuses DeleteInstance while on.
	ReleaseProtection bool `json:",omitempty"`
	// RenewedUntil is a subscription's end once RenewInstance moved it;
	// zero: CreatedAt + Period.
	RenewedUntil time.Time `json:",omitzero"`
	// AutoRenew and AutoRenewDuration (months) are what
	// ModifyInstanceAutoRenewalAttribute set.
	AutoRenew         bool `json:",omitempty"`
	AutoRenewDuration int  `json:",omitempty"`
	// SecurityIpGroups are the whitelist groups; nil is a new instance's
	// (and one kept before whitelists existed): the group "default" with
	// 127.0.0.1 alone.
	SecurityIpGroups []SecurityIpGroup `json:",omitempty"`
	// PasswordChangedAt is when ModifyInstanceAttribute last set a
	// password (which is checked, never kept).
	PasswordChangedAt time.Time `json:",omitzero"`
	// Orders are the ClientToken-carrying changes made to the instance, so
	// that a retry returns the first answer instead of changing it twice.
	Orders []Order `json:",omitempty"`
	// DeletedAt is when DeleteInstance removed the instance: the Describe
	// actions no longer find it, but its Token still answers with it.
	DeletedAt time.Time `json:",omitzero"`
	// ParamsDigest identifies the CreateInstance parameters (keyed hash,
	// so that the Password cannot be recovered from it), to tell a replay
	// of the same request from another request with the same Token.
	ParamsDigest string
}

// SecurityIpGroup is an IP whitelist group of an instance.
type SecurityIpGroup struct {
	Name string
	IPs  []string
}

// Order is a change made with a ClientToken: its action, the parameters
// that must match on a retry, and what was answered.
type Order struct {
	Action      string
	ClientToken string
	Params      string
	OrderId     string
	EndTime     time.Time `json:",omitzero"`
}

// order returns the instance's order of the action with the token.
func (in Instance) order(action, token string) (Order, bool) {
	for _, o := range in.Orders {
		if o.Action == action && o.ClientToken == token {
			return o, true
		}
	}
	return Order{}, false
}

// realClass is the class the instance runs as at now: the previous one
// while a change of class waits for its window or is under way.
func (in Instance) realClass(now time.Time) string {
	if now.Before(in.ChangingUntil) && in.PreviousClass != "" {
		return in.PreviousClass
	}
	return in.InstanceClass
}

// listedClass is the class the API names the instance by at now: the one
// ordered once its change has started, the previous one while the order
// waits for the maintenance window.
func (in Instance) listedClass(now time.Time) string {
	if now.Before(in.ChangingFrom) && in.PreviousClass != "" {
		return in.PreviousClass
	}
	return in.InstanceClass
}

// orderCompleted reports whether no change of class is waiting or under
// way at now (the API's IsOrderCompleted).
func (in Instance) orderCompleted(now time.Time) bool { return !now.Before(in.ChangingUntil) }

// securityIpGroups returns the whitelist groups (a new instance's when none
// were set).
func (in Instance) securityIpGroups() []SecurityIpGroup {
	if in.SecurityIpGroups == nil {
		return []SecurityIpGroup{{Name: defaultIPGroup, IPs: []string{"127.0.0.1"}}}
	}
	return in.SecurityIpGroups
}

// Tag is a tag of an instance.
type Tag struct {
	Key   string
	Value string
}

// Status returns the instance's status at now: Creating for creatingDelay
// after it was made, Changing while a change of class is under way, then
// Normal; Released once deleted.
func (in Instance) Status(now time.Time, creatingDelay time.Duration) string {
	switch {
	case !in.DeletedAt.IsZero():
		return "Released"
	case now.Before(in.CreatedAt.Add(creatingDelay)):
		return "Creating"
	case now.Before(in.ChangingFrom):
		return "Normal" // the order waits for the maintenance window
	case now.Before(in.ChangingUntil):
		return "Changing"
	}
	return "Normal"
}

// architecture is the instance's architecture: "cluster" for a sharded
// class, "standard" otherwise.
func (in Instance) architecture() string {
	if cl, ok := findClass(in.InstanceClass); ok && cl.cluster {
		return "cluster"
	}
	return "standard"
}

// The simulated figures of an instance.
const (
	redisPort  = 6379
	timeFormat = "2006-01-02T15:04:05Z"
)

// port is the port the instance listens on.
func (in Instance) port() int { return cmp.Or(in.Port, redisPort) }

// connectionDomain returns the host name clients would connect to.
func connectionDomain(in Instance) string {
	return in.InstanceId + ".redis.rds.aliyuncs.com"
}

// qps, bandwidthMBps and connections scale with capacity, roughly as the
// instance type table does.
func qps(capacityMB int64) int64           { return 100000 * max(1, capacityMB/8192) }
func bandwidthMBps(capacityMB int64) int64 { return min(96, 10+capacityMB/1024*8) }
func connections(capacityMB int64) int64   { return min(10000*max(1, capacityMB/8192), 80000) }

// endTime returns when a PrePaid instance's subscription ends ("" for
// PostPaid).
func endTime(in Instance) string {
	end := in.endsAt()
	if end.IsZero() {
		return ""
	}
	return end.UTC().Format(timeFormat)
}

// endsAt is when a PrePaid instance's subscription ends: Period months
// after its creation, moved by every renewal; zero for PostPaid.
func (in Instance) endsAt() time.Time {
	switch {
	case in.ChargeType != domain.ChargePrePaid:
		return time.Time{}
	case !in.RenewedUntil.IsZero():
		return in.RenewedUntil
	case in.Period == 0:
		return time.Time{}
	}
	return in.CreatedAt.AddDate(0, in.Period, 0).UTC()
}

// formatGB writes a capacity in MB as GB ("1 GB", "0.5 GB").
func formatGB(capacityMB int64) string {
	return strings.TrimSuffix(strconv.FormatFloat(float64(capacityMB)/1024, 'f', 1, 64), ".0") + " GB"
}
