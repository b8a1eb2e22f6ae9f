package api

import (
	"context"
	"time"
)

// catalogOutput is what the form offers.
type catalogOutput struct {
	Body struct {
		Known          bool                `json:"known" doc:"false when the cloud's list could not be loaded: nothing below restricts a request then."`
		Stale          bool                `json:"stale" doc:"true when the cloud could not be reached since fetched_at."`
		FetchedAt      *time.Time          `json:"fetched_at,omitempty"`
		Regions        []region            `json:"regions" nullable:"false"`
		InstanceTypes  []string            `json:"instance_types" nullable:"false"`
		EngineVersions map[string][]string `json:"engine_versions" doc:"Engine versions per instance type."`
		Offers         []offer             `json:"offers" nullable:"false" doc:"The instance classes sold, per region, zone, instance type and engine version."`
	}
}

type region struct {
	RegionId  string `json:"RegionId"`
	LocalName string `json:"LocalName"`
	Zones     []zone `json:"zones" nullable:"false"`
}

type zone struct {
	ZoneId    string `json:"ZoneId"`
	LocalName string `json:"LocalName"`
}

type offer struct {
	RegionId      string `json:"RegionId"`
	ZoneId        string `json:"ZoneId"`
	InstanceType  string `json:"InstanceType"`
	EngineVersion string `json:"EngineVersion"`
	InstanceClass string `json:"InstanceClass"`
	CapacityMB    int64  `json:"CapacityMB,omitempty"`
}

func (s *server) catalog(ctx context.Context, _ *struct{}) (*catalogOutput, error) {
	cat := s.Workflow.CurrentCatalog(ctx)
	out := &catalogOutput{}
	b := &out.Body
	b.Regions, b.InstanceTypes, b.Offers, b.EngineVersions = []region{}, cat.AllowedInstanceTypes(), []offer{}, map[string][]string{}
	if b.InstanceTypes == nil {
		b.InstanceTypes = []string{}
	}
	for _, t := range b.InstanceTypes {
		b.EngineVersions[t] = cat.AllowedEngineVersions(t)
	}
	if cat == nil {
		return out, nil
	}
	b.Known, b.Stale, b.FetchedAt = true, cat.Stale, &cat.FetchedAt
	for _, r := range cat.Regions {
		reg := region{RegionId: r.RegionId, LocalName: r.LocalName, Zones: []zone{}}
		for _, z := range r.Zones {
			reg.Zones = append(reg.Zones, zone{ZoneId: z.ZoneId, LocalName: z.LocalName})
		}
		b.Regions = append(b.Regions, reg)
	}
	for _, o := range cat.Offers {
		b.Offers = append(b.Offers, offer(o))
	}
	return out, nil
}
