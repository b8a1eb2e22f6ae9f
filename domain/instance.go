package domain

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// The tags every instance the portal creates carries, so that the cloud's
// instances can be matched with the portal's records (drift) and anyone in
// the console can tell who asked for one.
const (
	TagRequest = "kvportal:request"
	TagTeam    = "kvportal:team"
	// NoTeam is the team tag's value for a request that belongs to no team.
	NoTeam = "none"
)

// Tag is one tag of a cloud resource.
type Tag struct {
	Key   string
	Value string
}

// InstanceTags are the tags CreateInstance sends for r: the same on every
// attempt, as the Token is, so that a retry is the same call.
func InstanceTags(r Request) []Tag {
	return []Tag{{Key: TagRequest, Value: strconv.FormatInt(r.ID, 10)}, TeamTag(r)}
}

// TeamTag is the team tag of r: a request that belongs to no team says so
// with NoTeam rather than leaving the tag out, so that every instance
// carries both tags.
func TeamTag(r Request) Tag {
	if r.Team == "" {
		return Tag{Key: TagTeam, Value: NoTeam}
	}
	return Tag{Key: TagTeam, Value: r.Team}
}

// The pre-flight outcomes a request records (Request.Preflight).
const (
	PreflightPassed  = "passed"
	PreflightSkipped = "skipped"
)

// Instance statuses the portal acts on; the cloud has more (Changing,
// Transforming, ...), all shown as they come.
const (
	InstanceCreating = "Creating"
	InstanceNormal   = "Normal"
)

// InstanceSettled reports whether an instance in status s changes no more
// by itself: it is Normal, or in a status that ends its life (released,
// flushed away, locked for good). While it is not, its request's page keeps
// refreshing itself.
func InstanceSettled(s string) bool {
	switch s {
	case InstanceNormal, "Released", "Unavailable", "Error", "Inactive":
		return true
	}
	return false
}

// Address is where to connect to r's instance, ConnectionDomain:Port; ""
// until the cloud has reported it.
func (r Request) Address() string {
	if r.ConnectionDomain == "" || r.ConnectionPort <= 0 {
		return ""
	}
	return net.JoinHostPort(r.ConnectionDomain, strconv.Itoa(r.ConnectionPort))
}

// PrivateAddr is the instance's private address in its VPC with the port
// (IPv6 in brackets); "" when there is none.
func (r Request) PrivateAddr() string {
	if r.PrivateAddress == "" || r.ConnectionPort <= 0 {
		return ""
	}
	return net.JoinHostPort(strings.TrimSpace(r.PrivateAddress), strconv.Itoa(r.ConnectionPort))
}

// InstanceReleased is the status of an instance that no longer exists.
const InstanceReleased = "Released"

// Instance is an instance the portal created, as the portal keeps it: made
// by the creation request RequestID, looked after by its owner and team.
type Instance struct {
	InstanceID    string
	RequestID     int64
	InstanceName  string
	RegionID      string
	ZoneID        string
	InstanceClass string
	InstanceType  string
	EngineVersion string
	ChargeType    string
	// TeamID and Team are the team it belongs to; nil and "" for none.
	TeamID    *int64
	Team      string
	OwnerID   int64
	OwnerName string
	// Status is the cloud's InstanceStatus as last read ("" before).
	Status           string
	ConnectionDomain string
	ConnectionPort   int
	PrivateAddress   string
	// SecurityIPs is the whitelist the portal last set, comma-separated as
	// sent; "" while it has set none.
	SecurityIPs string
	// EndTime is when a subscription ends; nil for pay-as-you-go.
	EndTime *time.Time
	// ReleaseAfter is the lease's end; nil when none.
	ReleaseAfter *time.Time
	// ScheduledClass is the class a resize for the maintenance window
	// ordered, and ScheduledBy its request: "" and nil when none waits for
	// the window. InstanceClass stays the class it runs as until the cloud
	// reports the new one.
	ScheduledClass string
	ScheduledBy    *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ResizeWaits reports whether a resize ordered for the maintenance window
// is still waiting for it (a released instance waits for nothing).
func (i Instance) ResizeWaits() bool { return i.ScheduledClass != "" && !i.Released() }

// Address is where to connect to the instance, ConnectionDomain:Port; ""
// until the cloud has reported it.
func (i Instance) Address() string {
	if i.ConnectionDomain == "" || i.ConnectionPort <= 0 {
		return ""
	}
	return net.JoinHostPort(i.ConnectionDomain, strconv.Itoa(i.ConnectionPort))
}

// Tags are the tags the instance was created with (InstanceTags).
func (i Instance) Tags() []Tag {
	return InstanceTags(Request{ID: i.RequestID, Team: i.Team})
}

// Released reports whether the instance no longer exists.
func (i Instance) Released() bool { return i.Status == InstanceReleased }

// Concerns reports whether the user userID, in the teams teamIDs, looks
// after the instance: its owner or a member of its team. (Approvers and
// admins see every instance besides.)
func (i Instance) Concerns(userID int64, teamIDs []int64) bool {
	if i.OwnerID == userID {
		return true
	}
	if i.TeamID == nil {
		return false
	}
	for _, t := range teamIDs {
		if t == *i.TeamID {
			return true
		}
	}
	return false
}

// InstanceStatuses are the statuses the cloud gives an instance
// (DescribeInstanceAttribute's InstanceStatus), for the list's filter.
func InstanceStatuses() []string {
	return []string{InstanceNormal, InstanceCreating, "Changing", "Inactive", "Flushing", InstanceReleased,
		"Transforming", "Unavailable", "Error", "Migrating", "BackupRecovering", "MinorVersionUpgrading",
		"NetworkModifying", "SSLModifying", "MajorVersionUpgrading"}
}

// PlainID reports whether s is written as the cloud writes its ids and
// names (an InstanceId r-bp1…, a RegionId, an InstanceStatus): 1 to 64
// ASCII letters, digits, '-' and '_'. Anything else names no instance,
// region or status, and is refused before it reaches the database.
func PlainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
