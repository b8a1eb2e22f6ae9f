package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
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
	ScheduledClass   string     `json:"ScheduledClass" doc:"The class a resize for its maintenance window (EffectiveTime MaintainTime) ordered, until the cloud runs it; empty when none waits."`
	ScheduledBy      *int64     `json:"scheduled_by" nullable:"true" doc:"The request that ordered ScheduledClass; null when none waits."`
	Requests         []int64    `json:"requests" nullable:"false" doc:"The ids of its requests (its creation and every change), newest first."`
}

func instanceOut(in domain.Instance, reqs []int64) Instance {
	if reqs == nil {
		reqs = []int64{}
	}
	return Instance{InstanceId: in.InstanceID, InstanceName: in.InstanceName, RegionId: in.RegionID,
		ZoneId: in.ZoneID, InstanceClass: in.InstanceClass, ChargeType: in.ChargeType, InstanceStatus: in.Status,
		ConnectionDomain: in.ConnectionDomain, Port: in.ConnectionPort, SecurityIps: in.SecurityIPs, Team: in.Team,
		Owner: in.OwnerName, EndTime: in.EndTime, ReleaseAfter: in.ReleaseAfter, ScheduledClass: in.ScheduledClass,
		ScheduledBy: in.ScheduledBy, Requests: reqs}
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
	huma.Register(a, huma.Operation{
		OperationID: "submit-change", Method: http.MethodPost, Path: "/instances/{InstanceId}/requests", Tags: []string{"instances"},
		Summary: "Ask for a change of an instance",
		Description: "A request of a kind other than create: " + changeKinds() + ". " +
			"Validated with the form's rules and stored like a creation: pending approval, or approved by a policy rule " +
			"that names its Kind. One change at a time per instance: while one is pending, approved or provisioning, " +
			"another is refused (409, naming it).",
		Security: bearer, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxBody, SkipValidateBody: true,
		Errors: errs(http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity),
	}, s.submitChange)
}

// changeKinds lists the kinds of change with their fields, as domain.Kinds
// has them: "set_whitelist (SecurityIps), …, or renew (Period)".
func changeKinds() string {
	var ks []string
	for _, k := range domain.Kinds {
		var fields []string
		for _, f := range k.Fields {
			fields = append(fields, f.Name)
		}
		ks = append(ks, string(k.Kind)+" ("+strings.Join(fields, ", ")+")")
	}
	if len(ks) < 2 {
		return strings.Join(ks, "")
	}
	return strings.Join(ks[:len(ks)-1], ", ") + " or " + ks[len(ks)-1]
}

// ChangeSubmission is the body of a change: Kind and the kind's fields,
// each a string. Unknown keys are refused.
type ChangeSubmission map[string]json.RawMessage

// Schema describes a ChangeSubmission from the kinds' fields.
func (ChangeSubmission) Schema(huma.Registry) *huma.Schema {
	props := map[string]*huma.Schema{
		workflow.KindField: {Type: "string", Enum: kindEnum()[1:], Description: "The kind of change."},
	}
	for _, k := range domain.Kinds {
		for _, f := range k.Fields {
			sc := &huma.Schema{Type: "string", Description: f.Label + " (" + string(k.Kind) + "). " + f.Help}
			if f.MaxLen > 0 {
				sc.MaxLength = &f.MaxLen
			}
			if f.Secret {
				sc.WriteOnly = true
			}
			for _, c := range f.Choices {
				sc.Enum = append(sc.Enum, c)
			}
			props[f.Name] = sc
		}
	}
	return &huma.Schema{Type: "object", Properties: props, Required: []string{workflow.KindField},
		AdditionalProperties: false, Examples: []any{map[string]any{"Kind": "set_whitelist", "SecurityIps": "10.0.0.0/8,192.168.1.7"}}}
}

// input reads a change's body: each known key as the form would have sent
// it; unknown keys, values that are not strings and control characters are
// field errors.
func (b ChangeSubmission) input() (domain.Input, domain.FieldErrors) {
	known := map[string]bool{workflow.KindField: true}
	for _, k := range domain.Kinds {
		for _, f := range k.Fields {
			known[f.Name] = true
		}
	}
	in, errs := domain.Input{}, domain.FieldErrors{}
	for k, raw := range b {
		if !known[k] {
			errs[k] = "is not a field of any change: the keys are Kind and the kind's fields"
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			errs[k] = "must be a string"
			continue
		}
		if problem := domain.TextProblem(v); problem != "" {
			errs[k] = problem
			continue
		}
		in[k] = v
	}
	return in, errs
}

type submitChangeInput struct {
	InstanceID string `path:"InstanceId" maxLength:"64" doc:"The instance's id."`
	Body       ChangeSubmission
}

func (s *server) submitChange(ctx context.Context, in *submitChangeInput) (*submitOutput, error) {
	input, errs := in.Body.input()
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	r, errs, err := s.Workflow.SubmitChange(ctx, actor(ctx), in.InstanceID, input)
	switch {
	case err != nil:
		return nil, s.fail(ctx, err)
	case len(errs) > 0:
		return nil, invalid(errs)
	}
	return &submitOutput{Status: http.StatusCreated, Location: Prefix + "/requests/" + strconv.FormatInt(r.ID, 10), Body: Request{r}}, nil
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
		return nil, s.fail(ctx, err)
	}
	reqs, err := s.Store.InstanceRequestIDs(ctx, []string{inst.InstanceID})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &instanceOutput{instanceOut(inst, reqs[inst.InstanceID])}, nil
}

type listInstancesInput struct {
	Team           string `query:"team" doc:"Admins: only the instances of this team." maxLength:"64"`
	Region         string `query:"region" doc:"Admins: only the instances in this region." maxLength:"64"`
	Status         string `query:"status" doc:"Admins: only the instances in this status at the cloud (Normal, Changing, Released, …)." maxLength:"64"`
	EndsWithinDays int    `query:"ends_within_days" minimum:"0" maximum:"3650" doc:"Admins: only the live instances whose lease or subscription ends within this many days (0: any)."`
	Cursor         string `query:"cursor" doc:"next_cursor of the previous page." maxLength:"64"`
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
	f := store.InstanceFilter{Team: in.Team, RegionID: in.Region, Status: in.Status, After: in.Cursor, Limit: pageSize}
	if in.EndsWithinDays > 0 {
		f.EndsBefore = domain.Now(s.Clock).Add(time.Duration(in.EndsWithinDays) * 24 * time.Hour)
	}
	list, err := s.Workflow.Instances(ctx, actor(ctx), f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	ids := make([]string, len(list))
	for i, inst := range list {
		ids[i] = inst.InstanceID
	}
	reqs, err := s.Store.InstanceRequestIDs(ctx, ids)
	if err != nil {
		return nil, s.fail(ctx, err)
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
