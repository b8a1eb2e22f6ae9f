package domain

import (
	"net"
	"strconv"
	"strings"
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
