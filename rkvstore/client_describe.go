package rkvstore

import (
	"context"

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
	Tags             []domain.Tag
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

// ListInstances lists every instance of a region that carries all of tags
// (a tag with an empty Value matches any value of its key), reading
// DescribeInstances page after page.
func (c *Client) ListInstances(ctx context.Context, regionID string, tags []domain.Tag) ([]Instance, error) {
	var out []Instance
	for page := 1; page <= maxDescribePages; page++ {
		req := r_kvstore.CreateDescribeInstancesRequest()
		req.RegionId = regionID
		req.PageNumber = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(describePageSize)
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
			}
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
