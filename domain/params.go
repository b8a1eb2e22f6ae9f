package domain

import "time"

// Input is a CreateInstance request as a person typed it: the raw text of
// each form field, keyed by the API parameter's exact name (the names of
// Table). A missing key is an empty field.
type Input map[string]string

// Canonical values of the enumerated parameters.
const (
	ChargePrePaid  = "PrePaid"
	ChargePostPaid = "PostPaid"

	NetworkClassic = "Classic"
	NetworkVPC     = "VPC"

	TypeRedis    = "Redis"
	TypeMemcache = "Memcache"
)

// Params is a validated CreateInstance request: defaults applied, enumerated
// values in their canonical spelling, surrounding white space trimmed. Period
// is 0 unless ChargeType is PrePaid. Token may be empty when the requester did
// not type one; the caller then generates one (NewToken).
type Params struct {
	InstanceName    string
	Password        string
	InstanceClass   string
	RegionId        string
	ZoneId          string
	ChargeType      string
	Period          int
	Token           string
	NetworkType     string
	VpcId           string
	VSwitchId       string
	PrivateIp       string
	SrcDBInstanceId string
	BackupId        string
	InstanceType    string
	EngineVersion   string
	Port            int
}

// FieldErrors maps an API parameter name (the form field name) to a message
// that says, in words a developer understands, what is wrong with it.
type FieldErrors map[string]string

// Region is a region with its zones.
type Region struct {
	RegionId  string
	LocalName string
	Zones     []Zone
}

// Zone is a zone of a region.
type Zone struct {
	ZoneId    string
	LocalName string
}

// Offer is one instance class the cloud sells in a zone, for an instance type
// and engine version.
type Offer struct {
	RegionId      string
	ZoneId        string
	InstanceType  string
	EngineVersion string
	InstanceClass string
	// CapacityMB is the memory of the class, when known (0 otherwise).
	CapacityMB int64
}

// Catalog is what the cloud offers, as learned from DescribeRegions and
// DescribeAvailableResource. A nil *Catalog means "not known": validation then
// checks only what the reference itself states.
type Catalog struct {
	Regions   []Region
	Offers    []Offer
	FetchedAt time.Time
	// Stale is set when the last refresh failed and this is the last known
	// catalog.
	Stale bool
}

// PrePaidMonths is the period billed in advance: Period with PrePaid, 0
// otherwise. A Period left over with PostPaid is neither sent to the cloud
// nor priced nor shown as billing.
func (p *Params) PrePaidMonths() int {
	if p.ChargeType == ChargePrePaid && p.Period > 0 {
		return p.Period
	}
	return 0
}
