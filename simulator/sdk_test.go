package simulator_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"

	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/simulator"
)

// sdkCaller sends requests with the official Go SDK to a simulator served
// over HTTP.
type sdkCaller struct {
	t    *testing.T
	host string
}

func newSDKCaller(t *testing.T, sim *simulator.Simulator) sdkCaller {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return sdkCaller{t: t, host: u.Host}
}

// do sends req and fills resp; the error is the SDK's. The SDK sends the
// client's region as RegionId when a request names none: the tests' instances
// are in cn-shanghai.
func (c sdkCaller) do(req requests.AcsRequest, resp responses.AcsResponse) error {
	c.t.Helper()
	config := sdk.NewConfig().WithAutoRetry(false)
	client := &r_kvstore.Client{}
	if err := client.InitWithOptions("cn-shanghai", config, credentials.NewAccessKeyCredential(keyID, secret)); err != nil {
		c.t.Fatal(err)
	}
	req.SetScheme("http")
	req.SetDomain(c.host)
	return client.DoAction(req, resp)
}

// wantCode checks that err is the API's error with the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want the API's %s", err, code)
	}
	if se.ErrorCode() != code {
		t.Fatalf("error %s (%s), want %s", se.ErrorCode(), se.Message(), code)
	}
}

// createRequest is a valid CreateInstance in cn-shanghai.
func createRequest(token string) *r_kvstore.CreateInstanceRequest {
	req := r_kvstore.CreateCreateInstanceRequest()
	req.RegionId = "cn-shanghai"
	req.InstanceClass = "redis.master.mid.default"
	req.Password = password
	req.Token = token
	return req
}

func newSim(t *testing.T, adjust func(*simulator.Config)) *simulator.Simulator {
	t.Helper()
	cfg := config("")
	if adjust != nil {
		adjust(&cfg)
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

func TestDryRunChecksAsCreateDoes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		adjust func(*r_kvstore.CreateInstanceRequest)
		setup  func(*simulator.Simulator)
		code   string // "" for a request a real call accepts
	}{
		{"valid", nil, nil, ""},
		{"valid in a zone", func(r *r_kvstore.CreateInstanceRequest) { r.ZoneId = "cn-shanghai-e" }, nil, ""},
		{"unknown class", func(r *r_kvstore.CreateInstanceRequest) { r.InstanceClass = "redis.master.huge.default" }, nil, "InvalidInstanceClass.NotFound"},
		{"unknown region", func(r *r_kvstore.CreateInstanceRequest) { r.RegionId = "xx-nowhere-1" }, nil, "InvalidRegionId.NotFound"},
		{"unknown zone", func(r *r_kvstore.CreateInstanceRequest) { r.ZoneId = "cn-shanghai-z" }, nil, "InvalidZoneId.NotFound"},
		{"class not sold in the zone", func(r *r_kvstore.CreateInstanceRequest) {
			r.ZoneId, r.InstanceClass = "cn-shanghai-b", "redis.sharding.2xlarge.default"
		}, nil, "InvalidParameter"},
		{"weak password", func(r *r_kvstore.CreateInstanceRequest) { r.Password = "weakpassword" }, nil, "InvalidParameter"},
		{"zone sold out", func(r *r_kvstore.CreateInstanceRequest) { r.ZoneId = "cn-shanghai-e" },
			func(s *simulator.Simulator) { s.SetSoldOut("cn-shanghai-e") }, "ResourceNotAvailable"},
		{"every zone of the region sold out", nil,
			func(s *simulator.Simulator) { s.SetSoldOut("cn-shanghai-b", "cn-shanghai-e", "cn-shanghai-g") }, "ResourceNotAvailable"},
		{"quota used up", nil, func(s *simulator.Simulator) {
			s.SetInstanceQuota(1)
			if err := createOne(t, s); err != nil {
				t.Fatal(err)
			}
		}, "QuotaExceed.Instance"},
		{"bad tag", func(r *r_kvstore.CreateInstanceRequest) {
			r.Tag = &[]r_kvstore.CreateInstanceTag{{Key: "aliyun:owner", Value: "x"}}
		}, nil, "InvalidParameter"},
		{"DryRun not a boolean", func(r *r_kvstore.CreateInstanceRequest) { r.QueryParams["DryRun"] = "maybe" }, nil, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, nil)
			if tt.setup != nil {
				tt.setup(sim)
			}
			before := len(sim.Instances())
			api := newSDKCaller(t, sim)
			for _, dryRun := range []bool{true, false} {
				req := createRequest(fmt.Sprintf("tok-%s-%v", strings.ReplaceAll(tt.name, " ", "-"), dryRun))
				if tt.adjust != nil {
					tt.adjust(req)
				}
				if req.QueryParams["DryRun"] == "" {
					req.DryRun = requests.NewBoolean(dryRun)
				} else if !dryRun {
					continue
				}
				resp := r_kvstore.CreateCreateInstanceResponse()
				err := api.do(req, resp)
				switch {
				case tt.code != "":
					wantCode(t, err, tt.code)
				case dryRun:
					wantCode(t, err, "DryRunOperation")
					var se *sdkerrors.ServerError
					errors.As(err, &se)
					if se.HttpStatus() != 400 {
						t.Errorf("DryRunOperation with HTTP %d, want 400", se.HttpStatus())
					}
				case err != nil || resp.InstanceId == "":
					t.Fatalf("real create: %v %+v", err, resp)
				}
				if dryRun && len(sim.Instances()) != before {
					t.Fatalf("a dry run made an instance: %+v", sim.Instances())
				}
			}
		})
	}
}

// createOne makes an instance through the API.
func createOne(t *testing.T, sim *simulator.Simulator) error {
	t.Helper()
	return newSDKCaller(t, sim).do(createRequest(fmt.Sprintf("tok-%d", time.Now().UnixNano())), r_kvstore.CreateCreateInstanceResponse())
}

func TestDryRunOfAReplay(t *testing.T) {
	t.Parallel()
	sim := newSim(t, func(c *simulator.Config) { c.InstanceQuota = 1 })
	api := newSDKCaller(t, sim)
	if err := api.do(createRequest("tok-replay"), r_kvstore.CreateCreateInstanceResponse()); err != nil {
		t.Fatal(err)
	}
	// The token's instance exists: a dry run of the same request passes
	// although the quota is used up, as the real call would return it.
	again := createRequest("tok-replay")
	again.DryRun = requests.NewBoolean(true)
	wantCode(t, api.do(again, r_kvstore.CreateCreateInstanceResponse()), "DryRunOperation")
	other := createRequest("tok-replay")
	other.InstanceClass = testfix.InstanceClass
	other.DryRun = requests.NewBoolean(true)
	wantCode(t, api.do(other, r_kvstore.CreateCreateInstanceResponse()), "IdempotentParameterMismatch")
}

func TestTags(t *testing.T) {
	t.Parallel()
	sim := newSim(t, nil)
	api := newSDKCaller(t, sim)
	tags := []r_kvstore.CreateInstanceTag{{Key: "kvportal:request", Value: "42"}, {Key: "kvportal:team", Value: "payments"}}
	req := createRequest("tok-tags")
	req.Tag = &tags
	made := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(req, made); err != nil {
		t.Fatal(err)
	}

	attr := r_kvstore.CreateDescribeInstanceAttributeRequest()
	attr.InstanceId = made.InstanceId
	attrResp := r_kvstore.CreateDescribeInstanceAttributeResponse()
	if err := api.do(attr, attrResp); err != nil {
		t.Fatal(err)
	}
	got := attrResp.Instances.DBInstanceAttribute[0].Tags.Tag
	if len(got) != 2 || got[0].Key != "kvportal:request" || got[0].Value != "42" || got[1].Value != "payments" {
		t.Errorf("DescribeInstanceAttribute tags = %+v", got)
	}

	// The tags are part of what the Token stands for.
	same := createRequest("tok-tags")
	same.Tag = &tags
	replay := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(same, replay); err != nil || replay.InstanceId != made.InstanceId {
		t.Fatalf("replay with the same tags: %v, %s", err, replay.InstanceId)
	}
	other := createRequest("tok-tags")
	other.Tag = &[]r_kvstore.CreateInstanceTag{{Key: "kvportal:request", Value: "43"}, {Key: "kvportal:team", Value: "payments"}}
	wantCode(t, api.do(other, r_kvstore.CreateCreateInstanceResponse()), "IdempotentParameterMismatch")
	wantCode(t, api.do(createRequest("tok-tags"), r_kvstore.CreateCreateInstanceResponse()), "IdempotentParameterMismatch")
	if sim.CountByToken("tok-tags") != 1 {
		t.Errorf("instances with the token: %d", sim.CountByToken("tok-tags"))
	}

	dup := createRequest("tok-dup")
	dup.Tag = &[]r_kvstore.CreateInstanceTag{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}
	wantCode(t, api.do(dup, r_kvstore.CreateCreateInstanceResponse()), "InvalidParameter")
}

// describe lists instances with DescribeInstances.
func describe(t *testing.T, api sdkCaller, adjust func(*r_kvstore.DescribeInstancesRequest)) *r_kvstore.DescribeInstancesResponse {
	t.Helper()
	req := r_kvstore.CreateDescribeInstancesRequest()
	req.QueryParams["RegionId"] = "cn-shanghai"
	if adjust != nil {
		adjust(req)
	}
	resp := r_kvstore.CreateDescribeInstancesResponse()
	if err := api.do(req, resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func ids(resp *r_kvstore.DescribeInstancesResponse) []string {
	var out []string
	for _, in := range resp.Instances.KVStoreInstance {
		out = append(out, in.InstanceId)
	}
	return out
}

func TestDescribeInstances(t *testing.T) {
	t.Parallel()
	sim := newSim(t, nil)
	api := newSDKCaller(t, sim)
	var made []string
	for i := range 5 {
		req := createRequest(fmt.Sprintf("tok-list-%d", i))
		team := "payments"
		if i%2 == 1 {
			team = "search"
		}
		req.Tag = &[]r_kvstore.CreateInstanceTag{{Key: "kvportal:request", Value: fmt.Sprint(i)}, {Key: "kvportal:team", Value: team}}
		if i == 4 {
			req.Tag = nil
			req.NetworkType, req.VpcId, req.VSwitchId = "VPC", "vpc-abc", "vsw-abc"
		}
		resp := r_kvstore.CreateCreateInstanceResponse()
		if err := api.do(req, resp); err != nil {
			t.Fatal(err)
		}
		made = append(made, resp.InstanceId)
	}
	other := createRequest("tok-elsewhere")
	other.RegionId, other.InstanceClass = "cn-beijing", testfix.InstanceClass
	if err := api.do(other, r_kvstore.CreateCreateInstanceResponse()); err != nil {
		t.Fatal(err)
	}

	all := describe(t, api, nil)
	if all.TotalCount != 5 || all.PageNumber != 1 || all.PageSize != 10 || strings.Join(ids(all), ",") != strings.Join(made, ",") {
		t.Fatalf("all of cn-shanghai: total %d page %d size %d %v, want %v", all.TotalCount, all.PageNumber, all.PageSize, ids(all), made)
	}
	first := all.Instances.KVStoreInstance[0]
	if first.InstanceClass != "redis.master.mid.default" || first.InstanceStatus != "Normal" || first.RegionId != "cn-shanghai" ||
		first.ZoneId == "" || first.ConnectionDomain == "" || first.Port != 6379 || first.NetworkType != "CLASSIC" ||
		len(first.Tags.Tag) != 2 || first.Tags.Tag[1].Value != "payments" {
		t.Errorf("first instance = %+v", first)
	}
	vpc := all.Instances.KVStoreInstance[4]
	if vpc.NetworkType != "VPC" || !strings.HasPrefix(vpc.PrivateIp, "172.16.") || vpc.ConnectionDomain == "" || vpc.Port == 0 {
		t.Errorf("VPC instance = %+v", vpc)
	}

	byTeam := describe(t, api, func(r *r_kvstore.DescribeInstancesRequest) {
		r.Tag = &[]r_kvstore.DescribeInstancesTag{{Key: "kvportal:team", Value: "payments"}}
	})
	if byTeam.TotalCount != 2 || strings.Join(ids(byTeam), ",") != made[0]+","+made[2] {
		t.Errorf("team payments: %v", ids(byTeam))
	}
	byKey := describe(t, api, func(r *r_kvstore.DescribeInstancesRequest) {
		r.Tag = &[]r_kvstore.DescribeInstancesTag{{Key: "kvportal:request"}}
	})
	if byKey.TotalCount != 4 {
		t.Errorf("tag key alone: %v", ids(byKey))
	}
	byIDs := describe(t, api, func(r *r_kvstore.DescribeInstancesRequest) { r.InstanceIds = made[3] + "," + made[1] + ",r-unknown" })
	if strings.Join(ids(byIDs), ",") != made[1]+","+made[3] {
		t.Errorf("by IDs: %v", ids(byIDs))
	}
	page := describe(t, api, func(r *r_kvstore.DescribeInstancesRequest) {
		r.PageSize, r.PageNumber = requests.NewInteger(2), requests.NewInteger(3)
	})
	if page.TotalCount != 5 || page.PageNumber != 3 || page.PageSize != 2 || strings.Join(ids(page), ",") != made[4] {
		t.Errorf("page 3 of 2: total %d %v", page.TotalCount, ids(page))
	}
	beyond := describe(t, api, func(r *r_kvstore.DescribeInstancesRequest) { r.PageNumber = requests.NewInteger(9) })
	if beyond.TotalCount != 5 || len(beyond.Instances.KVStoreInstance) != 0 {
		t.Errorf("page 9: %v", ids(beyond))
	}

	for name, adjust := range map[string]func(*r_kvstore.DescribeInstancesRequest){
		"page size 51":  func(r *r_kvstore.DescribeInstancesRequest) { r.PageSize = requests.NewInteger(51) },
		"page number 0": func(r *r_kvstore.DescribeInstancesRequest) { r.PageNumber = requests.NewInteger(0) },
		"31 IDs": func(r *r_kvstore.DescribeInstancesRequest) {
			r.InstanceIds = strings.Repeat("r-x,", 30) + "r-y"
		},
	} {
		req := r_kvstore.CreateDescribeInstancesRequest()
		req.QueryParams["RegionId"] = "cn-shanghai"
		adjust(req)
		err := api.do(req, r_kvstore.CreateDescribeInstancesResponse())
		var se *sdkerrors.ServerError
		if !errors.As(err, &se) || se.ErrorCode() != "InvalidParameter" {
			t.Errorf("%s: %v", name, err)
		}
	}
	req := r_kvstore.CreateDescribeInstancesRequest()
	req.QueryParams["RegionId"] = "xx-nowhere-1"
	wantCode(t, api.do(req, r_kvstore.CreateDescribeInstancesResponse()), "InvalidRegionId.NotFound")
}

func TestChangesBehindThePortalsBack(t *testing.T) {
	t.Parallel()
	clock := testfix.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	sim := newSim(t, func(c *simulator.Config) { c.CreatingDelay = time.Minute; c.Clock = clock })
	api := newSDKCaller(t, sim)
	made := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(createRequest("tok-drift"), made); err != nil {
		t.Fatal(err)
	}
	attribute := func() (r_kvstore.DBInstanceAttribute, error) {
		req := r_kvstore.CreateDescribeInstanceAttributeRequest()
		req.InstanceId = made.InstanceId
		resp := r_kvstore.CreateDescribeInstanceAttributeResponse()
		if err := api.do(req, resp); err != nil {
			return r_kvstore.DBInstanceAttribute{}, err
		}
		return resp.Instances.DBInstanceAttribute[0], nil
	}

	// A class cannot change while the instance is being created.
	resize := r_kvstore.CreateModifyInstanceSpecRequest()
	resize.InstanceId, resize.InstanceClass = made.InstanceId, "redis.master.large.default"
	wantCode(t, api.do(resize, r_kvstore.CreateModifyInstanceSpecResponse()), "IncorrectDBInstanceState")

	clock.Advance(2 * time.Minute)
	resized := r_kvstore.CreateModifyInstanceSpecResponse()
	if err := api.do(resize, resized); err != nil || resized.OrderId == "" {
		t.Fatalf("ModifyInstanceSpec: %v %+v", err, resized)
	}
	if a, err := attribute(); err != nil || a.InstanceClass != "redis.master.large.default" || a.InstanceStatus != "Changing" || a.Capacity != 8192 {
		t.Errorf("after resize: %+v %v", a, err)
	}
	clock.Advance(2 * time.Minute)
	if a, _ := attribute(); a.InstanceStatus != "Normal" {
		t.Errorf("status after the change = %s", a.InstanceStatus)
	}
	unknown := r_kvstore.CreateModifyInstanceSpecRequest()
	unknown.InstanceId, unknown.InstanceClass = made.InstanceId, "redis.master.huge.default"
	wantCode(t, api.do(unknown, r_kvstore.CreateModifyInstanceSpecResponse()), "InvalidInstanceClass.NotFound")
	memcache := r_kvstore.CreateModifyInstanceSpecRequest()
	memcache.InstanceId, memcache.InstanceClass = made.InstanceId, "memcache.master.small.default"
	wantCode(t, api.do(memcache, r_kvstore.CreateModifyInstanceSpecResponse()), "InvalidParameter")

	rename := r_kvstore.CreateModifyInstanceAttributeRequest()
	rename.InstanceId, rename.InstanceName = made.InstanceId, "renamed-behind"
	if err := api.do(rename, r_kvstore.CreateModifyInstanceAttributeResponse()); err != nil {
		t.Fatal(err)
	}
	if a, _ := attribute(); a.InstanceName != "renamed-behind" {
		t.Errorf("name after rename = %s", a.InstanceName)
	}
	bad := r_kvstore.CreateModifyInstanceAttributeRequest()
	bad.InstanceId, bad.InstanceName = made.InstanceId, "9 starts with a digit"
	wantCode(t, api.do(bad, r_kvstore.CreateModifyInstanceAttributeResponse()), "InvalidParameter")

	del := r_kvstore.CreateDeleteInstanceRequest()
	del.InstanceId = made.InstanceId
	if err := api.do(del, r_kvstore.CreateDeleteInstanceResponse()); err != nil {
		t.Fatal(err)
	}
	_, err := attribute()
	wantCode(t, err, "InvalidInstanceId.NotFound")
	if list := describe(t, api, nil); list.TotalCount != 0 {
		t.Errorf("deleted instance still listed: %v", ids(list))
	}
	wantCode(t, api.do(del, r_kvstore.CreateDeleteInstanceResponse()), "InvalidInstanceId.NotFound")
	wantCode(t, api.do(rename, r_kvstore.CreateModifyInstanceAttributeResponse()), "InvalidInstanceId.NotFound")
	// The token still stands for the instance it made.
	replay := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(createRequest("tok-drift"), replay); err != nil || replay.InstanceId != made.InstanceId {
		t.Errorf("replay after delete: %v %s", err, replay.InstanceId)
	}
	if sim.CountByToken("tok-drift") != 1 {
		t.Errorf("instances with the token: %d", sim.CountByToken("tok-drift"))
	}
}

func TestChangesInProcess(t *testing.T) {
	t.Parallel()
	sim := newSim(t, nil)
	api := newSDKCaller(t, sim)
	made := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(createRequest("tok-in-process"), made); err != nil {
		t.Fatal(err)
	}
	if err := sim.RenameInstance(made.InstanceId, "other-name"); err != nil {
		t.Fatal(err)
	}
	if err := sim.ResizeInstance(made.InstanceId, testfix.InstanceClass); err != nil {
		t.Fatal(err)
	}
	got := sim.Instances()[0]
	if got.InstanceName != "other-name" || got.InstanceClass != testfix.InstanceClass || got.CapacityMB != 1024 {
		t.Errorf("after rename and resize: %+v", got)
	}
	if err := sim.RenameInstance(made.InstanceId, "x"); err == nil || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Errorf("a one-letter name: %v", err)
	}
	if err := sim.DeleteInstance(made.InstanceId); err != nil {
		t.Fatal(err)
	}
	if got := sim.Instances()[0]; got.DeletedAt.IsZero() || got.Status(time.Now(), 0) != "Released" {
		t.Errorf("after delete: %+v", got)
	}
	if err := sim.DeleteInstance(made.InstanceId); err == nil || !strings.Contains(err.Error(), "InvalidInstanceId.NotFound") {
		t.Errorf("second delete: %v", err)
	}
}
