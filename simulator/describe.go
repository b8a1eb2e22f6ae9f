package simulator

import (
	"net/http"
	"strings"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
)

// regionsResponse is DescribeRegions' answer, in the API's shape.
type regionsResponse struct {
	RequestId string
	RegionIds struct {
		KVStoreRegion []kvstoreRegion
	}
}

type kvstoreRegion struct {
	RegionId       string
	LocalName      string
	RegionEndpoint string
	ZoneIds        string
	ZoneIdList     struct{ ZoneId []string }
}

// describeRegions serves DescribeRegions: every region with its zones.
func (s *Simulator) describeRegions(w http.ResponseWriter, c *call) *apiError {
	resp := regionsResponse{RequestId: c.requestID}
	for _, r := range regions {
		kr := kvstoreRegion{RegionId: r.id, LocalName: r.name, RegionEndpoint: hostID}
		for _, z := range r.zones {
			kr.ZoneIdList.ZoneId = append(kr.ZoneIdList.ZoneId, z.id)
		}
		kr.ZoneIds = strings.Join(kr.ZoneIdList.ZoneId, ",")
		resp.RegionIds.KVStoreRegion = append(resp.RegionIds.KVStoreRegion, kr)
	}
	writeJSON(w, http.StatusOK, c.requestID, resp)
	return nil
}

// The nesting of DescribeAvailableResource's answer, level by level: zone,
// engine, edition, series, engine version, architecture, shard number, node
// type, classes.
type (
	availableResponse struct {
		RequestId      string
		AvailableZones struct{ AvailableZone []availableZone }
	}
	availableZone struct {
		RegionId         string
		ZoneId           string
		ZoneName         string
		Status           string
		NetworkTypes     string
		SupportedEngines struct{ SupportedEngine []supportedEngine }
	}
	supportedEngine struct {
		Engine                string
		SupportedEditionTypes struct{ SupportedEditionType []supportedEdition }
	}
	supportedEdition struct {
		EditionType          string
		SupportedSeriesTypes struct{ SupportedSeriesType []supportedSeries }
	}
	supportedSeries struct {
		SeriesType              string
		SupportedEngineVersions struct{ SupportedEngineVersion []supportedVersion }
	}
	supportedVersion struct {
		Version                    string
		SupportedArchitectureTypes struct{ SupportedArchitectureType []supportedArchitecture }
	}
	supportedArchitecture struct {
		Architecture          string
		SupportedShardNumbers struct{ SupportedShardNumber []supportedShards }
	}
	supportedShards struct {
		ShardNumber        string
		SupportedNodeTypes struct{ SupportedNodeType []supportedNodeType }
	}
	supportedNodeType struct {
		SupportedNodeType  string
		AvailableResources struct{ AvailableResource []availableResource }
	}
	availableResource struct {
		InstanceClass       string
		Capacity            int64
		InstanceClassRemark string
	}
)

// describeAvailableResource serves DescribeAvailableResource: the classes
// sold in a region's zones, narrowed by ZoneId and Engine when given.
func (s *Simulator) describeAvailableResource(w http.ResponseWriter, c *call) *apiError {
	r, e := s.requireRegion(c)
	if e != nil {
		return e
	}
	zoneFilter, engineFilter := c.param("ZoneId"), c.param("Engine")
	if engineFilter != "" && !strings.EqualFold(engineFilter, domain.TypeRedis) && !strings.EqualFold(engineFilter, domain.TypeMemcache) {
		return errInvalid("Engine", "must be Redis or Memcache")
	}
	resp := availableResponse{RequestId: c.requestID}
	for _, z := range r.zones {
		if zoneFilter != "" && z.id != zoneFilter {
			continue
		}
		az := availableZone{RegionId: r.id, ZoneId: z.id, ZoneName: z.name, Status: "1", NetworkTypes: "VPC,CLASSIC"}
		for _, instanceType := range []string{domain.TypeRedis, domain.TypeMemcache} {
			if engineFilter != "" && !strings.EqualFold(engineFilter, instanceType) {
				continue
			}
			if eng, ok := zoneEngine(z, instanceType); ok {
				az.SupportedEngines.SupportedEngine = append(az.SupportedEngines.SupportedEngine, eng)
			}
		}
		resp.AvailableZones.AvailableZone = append(resp.AvailableZones.AvailableZone, az)
	}
	writeJSON(w, http.StatusOK, c.requestID, resp)
	return nil
}

// zoneEngine returns what zone z sells of an instance type, nested as the
// API nests it; false when it sells nothing of it.
func zoneEngine(z zone, instanceType string) (supportedEngine, bool) {
	series := supportedSeries{SeriesType: "standard"}
	for _, version := range engineVersions[instanceType] {
		v := supportedVersion{Version: version}
		for _, cluster := range []bool{false, true} {
			node := supportedNodeType{SupportedNodeType: "double"}
			for _, cl := range classes {
				if cl.instanceType == instanceType && cl.cluster == cluster && z.sells(cl, version) {
					node.AvailableResources.AvailableResource = append(node.AvailableResources.AvailableResource,
						availableResource{InstanceClass: cl.name, Capacity: cl.capacityMB, InstanceClassRemark: remark(cl)})
				}
			}
			if len(node.AvailableResources.AvailableResource) == 0 {
				continue
			}
			arch := supportedArchitecture{Architecture: "standard"}
			shards := supportedShards{ShardNumber: "1"}
			if cluster {
				arch.Architecture, shards.ShardNumber = "cluster", "8"
			}
			shards.SupportedNodeTypes.SupportedNodeType = []supportedNodeType{node}
			arch.SupportedShardNumbers.SupportedShardNumber = []supportedShards{shards}
			v.SupportedArchitectureTypes.SupportedArchitectureType = append(v.SupportedArchitectureTypes.SupportedArchitectureType, arch)
		}
		if len(v.SupportedArchitectureTypes.SupportedArchitectureType) > 0 {
			series.SupportedEngineVersions.SupportedEngineVersion = append(series.SupportedEngineVersions.SupportedEngineVersion, v)
		}
	}
	if len(series.SupportedEngineVersions.SupportedEngineVersion) == 0 {
		return supportedEngine{}, false
	}
	edition := supportedEdition{EditionType: "Community"}
	edition.SupportedSeriesTypes.SupportedSeriesType = []supportedSeries{series}
	eng := supportedEngine{Engine: strings.ToLower(instanceType)}
	eng.SupportedEditionTypes.SupportedEditionType = []supportedEdition{edition}
	return eng, true
}

// remark describes a class as the console does.
func remark(cl class) string {
	kind := "master-replica"
	if cl.cluster {
		kind = "cluster"
	}
	return formatGB(cl.capacityMB) + " " + kind
}

// requireRegion returns the region a call names in RegionId.
func (s *Simulator) requireRegion(c *call) (region, *apiError) {
	id := c.param("RegionId")
	if id == "" {
		return region{}, errMissing("RegionId")
	}
	r, ok := findRegion(id)
	if !ok {
		return region{}, &apiError{http.StatusBadRequest, "InvalidRegionId.NotFound", "The specified region does not exist."}
	}
	return r, nil
}

// attributeResponse is DescribeInstanceAttribute's answer, in the API's
// shape.
type attributeResponse struct {
	RequestId string
	Instances struct{ DBInstanceAttribute []dbInstanceAttribute }
}

type dbInstanceAttribute struct {
	InstanceId       string
	InstanceName     string
	InstanceStatus   string
	RegionId         string
	ZoneId           string
	InstanceClass    string
	InstanceType     string
	Engine           string
	EngineVersion    string
	ArchitectureType string
	ChargeType       string
	NetworkType      string
	VpcId            string
	VSwitchId        string
	PrivateIp        string
	Capacity         int64
	ConnectionDomain string
	Port             int64
	QPS              int64
	Bandwidth        int64
	Connections      int64
	CreateTime       string
	EndTime          string `json:",omitempty"`
	NodeType         string
	IsRds            bool
	Tags             wireTags
	// RealInstanceClass is the class the instance runs as: the previous
	// one, and IsOrderCompleted false, while a change of class is under
	// way.
	RealInstanceClass         string
	IsOrderCompleted          bool
	InstanceReleaseProtection bool
}

// describeInstanceAttribute serves DescribeInstanceAttribute: an instance is
// Creating for the creating delay after it was made, then Normal; Changing
// for the creating delay after a change of class starts, with
// RealInstanceClass the previous class and IsOrderCompleted false until it
// ends (and, for a resize waiting for its maintenance window, Normal at the
// previous class with IsOrderCompleted false before it starts). EndTime is a
// subscription's end (creation + Period months, moved by renewals).
func (s *Simulator) describeInstanceAttribute(w http.ResponseWriter, c *call) *apiError {
	id := c.param("InstanceId")
	if id == "" {
		return errMissing("InstanceId")
	}
	inst, ok := s.state.get(id)
	if !ok || (c.param("RegionId") != "" && c.param("RegionId") != inst.RegionId) {
		return errInstanceNotFound
	}
	now := s.clock.Now()
	status := inst.Status(now, s.creatingDelay)
	resp := attributeResponse{RequestId: c.requestID}
	resp.Instances.DBInstanceAttribute = []dbInstanceAttribute{{
		InstanceId:       inst.InstanceId,
		InstanceName:     inst.InstanceName,
		InstanceStatus:   status,
		RegionId:         inst.RegionId,
		ZoneId:           inst.ZoneId,
		InstanceClass:    inst.listedClass(now),
		InstanceType:     inst.InstanceType,
		Engine:           inst.InstanceType,
		EngineVersion:    inst.EngineVersion,
		ArchitectureType: inst.architecture(),
		ChargeType:       inst.ChargeType,
		NetworkType:      rkvstore.WireNetworkType(inst.NetworkType),
		VpcId:            inst.VpcId,
		VSwitchId:        inst.VSwitchId,
		PrivateIp:        inst.PrivateIp,
		Capacity:         inst.CapacityMB,
		ConnectionDomain: connectionDomain(inst),
		Port:             int64(inst.port()),
		QPS:              qps(inst.CapacityMB),
		Bandwidth:        bandwidthMBps(inst.CapacityMB),
		Connections:      connections(inst.CapacityMB),
		CreateTime:       inst.CreatedAt.UTC().Format(timeFormat),
		EndTime:          endTime(inst),
		NodeType:         "double",
		IsRds:            true,
		Tags:             tagsOnWire(inst.Tags),

		RealInstanceClass:         inst.realClass(now),
		IsOrderCompleted:          inst.orderCompleted(now),
		InstanceReleaseProtection: inst.ReleaseProtection,
	}}
	writeJSON(w, http.StatusOK, c.requestID, resp)
	return nil
}
