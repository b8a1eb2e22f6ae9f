package simulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvportal/kvportal/rkvstore"
)

// DescribeInstances' paging, as the API documents it.
const (
	defaultPageSize   = 10
	maxPageSize       = 50
	maxInstanceIdsLen = 30
)

// instancesResponse is DescribeInstances' answer, in the API's shape.
type instancesResponse struct {
	RequestId  string
	PageNumber int
	PageSize   int
	TotalCount int
	Instances  struct{ KVStoreInstance []kvstoreInstance }
}

type kvstoreInstance struct {
	InstanceId       string
	InstanceName     string
	InstanceClass    string
	InstanceStatus   string
	InstanceType     string
	EngineVersion    string
	ArchitectureType string
	RegionId         string
	ZoneId           string
	ChargeType       string
	NetworkType      string
	VpcId            string
	VSwitchId        string
	PrivateIp        string
	ConnectionDomain string
	Port             int64
	Capacity         int64
	QPS              int64
	Bandwidth        int64
	Connections      int64
	CreateTime       string
	EndTime          string `json:",omitempty"`
	NodeType         string
	IsRds            bool
	Tags             wireTags
}

// describeInstances serves DescribeInstances: the region's instances, oldest
// first, narrowed by InstanceIds (comma-separated, up to 30), by tags
// (Tag.N.Key, with Tag.N.Value when given) and by InstanceStatus,
// InstanceClass, InstanceType, ZoneId, ChargeType, NetworkType and VpcId when
// given, and by Expired (true: subscriptions whose EndTime has passed;
// false: every other instance), one page of PageSize (at most 50, default
// 10) at PageNumber (default 1).
func (s *Simulator) describeInstances(w http.ResponseWriter, c *call) *apiError {
	r, e := s.requireRegion(c)
	if e != nil {
		return e
	}
	pageNumber, e := positiveParam(c, "PageNumber", 1, 0)
	if e != nil {
		return e
	}
	pageSize, e := positiveParam(c, "PageSize", defaultPageSize, maxPageSize)
	if e != nil {
		return e
	}
	var ids []string
	if v := c.param("InstanceIds"); v != "" {
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) > maxInstanceIdsLen {
			return errInvalid("InstanceIds", "at most "+strconv.Itoa(maxInstanceIdsLen)+" instance IDs may be given")
		}
	}
	tags, e := tagsFromWire(c.params)
	if e != nil {
		return e
	}
	expiredSet := c.param("Expired") != ""
	expired, e := boolParam(c, "Expired")
	if e != nil {
		return e
	}

	now := s.clock.Now()
	var matched []Instance
	for _, inst := range s.state.all() {
		if !inst.DeletedAt.IsZero() || inst.RegionId != r.id ||
			(ids != nil && !slices.Contains(ids, inst.InstanceId)) || !inst.hasTags(tags) ||
			!matches(c, "InstanceStatus", inst.Status(now, s.creatingDelay)) ||
			!matches(c, "InstanceClass", inst.InstanceClass) ||
			!matches(c, "InstanceType", inst.InstanceType) ||
			!matches(c, "ZoneId", inst.ZoneId) ||
			!matches(c, "ChargeType", inst.ChargeType) ||
			!matches(c, "NetworkType", rkvstore.WireNetworkType(inst.NetworkType)) ||
			!matches(c, "VpcId", inst.VpcId) {
			continue
		}
		if end := inst.endsAt(); expiredSet && (!end.IsZero() && !now.Before(end)) != expired {
			continue
		}
		matched = append(matched, inst)
	}

	resp := instancesResponse{RequestId: c.requestID, PageNumber: pageNumber, PageSize: pageSize, TotalCount: len(matched)}
	resp.Instances.KVStoreInstance = []kvstoreInstance{}
	first := (pageNumber - 1) * pageSize
	for i := first; i < len(matched) && i < first+pageSize; i++ {
		resp.Instances.KVStoreInstance = append(resp.Instances.KVStoreInstance, s.kvstoreInstance(matched[i], now))
	}
	writeJSON(w, http.StatusOK, c.requestID, resp)
	return nil
}

// kvstoreInstance is an instance as DescribeInstances lists it.
func (s *Simulator) kvstoreInstance(inst Instance, now time.Time) kvstoreInstance {
	return kvstoreInstance{
		InstanceId:       inst.InstanceId,
		InstanceName:     inst.InstanceName,
		InstanceClass:    inst.listedClass(now),
		InstanceStatus:   inst.Status(now, s.creatingDelay),
		InstanceType:     inst.InstanceType,
		EngineVersion:    inst.EngineVersion,
		ArchitectureType: inst.architecture(),
		RegionId:         inst.RegionId,
		ZoneId:           inst.ZoneId,
		ChargeType:       inst.ChargeType,
		NetworkType:      rkvstore.WireNetworkType(inst.NetworkType),
		VpcId:            inst.VpcId,
		VSwitchId:        inst.VSwitchId,
		PrivateIp:        inst.PrivateIp,
		ConnectionDomain: connectionDomain(inst),
		Port:             int64(inst.port()),
		Capacity:         inst.CapacityMB,
		QPS:              qps(inst.CapacityMB),
		Bandwidth:        bandwidthMBps(inst.CapacityMB),
		Connections:      connections(inst.CapacityMB),
		CreateTime:       inst.CreatedAt.UTC().Format(timeFormat),
		EndTime:          endTime(inst),
		NodeType:         "double",
		IsRds:            true,
		Tags:             tagsOnWire(inst.Tags),
	}
}

// positiveParam reads an optional whole-number parameter from 1 to limit (no
// limit when limit is 0), def when absent.
func positiveParam(c *call, name string, def, limit int) (int, *apiError) {
	v := c.param(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || (limit > 0 && n > limit) {
		why := "must be a whole number from 1"
		if limit > 0 {
			why += " to " + strconv.Itoa(limit)
		}
		return 0, errInvalid(name, why)
	}
	return n, nil
}

// matches reports whether the instance's value passes the call's filter
// parameter name (any value when the call does not give it).
func matches(c *call, name, value string) bool {
	want := c.param(name)
	return want == "" || strings.EqualFold(want, value)
}
