package rkvstore

import (
	"context"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"

	"github.com/kvportal/kvportal/domain"
)

// describePageSize is the most instances one DescribeInstances page lists
// (the API's maximum).
const describePageSize = 50

// maxDescribePages bounds the pages ListInstances reads, so that an answer
// whose counts never add up cannot keep it asking.
const maxDescribePages = 1000

// Instance is one instance as DescribeInstances lists it.
type Instance struct {
	InstanceId       string
	InstanceName     string
	InstanceStatus   string
	InstanceClass    string
	RegionId         string
	ZoneId           string
	ConnectionDomain string
	Port             int64
	PrivateIp        string
	ChargeType       string // PrePaid or PostPaid
	// EndTime is when a subscription ends (zero: none).
	EndTime time.Time
	Tags    []domain.Tag
}

// Tag returns the value of the tag key, and whether the instance has it.
func (in Instance) Tag(key string) (string, bool) {
	for _, t := range in.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// InstanceFilter selects instances for ListInstances; zero fields select
// every instance.
type InstanceFilter struct {
	// Tags an instance must all carry; a tag with an empty Value matches
	// any value of its key.
	Tags []domain.Tag
	// InstanceIds are the instances to list, at most 30 (the API's limit).
	InstanceIds []string
}

// MaxInstanceIds is the most InstanceIds one DescribeInstances call takes.
const MaxInstanceIds = 30

// ListInstances lists every instance of a region that f selects, reading
// DescribeInstances page after page.
func (c *Client) ListInstances(ctx context.Context, regionID string, f InstanceFilter) ([]Instance, error) {
	tags := f.Tags
	var out []Instance
	for page := 1; page <= maxDescribePages; page++ {
		req := r_kvstore.CreateDescribeInstancesRequest()
		req.RegionId = regionID
		req.PageNumber = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(describePageSize)
		req.InstanceIds = strings.Join(f.InstanceIds, ",")
		if len(tags) > 0 {
			wire := make([]r_kvstore.DescribeInstancesTag, len(tags))
			for i, t := range tags {
				wire[i] = r_kvstore.DescribeInstancesTag{Key: t.Key, Value: t.Value}
			}
			req.Tag = &wire
		}
		resp := r_kvstore.CreateDescribeInstancesResponse()
		if err := c.do(ctx, regionID, req, resp); err != nil {
			return nil, err
		}
		list := resp.Instances.KVStoreInstance
		for _, a := range list {
			in := Instance{
				InstanceId: a.InstanceId, InstanceName: a.InstanceName, InstanceStatus: a.InstanceStatus,
				InstanceClass: a.InstanceClass, RegionId: a.RegionId, ZoneId: a.ZoneId,
				ConnectionDomain: a.ConnectionDomain, Port: a.Port, PrivateIp: a.PrivateIp,
				ChargeType: a.ChargeType,
			}
			in.EndTime, _ = parseCloudTime(a.EndTime) // unreadable: zero, as for none
			for _, t := range a.Tags.Tag {
				in.Tags = append(in.Tags, domain.Tag{Key: t.Key, Value: t.Value})
			}
			out = append(out, in)
		}
		if len(list) == 0 || len(out) >= resp.TotalCount {
			return out, nil
		}
	}
	return out, nil
}
