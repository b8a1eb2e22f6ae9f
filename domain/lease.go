package domain

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// ReleaseAfterField is the creation form's field (and JSON key) of the
// lease's end: when the portal releases the instance. Not a CreateInstance
// parameter, it travels beside the parameters as the team does.
const ReleaseAfterField = "ReleaseAfter"

// DefaultMinLease is the shortest lease accepted (PORTAL_MIN_LEASE): a
// lease that ends before anyone could use the instance is a mistake.
const DefaultMinLease = time.Hour

// DefaultLeaseSweepInterval is how often leases are looked at
// (PORTAL_LEASE_SWEEP_INTERVAL): a lease ends within a minute of its time.
const DefaultLeaseSweepInterval = time.Minute

// The lease's warnings: seven days and one day before its end.
const (
	LeaseWarnEarly = 7 * 24 * time.Hour
	LeaseWarnLate  = 24 * time.Hour
)

// LeaseRule is what a lease is checked against: the time now, the shortest
// lease, and the team's longest (nil: no team limit, and no lease needed).
type LeaseRule struct {
	Now     time.Time
	Min     time.Duration
	MaxDays *int
}

// ParseReleaseAfter reads a lease's end as typed: a date yyyy-mm-dd (the
// end of that day, UTC) or an RFC 3339 time, at least r.Min ahead, and
// within the team's longest lease when it has one (which makes a lease
// required). Empty is no lease (nil) when none is required. It answers the
// end, or what is wrong with it.
func ParseReleaseAfter(s string, r LeaseRule) (*time.Time, string) {
	if s == "" {
		if r.MaxDays != nil {
			return nil, fmt.Sprintf("is required: your team's instances are released within %s", Count(strconv.Itoa(*r.MaxDays), "day"))
		}
		return nil, ""
	}
	if p := TextProblem(s); p != "" {
		return nil, p
	}
	var end time.Time
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		end = d.Add(24 * time.Hour) // the end of that day, UTC
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		end = t.UTC()
	} else {
		return nil, "must be a date (2027-01-31, the end of that day UTC) or an RFC 3339 time (2027-01-31T18:00:00Z)"
	}
	if earliest := r.Now.Add(r.Min); end.Before(earliest) {
		if !end.After(r.Now) {
			return nil, "is in the past: the lease must end later than now"
		}
		return nil, "is too soon: a lease lasts at least " + r.Min.String()
	}
	if r.MaxDays != nil && end.After(r.Now.Add(time.Duration(*r.MaxDays)*24*time.Hour)) {
		return nil, fmt.Sprintf("is beyond your team's longest lease, %s from now (%s)",
			Count(strconv.Itoa(*r.MaxDays), "day"), r.Now.Add(time.Duration(*r.MaxDays)*24*time.Hour).UTC().Format(time.DateOnly))
	}
	return &end, ""
}

// LeaseDays is how many days a lease ending at end lasts from now, counted
// up (a lease of a few hours is 1 day): what policies compare.
func LeaseDays(end, now time.Time) int {
	return int(math.Ceil(end.Sub(now).Hours() / 24))
}
