package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Instance is an instance the portal created, as the API shows it.
type Instance struct {
	InstanceId       string     `json:"InstanceId" doc:"The instance's id at the cloud."`
	InstanceName     string     `json:"InstanceName"`
	RegionId         string     `json:"RegionId"`
	ZoneId           string     `json:"ZoneId"`
	InstanceClass    string     `json:"InstanceClass" doc:"Its class now, as the cloud last said."`
	ChargeType       string     `json:"ChargeType" enum:"PrePaid,PostPaid"`
	InstanceStatus   string     `json:"InstanceStatus" doc:"Its status at the cloud as last read (Creating, Normal, Changing, Released, …); empty before."`
	ConnectionDomain string     `json:"ConnectionDomain" doc:"Its address, once the cloud reports it."`
	Port             int        `json:"Port" doc:"Its port, once the cloud reports it (0 before)."`
	SecurityIps      string     `json:"SecurityIps" doc:"The IP whitelist the portal last set (group kvportal), comma-separated as set; empty while none."`
	Team             string     `json:"Team" doc:"The team it belongs to; empty for none."`
	Owner            string     `json:"owner" doc:"Who asked for it."`
	EndTime          *time.Time `json:"EndTime" nullable:"true" doc:"When a subscription ends; null for pay-as-you-go."`
	ReleaseAfter     *time.Time `json:"ReleaseAfter" nullable:"true" doc:"When its lease ends; null when it has none."`
	Requests         []int64    `json:"requests" nullable:"false" doc:"The ids of its requests (its creation and every change), newest first."`
}

func instanceOut(in domain.Instance, reqs []int64) Instance {
	if reqs == nil {
		reqs = []int64{}
	}
	return Instance{InstanceId: in.InstanceID, InstanceName: in.InstanceName, RegionId: in.RegionID,
		ZoneId: in.ZoneID, InstanceClass: in.InstanceClass, ChargeType: in.ChargeType, InstanceStatus: in.Status,
		ConnectionDomain: in.ConnectionDomain, Port: in.ConnectionPort, SecurityIps: in.SecurityIPs, Team: in.Team,
		Owner: in.OwnerName, EndTime: in.EndTime, ReleaseAfter: in.ReleaseAfter, Requests: reqs}
}

func (s *server) instanceRoutes(a huma.API, errs func(codes ...int) []int) {
	huma.Register(a, huma.Operation{
		OperationID: "list-instances", Method: http.MethodGet, Path: "/instances", Tags: []string{"instances"},
		Summary: "List instances",
		Description: "The caller's instances and their teams', by InstanceId; admins every instance, filtered by " +
			"team, region and status. 50 at a time: pass next_cursor as cursor for the next page.",
		Security: bearer, Errors: errs(http.StatusUnprocessableEntity),
	}, s.listInstances)
	huma.Register(a, huma.Operation{
		OperationID: "get-instance", Method: http.MethodGet, Path: "/instances/{InstanceId}", Tags: []string{"instances"},
		Summary:     "Get an instance",
		Description: "Its owner, its team's members, approvers and admins see an instance; to others it does not exist (404).",
		Security:    bearer, Errors: errs(http.StatusNotFound, http.StatusUnprocessableEntity),
	}, s.getInstance)
}

type instanceIDInput struct {
	InstanceID string `path:"InstanceId" maxLength:"64" doc:"The instance's id."`
}

type instanceOutput struct {
	Body Instance
}

func (s *server) getInstance(ctx context.Context, in *instanceIDInput) (*instanceOutput, error) {
	inst, err := s.Workflow.Instance(ctx, actor(ctx), in.InstanceID)
	if err != nil {
		return nil, s.fail(err)
	}
	reqs, err := s.Store.InstanceRequestIDs(ctx, []string{inst.InstanceID})
	if err != nil {
		return nil, s.fail(err)
	}
	return &instanceOutput{instanceOut(inst, reqs[inst.InstanceID])}, nil
}

type listInstancesInput struct {
	Team   string `query:"team" doc:"Admins: only the instances of this team." maxLength:"64"`
	Region string `query:"region" doc:"Admins: only the instances in this region." maxLength:"64"`
	Status string `query:"status" doc:"Admins: only the instances in this status at the cloud (Normal, Changing, Released, …)." maxLength:"64"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page." maxLength:"64"`
}

type listInstancesOutput struct {
	Body struct {
		Items      []Instance `json:"items" nullable:"false"`
		NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

func (s *server) listInstances(ctx context.Context, in *listInstancesInput) (*listInstancesOutput, error) {
	errs := domain.FieldErrors{}
	if in.Team != "" && !domain.ValidTeamName(in.Team) {
		errs["team"] = "must be a team's name"
	}
	for name, v := range map[string]string{"region": in.Region, "status": in.Status, "cursor": in.Cursor} {
		if v != "" && !domain.PlainID(v) {
			errs[name] = "must be letters, digits, '-' and '_'"
		}
	}
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	list, err := s.Workflow.Instances(ctx, actor(ctx), store.InstanceFilter{Team: in.Team, RegionID: in.Region,
		Status: in.Status, After: in.Cursor, Limit: pageSize})
	if err != nil {
		return nil, s.fail(err)
	}
	ids := make([]string, len(list))
	for i, inst := range list {
		ids[i] = inst.InstanceID
	}
	reqs, err := s.Store.InstanceRequestIDs(ctx, ids)
	if err != nil {
		return nil, s.fail(err)
	}
	out := &listInstancesOutput{}
	out.Body.Items = make([]Instance, len(list))
	for i, inst := range list {
		out.Body.Items[i] = instanceOut(inst, reqs[inst.InstanceID])
	}
	if len(list) == pageSize {
		out.Body.NextCursor = list[len(list)-1].InstanceID
	}
	return out, nil
}
