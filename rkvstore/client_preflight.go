package rkvstore

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"

	"github.com/kvportal/kvportal/domain"
)

// CodeDryRunPassed is how the API answers a CreateInstance with DryRun=true
// that it would have accepted: as an error, so that nothing can take it for
// a creation.
const CodeDryRunPassed = "DryRunOperation"

// CheckCreate asks the cloud whether it would accept CreateInstance for p
// with tags, without creating anything (DryRun=true). nil: it would. Any
// other answer is an *APIError: Permanent for the cloud's refusal (its code
// and message say why), Retryable or OutcomeUnknown when it could not be
// asked.
func (c *Client) CheckCreate(ctx context.Context, p domain.Params, tags ...domain.Tag) error {
	req := createRequest(p, tags)
	req.DryRun = requests.NewBoolean(true)
	resp := r_kvstore.CreateCreateInstanceResponse()
	err := c.do(ctx, p.RegionId, req, resp)
	if err == nil {
		// A cloud that ignored DryRun made an instance: never say all is
		// well then, so that the caller stops.
		return &APIError{Class: Permanent, Action: req.GetActionName(), Code: "DryRunIgnored",
			Message: "the cloud created instance " + resp.InstanceId + " instead of checking the request", RequestId: resp.RequestId}
	}
	if apiErr := Classify(err); apiErr.Code == CodeDryRunPassed {
		return nil
	}
	return err
}
