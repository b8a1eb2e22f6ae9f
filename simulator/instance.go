package simulator

import (
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
	CapacityMB    int64
	CreatedAt     time.Time
	// ParamsDigest identifies the CreateInstance parameters (keyed hash,
	// so that the Password cannot be recovered from it), to tell a replay
	// of the same request from another request with the same Token.
	ParamsDigest string
}

// Status returns the instance's status at now: Creating for creatingDelay
// after it was made, then Normal.
func (in Instance) Status(now time.Time, creatingDelay time.Duration) string {
	if now.Before(in.CreatedAt.Add(creatingDelay)) {
		return "Creating"
	}
	return "Normal"
}

// The simulated figures of an instance.
const (
	redisPort  = 6379
	timeFormat = "2006-01-02T15:04:05Z"
)

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
	if in.ChargeType != domain.ChargePrePaid || in.Period == 0 {
		return ""
	}
	return in.CreatedAt.AddDate(0, in.Period, 0).UTC().Format(timeFormat)
}

// formatGB writes a capacity in MB as GB ("1 GB", "0.5 GB").
func formatGB(capacityMB int64) string {
	return strings.TrimSuffix(strconv.FormatFloat(float64(capacityMB)/1024, 'f', 1, 64), ".0") + " GB"
}
