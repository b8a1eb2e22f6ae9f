// Package drift compares the instances the portal made with what the cloud
// has now: DescribeInstances in every region, filtered by the portal's tags
// and read page after page, against the portal's records. It finds
// instances the cloud no longer has, instances carrying the portal's tags
// that the portal has no record of, and instances whose class, name or
// status is no longer what the portal recorded (someone changed them in the
// console, behind the portal's back).
//
// Check only reads; Run records the findings (store.RecordDrift), so that
// /admin/drift, the metrics and the webhook see them. `portal drift`, the
// admin page and a periodic job on the provisioner's queue all use them.
package drift

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/kvportal/kvportal/domain"
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
)

// Kinds lists the kinds of finding, in the order they are shown.
func Kinds() []string { return []string{KindMissing, KindUnknown, KindClass, KindName, KindStatus} }

// Cloud is the part of the R-KVStore API a check calls (*rkvstore.Client).
type Cloud interface {
	DescribeRegions(ctx context.Context) ([]domain.Region, error)
	ListInstances(ctx context.Context, regionID string, f rkvstore.InstanceFilter) ([]rkvstore.Instance, error)
}

// Report is what one check found.
type Report struct {
	Findings []store.DriftFinding
	// Problems are what kept the check from comparing everything: a region
	// it could not list, whose instances were left out rather than reported
	// missing.
	Problems []string
}

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
	}
	return fmt.Sprintf("%s %s differs: portal %q, cloud %q%s", f.InstanceID, f.Kind, f.Portal, f.Cloud, req)
}

// callTimeout bounds each call of a check.
const callTimeout = 20 * time.Second

// Check compares records with the cloud. Every region the cloud lists is
// asked, and every region a record is in.
func Check(ctx context.Context, cloud Cloud, records []store.InstanceRecord) Report {
	var rep Report
	// The records by region, and which instances the portal knows.
	byRegion := map[string][]store.InstanceRecord{}
	known := map[string]bool{}
	for _, r := range records {
		byRegion[r.RegionID] = append(byRegion[r.RegionID], r)
		known[r.InstanceID] = true
	}
	regions := map[string]bool{}
	for region := range byRegion {
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
	ours := []domain.Tag{{Key: domain.TagRequest}}
	for _, region := range slices.Sorted(maps.Keys(regions)) {
		rctx, cancel := context.WithTimeout(ctx, callTimeout)
		cloudList, err := cloud.ListInstances(rctx, region, rkvstore.InstanceFilter{Tags: ours})
		cancel()
		if err != nil {
			rep.Problems = append(rep.Problems, region+": the instances could not be listed ("+rkvstore.Classify(err).Code+")")
			continue
		}
		byID := map[string]rkvstore.Instance{}
		for _, in := range cloudList {
			byID[in.InstanceId] = in
			if !known[in.InstanceId] {
				f := store.DriftFinding{InstanceID: in.InstanceId, Kind: KindUnknown, Cloud: in.InstanceName, RegionID: region}
				if v, ok := in.Tag(domain.TagRequest); ok {
					f.RequestID, _ = strconv.ParseInt(v, 10, 64)
				}
				rep.Findings = append(rep.Findings, f)
			}
		}
		inRegion := byRegion[region]
		// An instance made before the portal tagged its instances is not in
		// the tagged list: ask for the rest by InstanceId before calling any
		// of them missing.
		untagged, problem := untaggedOnes(ctx, cloud, region, inRegion, byID)
		if problem != "" {
			rep.Problems = append(rep.Problems, problem)
			continue
		}
		for _, r := range inRegion {
			in, ok := byID[r.InstanceID]
			if !ok {
				in, ok = untagged[r.InstanceID]
			}
			if !ok {
				rep.Findings = append(rep.Findings, store.DriftFinding{InstanceID: r.InstanceID, Kind: KindMissing,
					RequestID: r.RequestID, Portal: r.InstanceName, RegionID: region})
				continue
			}
			rep.Findings = append(rep.Findings, differences(r, in)...)
		}
	}
	return rep
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
	if in.InstanceClass != "" && in.InstanceClass != r.InstanceClass {
		add(KindClass, r.InstanceClass, in.InstanceClass)
	}
	if r.InstanceName != "" && in.InstanceName != r.InstanceName {
		add(KindName, r.InstanceName, in.InstanceName)
	}
	if r.InstanceStatus != "" && r.InstanceStatus != domain.InstanceCreating && in.InstanceStatus != r.InstanceStatus {
		add(KindStatus, r.InstanceStatus, in.InstanceStatus)
	}
	return out
}

// Run checks the records in st against the cloud and records the findings;
// it returns the report and the findings that are new since the last check.
func Run(ctx context.Context, st *store.Store, cloud Cloud) (Report, []store.DriftFinding, error) {
	records, err := st.InstanceRecords(ctx)
	if err != nil {
		return Report{}, nil, err
	}
	rep := Check(ctx, cloud, records)
	fresh, err := st.RecordDrift(ctx, rep.Findings, rep.Problems)
	return rep, fresh, err
}
