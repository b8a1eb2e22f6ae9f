package rkvstore

import (
	"context"
	"errors"
	"net/http"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"

	"github.com/kvportal/kvportal/domain"
)

// CodeDryRunPassed is how the API answers a CreateInstance with DryRun=true
// that it would have accepted: as an error, so that nothing can take it for
// a creation.
const CodeDryRunPassed = "DryRunOperation"

// dryRunAnswer is CreateInstance's answer to a dry run, whatever its HTTP
// status: the error's code and message beside the creation's fields,
// decoded once by the SDK. A dry run's every answer is an error, even the
// one that says all is well; as a plain response's error, the SDK would
// decode its body a second time and look up each of its fields through a
// JSON query interpreter built for each field: a large share of the
// client's work in a dry run.
type dryRunAnswer struct {
	*r_kvstore.CreateInstanceResponse
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// IsSuccess tells the SDK to decode every answer into a: CheckCreate reads
// its HTTP status itself.
func (a *dryRunAnswer) IsSuccess() bool { return true }

// CheckCreate asks the cloud whether it would accept CreateInstance for p
// with tags, without creating anything (DryRun=true). nil: it would. Any
// other answer is an *APIError: Permanent for the cloud's refusal (its code
// and message say why), Retryable or OutcomeUnknown when it could not be
// asked.
func (c *Client) CheckCreate(ctx context.Context, p domain.Params, tags ...domain.Tag) error {
	req := createRequest(p, tags)
	req.DryRun = requests.NewBoolean(true)
	resp := &dryRunAnswer{CreateInstanceResponse: r_kvstore.CreateCreateInstanceResponse()}
	err := c.do(ctx, p.RegionId, req, resp)
	status := resp.GetHttpStatus()
	unreadable := false
	if err != nil {
		// Only an answer whose body the SDK could not decode is looked at
		// further: its status may still say what happened.
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Code != sdkerrors.JsonUnmarshalErrorCode || status == 0 {
			return err
		}
		unreadable = true
	}
	if status >= http.StatusOK && status < http.StatusMultipleChoices {
		if unreadable {
			return err // a success that could not be read: what it made is unknown
		}
		// A cloud that ignored DryRun made an instance: never say all is
		// well then, so that the caller stops.
		return &APIError{Class: Permanent, Action: req.GetActionName(), Code: "DryRunIgnored",
			Message: "the cloud created instance " + resp.InstanceId + " instead of checking the request", RequestId: resp.RequestId}
	}
	if unreadable {
		// Not the API's JSON error (a proxy's page): its status says it all.
		resp.Code, resp.Message, resp.RequestId = "", "", ""
	}
	apiErr := classifyAnswer(status, resp.Code, resp.Message, resp.RequestId)
	if apiErr.Code == CodeDryRunPassed {
		return nil
	}
	apiErr.Action = req.GetActionName()
	return apiErr
}
