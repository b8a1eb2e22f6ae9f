// Package drift compares the instances the portal made with what the cloud
// has now: DescribeInstances in every region, filtered by the portal's tags
// and read page after page, against the portal's records. It finds
// instances the cloud no longer has, instances carrying the portal's tags
// that the portal has no record of, and instances whose class, name or
// status is no longer what the portal recorded, or whose whitelist is not
// what the portal last set (someone changed them in the console, behind the
// portal's back). The portal's side is its live instances: their class
// after a resize through the portal, their whitelist as last set. A resize
// ordered for the maintenance window is no finding when its class appears:
// the check records it as done (Mend).
//
// Check only reads; Run records the findings (store.RecordDrift), so that
// /admin/drift, the metrics and the webhook see them. `portal drift`, the
// admin page and a periodic job on the provisioner's queue all use them.
package drift

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/wait"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// The kinds of finding.
const (
	KindMissing = "missing" // the portal made it; the cloud no longer has it
	KindUnknown = "unknown" // it carries the portal's tags; the portal has no record of it
	KindClass   = "class"
	KindName    = "name"
	KindStatus  = "status"
	// KindWhitelist: the instance's whitelist group kvportal is not what
	// the portal last set.
	KindWhitelist = "whitelist"
	// KindFailed: an instance tagged with a request's number exists, and
	// that request is failed (its answer was lost on its last attempt).
	// Run and Adopt make the request succeed with it.
	KindFailed = "failed_request"
)

// Kinds lists the kinds of finding, in the order they are shown.
func Kinds() []string {
	return []string{KindMissing, KindUnknown, KindFailed, KindClass, KindWhitelist, KindName, KindStatus}
}

// Cloud is the part of the R-KVStore API a check calls (*rkvstore.Client).
type Cloud interface {
	DescribeRegions(ctx context.Context) ([]domain.Region, error)
	ListInstances(ctx context.Context, regionID string, f rkvstore.InstanceFilter) ([]rkvstore.Instance, error)
	// DescribeSecurityIps reads an instance's whitelist groups, for the
	// instances whose whitelist the portal set.
	DescribeSecurityIps(ctx context.Context, regionID, instanceID string) ([]rkvstore.SecurityIpGroup, error)
}

// Records is the portal's side of a check, read a region and a page at a
// time (*store.Store is one).
type Records interface {
	InstanceRegions(ctx context.Context) ([]string, error)
	InstanceRecordsIn(ctx context.Context, region string, after int64, limit int) ([]store.InstanceRecord, error)
	KnownInstances(ctx context.Context, ids []string) (map[string]bool, error)
	FailedAmong(ctx context.Context, ids []int64) (map[int64]bool, error)
}

// Report is what one check found.
type Report struct {
	Findings []store.DriftFinding
	// Problems are what kept the check from comparing everything: a region
	// it could not list, whose instances were left out rather than reported
	// missing; findings beyond MaxFindings.
	Problems []string
	// Compared counts the portal's instances compared with the cloud.
	Compared int
	// Omitted counts the findings beyond MaxFindings, left out.
	Omitted int
	// Resized are the instances whose resize for the maintenance window
	// took effect: the cloud reports the class it was ordered to. They are
	// not findings (the portal made the change); Mend records them.
	Resized []Resized
}

// Resized is an instance the cloud reports at the class a resize for its
// maintenance window ordered.
type Resized struct {
	InstanceID string
	Class      string
}

// MaxFindings bounds the findings one check keeps. A cloud emptied by
// mistake would otherwise make a finding, an audit event and a webhook call
// of every instance at once; the first ones (by region, then by request)
// say enough, and they are the same ones at each check until mended.
const MaxFindings = 1000

// recordsPage is how many of the portal's records a check holds at a time.
const recordsPage = 500

// Describe says what a finding is, in one line: the InstanceId first.
func Describe(f store.DriftFinding) string {
	req := ""
	if f.RequestID > 0 {
		req = " (request " + strconv.FormatInt(f.RequestID, 10) + ")"
	}
	switch f.Kind {
	case KindMissing:
		return f.InstanceID + " missing in the cloud" + req
	case KindUnknown:
		return f.InstanceID + " unknown to the portal: carries its tags in " + f.RegionID + req
	case KindFailed:
		return f.InstanceID + " exists although its request failed" + req
	}
	return fmt.Sprintf("%s %s differs: portal %q, cloud %q%s", f.InstanceID, f.Kind, f.Portal, f.Cloud, req)
}

// callTimeout bounds each call of a check.
const callTimeout = 20 * time.Second

// Check compares the portal's records with the cloud, region by region:
// every region the cloud lists, and every region a record is in. It holds a
// region's tagged instances as the cloud lists them and a page of the
// portal's records at a time. An error is the portal's own records not
// being readable; what the cloud did not answer is in the report's
// Problems.
func Check(ctx context.Context, cloud Cloud, records Records) (Report, error) {
	var rep Report
	regions := map[string]bool{}
	mine, err := records.InstanceRegions(ctx)
	if err != nil {
		return rep, err
	}
	for _, region := range mine {
		regions[region] = true
	}
	rctx, cancel := context.WithTimeout(ctx, callTimeout)
	listed, err := cloud.DescribeRegions(rctx)
	cancel()
	if err != nil {
		rep.Problems = append(rep.Problems, "the list of regions could not be read ("+rkvstore.Classify(err).Code+
			"): only the regions of the portal's instances were asked")
	}
	for _, r := range listed {
		regions[r.RegionId] = true
	}
	c := &check{rep: &rep}
	for _, region := range slices.Sorted(maps.Keys(regions)) {
		if err := c.region(ctx, cloud, records, region); err != nil {
			return rep, err
		}
	}
	if rep.Omitted > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d more findings were left out: a check keeps the first %d", rep.Omitted, MaxFindings))
	}
	return rep, nil
}

// check is one check under way.
type check struct{ rep *Report }

func (c *check) add(fs ...store.DriftFinding) {
	for _, f := range fs {
		if len(c.rep.Findings) >= MaxFindings {
			c.rep.Omitted++
			continue
		}
		c.rep.Findings = append(c.rep.Findings, f)
	}
}

// region compares one region: the cloud's instances carrying the portal's
// tags against the portal's records there, a page at a time. A region the
// cloud does not answer for adds a problem and no finding.
func (c *check) region(ctx context.Context, cloud Cloud, records Records, region string) error {
	rctx, cancel := context.WithTimeout(ctx, callTimeout)
	cloudList, err := cloud.ListInstances(rctx, region, rkvstore.InstanceFilter{Tags: []domain.Tag{{Key: domain.TagRequest}}})
	cancel()
	if err != nil {
		c.rep.Problems = append(c.rep.Problems, region+": the instances could not be listed ("+rkvstore.Classify(err).Code+")")
		return nil
	}
	tagged := make(map[string]rkvstore.Instance, len(cloudList))
	for _, in := range cloudList {
		tagged[in.InstanceId] = in
	}
	matched := map[string]bool{}
	var found []store.DriftFinding // this region's, kept only if the region was read whole
	compared, dropped := 0, 0
	for after := int64(0); ; {
		pageStart := time.Now()
		page, err := records.InstanceRecordsIn(ctx, region, after, recordsPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].RequestID
		// An instance made before the portal tagged its instances is not in
		// the tagged list: ask for the rest by InstanceId before calling any
		// of them missing.
		untagged, problem := untaggedOnes(ctx, cloud, region, page, tagged)
		if problem != "" {
			c.rep.Problems = append(c.rep.Problems, problem)
			return nil
		}
		for _, r := range page {
			compared++
			in, ok := tagged[r.InstanceID]
			if !ok {
				in, ok = untagged[r.InstanceID]
			}
			if !ok {
				found = append(found, store.DriftFinding{InstanceID: r.InstanceID, Kind: KindMissing,
					RequestID: r.RequestID, Portal: r.InstanceName, RegionID: region})
				continue
			}
			matched[r.InstanceID] = true
			found = append(found, differences(r, in)...)
			if resizeDone(r, in) {
				c.rep.Resized = append(c.rep.Resized, Resized{InstanceID: r.InstanceID, Class: in.InstanceClass})
			}
			if r.SecurityIps != "" {
				f, problem := whitelistDiffers(ctx, cloud, r)
				if problem != "" {
					c.rep.Problems = append(c.rep.Problems, problem)
				} else if f != nil {
					found = append(found, *f)
				}
			}
		}
		if len(found) > MaxFindings {
			// More would be left out anyway: counted, not held.
			dropped += len(found) - MaxFindings
			found = found[:MaxFindings]
		}
		if err := pace(ctx, time.Since(pageStart)); err != nil {
			return err
		}
	}
	// Tagged instances no record of this region matched: unknown, unless
	// the portal recorded them elsewhere.
	var others []string
	for _, in := range cloudList {
		if !matched[in.InstanceId] {
			others = append(others, in.InstanceId)
		}
	}
	var unknown []store.DriftFinding
	if len(others) > 0 {
		known, err := records.KnownInstances(ctx, others)
		if err != nil {
			return err
		}
		for _, in := range cloudList {
			if matched[in.InstanceId] || known[in.InstanceId] {
				continue
			}
			f := store.DriftFinding{InstanceID: in.InstanceId, Kind: KindUnknown, Cloud: in.InstanceName, RegionID: region}
			if v, ok := in.Tag(domain.TagRequest); ok {
				f.RequestID, _ = strconv.ParseInt(v, 10, 64)
			}
			unknown = append(unknown, f)
		}
		if unknown, err = failedOnes(ctx, records, unknown); err != nil {
			return err
		}
	}
	c.rep.Compared += compared
	c.rep.Omitted += dropped
	c.add(unknown...)
	c.add(found...)
	return nil
}

// failedOnes marks the unknown instances whose tag names a failed request:
// the request failed although its instance exists.
func failedOnes(ctx context.Context, records Records, unknown []store.DriftFinding) ([]store.DriftFinding, error) {
	var ids []int64
	for _, f := range unknown {
		if f.RequestID > 0 {
			ids = append(ids, f.RequestID)
		}
	}
	if len(ids) == 0 {
		return unknown, nil
	}
	failed, err := records.FailedAmong(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, f := range unknown {
		if failed[f.RequestID] {
			unknown[i].Kind, unknown[i].Portal = KindFailed, string(domain.StatusFailed)
		}
	}
	return unknown, nil
}

// Adopt makes each failed request of the findings whose instance exists
// succeed with it (store.AdoptInstance, audited: found by its tag), and
// returns the requests it adopted. A request that moved on meanwhile (an
// admin re-queued it) is left alone.
func Adopt(ctx context.Context, st *store.Store, findings []store.DriftFinding) (map[int64]bool, error) {
	adopted := map[int64]bool{}
	for _, f := range findings {
		if f.Kind != KindFailed {
			continue
		}
		r, err := st.Request(ctx, f.RequestID)
		if err != nil {
			return adopted, err
		}
		if r.Status != domain.StatusFailed {
			continue
		}
		err = st.AdoptInstance(ctx, r, store.Created{InstanceID: f.InstanceID, InstanceName: f.Cloud,
			Result:     map[string]any{"InstanceId": f.InstanceID, "InstanceName": f.Cloud, "RegionId": f.RegionID, "FoundByTag": true},
			FoundByTag: "by a drift check, by its tag " + domain.TagRequest + "=" + strconv.FormatInt(r.ID, 10) + ", after the request had failed"})
		if errors.Is(err, domain.ErrStateChanged) {
			continue
		}
		if err != nil {
			return adopted, err
		}
		adopted[r.ID] = true
	}
	return adopted, nil
}

// Mended is what Mend set right: the failed requests that now succeed
// with their instance, and the resizes for the maintenance window recorded
// as done.
type Mended struct {
	Adopted map[int64]bool
	Resized []Resized
}

// Mend sets right what a check found that the portal can: each failed
// request whose instance exists succeeds with it (Adopt), and each resize
// for the maintenance window that took effect is recorded
// (store.ScheduledResizeDone, audited on the request that ordered it; one
// another check recorded meanwhile is left out). The periodic check and
// `portal drift` both mend through it.
func Mend(ctx context.Context, st *store.Store, rep Report) (Mended, error) {
	adopted, err := Adopt(ctx, st, rep.Findings)
	m := Mended{Adopted: adopted}
	if err != nil {
		return m, err
	}
	for _, r := range rep.Resized {
		ok, err := st.ScheduledResizeDone(ctx, r.InstanceID, r.Class)
		if err != nil {
			return m, err
		}
		if ok {
			m.Resized = append(m.Resized, r)
		}
	}
	return m, nil
}

// maxPause caps one pause of pace.
const maxPause = time.Second

// pace waits after a page of records for as long as the page took (up to
// maxPause). A check's work grows with the live instances, and it runs in
// a serving process beside the pages people are waiting for: at hundreds
// of thousands of instances, a check at full speed took a core for many
// seconds and every page answered late meanwhile. Paced, it takes about
// half of one core and twice as long.
func pace(ctx context.Context, took time.Duration) error {
	return wait.Sleep(ctx, min(took, maxPause))
}

// untaggedOnes lists, by InstanceId, the instances of records that the
// tagged list did not have.
func untaggedOnes(ctx context.Context, cloud Cloud, region string, records []store.InstanceRecord, tagged map[string]rkvstore.Instance) (map[string]rkvstore.Instance, string) {
	var ids []string
	for _, r := range records {
		if _, ok := tagged[r.InstanceID]; !ok {
			ids = append(ids, r.InstanceID)
		}
	}
	out := map[string]rkvstore.Instance{}
	for batch := range slices.Chunk(ids, rkvstore.MaxInstanceIds) {
		rctx, cancel := context.WithTimeout(ctx, callTimeout)
		list, err := cloud.ListInstances(rctx, region, rkvstore.InstanceFilter{InstanceIds: batch})
		cancel()
		if err != nil {
			return nil, region + ": the instances could not be listed by InstanceId (" + rkvstore.Classify(err).Code + ")"
		}
		for _, in := range list {
			out[in.InstanceId] = in
		}
	}
	return out, ""
}

// differences are what differs between a record and its instance: the
// class, the name, and the status once the portal has seen one other than
// Creating (a new instance the sweep has not looked at again is not drift).
func differences(r store.InstanceRecord, in rkvstore.Instance) []store.DriftFinding {
	var out []store.DriftFinding
	add := func(kind, portal, cloud string) {
		out = append(out, store.DriftFinding{InstanceID: r.InstanceID, Kind: kind, RequestID: r.RequestID,
			Portal: portal, Cloud: cloud, RegionID: r.RegionID})
	}
	// While a class change is under way the two sides name different
	// classes by design: compared again once it is done. A class that a
	// resize for the maintenance window ordered is the portal's own change
	// (resizeDone), not drift.
	changing := in.InstanceStatus == "Changing" || r.InstanceStatus == "Changing"
	if in.InstanceClass != "" && in.InstanceClass != r.InstanceClass && !changing && !resizeDone(r, in) {
		add(KindClass, r.InstanceClass, in.InstanceClass)
	}
	if r.InstanceName != "" && in.InstanceName != r.InstanceName {
		add(KindName, r.InstanceName, in.InstanceName)
	}
	// An instance whose window has come is Changing in the cloud while the
	// portal last saw it Normal: the order the portal placed, not drift.
	windowCame := r.ScheduledClass != "" && in.InstanceStatus == "Changing"
	if r.InstanceStatus != "" && r.InstanceStatus != domain.InstanceCreating && in.InstanceStatus != r.InstanceStatus && !windowCame {
		add(KindStatus, r.InstanceStatus, in.InstanceStatus)
	}
	return out
}

// resizeDone reports whether the cloud runs r's instance at the class a
// resize for its maintenance window ordered, the change done.
func resizeDone(r store.InstanceRecord, in rkvstore.Instance) bool {
	return r.ScheduledClass != "" && in.InstanceClass == r.ScheduledClass && in.InstanceStatus != "Changing"
}

// Run checks the records in st against the cloud and records the findings;
// it returns the report and the findings that are new since the last check.
func Run(ctx context.Context, st *store.Store, cloud Cloud) (Report, []store.DriftFinding, error) {
	rep, err := Check(ctx, cloud, st)
	if err != nil {
		return rep, nil, err
	}
	if _, err := Mend(ctx, st, rep); err != nil {
		return rep, nil, err
	}
	fresh, err := st.RecordDrift(ctx, rep.Findings, rep.Problems)
	return rep, fresh, err
}

// whitelistDiffers compares the whitelist the portal last set on r's
// instance with its group kvportal in the cloud, as sets of entries: a
// finding when they differ, or a problem when the cloud could not say.
func whitelistDiffers(ctx context.Context, cloud Cloud, r store.InstanceRecord) (*store.DriftFinding, string) {
	rctx, cancel := context.WithTimeout(ctx, callTimeout)
	groups, err := cloud.DescribeSecurityIps(rctx, r.RegionID, r.InstanceID)
	cancel()
	if err != nil {
		return nil, r.InstanceID + ": its whitelist could not be read (" + rkvstore.Classify(err).Code + ")"
	}
	var have []string
	for _, g := range groups {
		if g.Name == domain.WhitelistGroup {
			have = g.IPs
		}
	}
	if domain.SameWhitelist(have, r.SecurityIps) {
		return nil, ""
	}
	return &store.DriftFinding{InstanceID: r.InstanceID, Kind: KindWhitelist, RequestID: r.RequestID,
		Portal: r.SecurityIps, Cloud: strings.Join(have, ","), RegionID: r.RegionID}, ""
}
