package rkvstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"
)

// The calls that look after an instance once it exists ("day 2"). Each is
// one SDK request; every error is an *APIError classified as CreateInstance's
// are, so a caller retries a Retryable or OutcomeUnknown error with the same
// ClientToken where the operation takes one.

// SecurityIpGroup is one IP whitelist group of an instance.
type SecurityIpGroup struct {
	Name string
	IPs  []string
}

// SpecChange is a change of class for ModifyInstanceSpec.
type SpecChange struct {
	// InstanceClass is the target class.
	InstanceClass string
	// EffectiveTime is "" or "Immediately" (the API's default) or
	// "MaintainTime" (in the instance's maintenance window).
	EffectiveTime string
	// OrderType is "UPGRADE" or "DOWNGRADE" ("" sends the API's default,
	// UPGRADE).
	OrderType string
	// ClientToken makes a retry of the same change return the first
	// attempt's order instead of ordering a second change.
	ClientToken string
}

// Values of ModifySecurityIps' ModifyMode and of SpecChange.OrderType.
const (
	ModifyModeCover    = "Cover"
	OrderTypeUpgrade   = "UPGRADE"
	OrderTypeDowngrade = "DOWNGRADE"
)

// Error codes of the day-2 operations that a caller acts on.
const (
	// CodeTaskConflict: another change of the instance is under way.
	CodeTaskConflict = "Task.Conflict"
	// CodeIncorrectState: the instance is busy (not Normal).
	CodeIncorrectState = "IncorrectDBInstanceState"
	// CodeReleaseProtection: DeleteInstance refused while release
	// protection is on.
	CodeReleaseProtection = "InstanceReleaseProtection"
)

// IsNotFound reports whether err is the cloud's answer that the instance
// does not exist (InvalidInstanceId.NotFound): after a DeleteInstance whose
// answer was lost, it means the instance is gone.
func IsNotFound(err error) bool {
	apiErr, ok := errors.AsType[*APIError](err)
	return ok && apiErr.Code == CodeInstanceNotFound
}

// ModifySecurityIps replaces the whitelist group of the instance with ips
// (ModifyMode Cover): after it, the group holds exactly ips.
func (c *Client) ModifySecurityIps(ctx context.Context, regionID, instanceID, group string, ips []string) error {
	req := r_kvstore.CreateModifySecurityIpsRequest()
	req.InstanceId = instanceID
	req.SecurityIpGroupName = group
	req.SecurityIps = strings.Join(ips, ",")
	req.ModifyMode = ModifyModeCover
	return c.do(ctx, regionID, req, r_kvstore.CreateModifySecurityIpsResponse())
}

// DescribeSecurityIps returns the instance's whitelist groups, in the
// cloud's order.
func (c *Client) DescribeSecurityIps(ctx context.Context, regionID, instanceID string) ([]SecurityIpGroup, error) {
	req := r_kvstore.CreateDescribeSecurityIpsRequest()
	req.InstanceId = instanceID
	resp := r_kvstore.CreateDescribeSecurityIpsResponse()
	if err := c.do(ctx, regionID, req, resp); err != nil {
		return nil, err
	}
	groups := make([]SecurityIpGroup, 0, len(resp.SecurityIpGroups.SecurityIpGroup))
	for _, g := range resp.SecurityIpGroups.SecurityIpGroup {
		groups = append(groups, SecurityIpGroup{Name: g.SecurityIpGroupName, IPs: splitList(g.SecurityIpList)})
	}
	return groups, nil
}

// splitList splits a comma-separated list, leaving out empty items.
func splitList(s string) []string {
	out := []string{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// ModifyInstanceSpec orders a change of the instance's class and returns the
// order's id. The instance is Changing until the change is done: wait for
// DescribeInstanceAttribute to say Normal, IsOrderCompleted and
// RealInstanceClass equal to the target.
func (c *Client) ModifyInstanceSpec(ctx context.Context, regionID, instanceID string, s SpecChange) (orderID string, err error) {
	req := r_kvstore.CreateModifyInstanceSpecRequest()
	req.InstanceId = instanceID
	req.InstanceClass = s.InstanceClass
	req.EffectiveTime = s.EffectiveTime
	req.OrderType = s.OrderType
	req.ClientToken = s.ClientToken
	// Without payment the order would wait for someone in the console.
	req.AutoPay = requests.NewBoolean(true)
	resp := r_kvstore.CreateModifyInstanceSpecResponse()
	if err := c.do(ctx, regionID, req, resp); err != nil {
		return "", err
	}
	return resp.OrderId, nil
}

// ResetPassword sets the instance's password (ModifyInstanceAttribute
// NewPassword).
func (c *Client) ResetPassword(ctx context.Context, regionID, instanceID, newPassword string) error {
	req := r_kvstore.CreateModifyInstanceAttributeRequest()
	req.InstanceId = instanceID
	req.NewPassword = newPassword
	return c.do(ctx, regionID, req, r_kvstore.CreateModifyInstanceAttributeResponse())
}

// SetReleaseProtection turns the instance's release protection on or off
// (ModifyInstanceAttribute InstanceReleaseProtection).
func (c *Client) SetReleaseProtection(ctx context.Context, regionID, instanceID string, on bool) error {
	req := r_kvstore.CreateModifyInstanceAttributeRequest()
	req.InstanceId = instanceID
	req.InstanceReleaseProtection = requests.NewBoolean(on)
	return c.do(ctx, regionID, req, r_kvstore.CreateModifyInstanceAttributeResponse())
}

// DeleteInstance releases a pay-as-you-go instance. It takes no token: after
// a Retryable or OutcomeUnknown error, call it again, and count an error for
// which IsNotFound is true as the release having happened.
func (c *Client) DeleteInstance(ctx context.Context, regionID, instanceID string) error {
	req := r_kvstore.CreateDeleteInstanceRequest()
	req.InstanceId = instanceID
	return c.do(ctx, regionID, req, r_kvstore.CreateDeleteInstanceResponse())
}

// RenewInstance extends a subscription by periodMonths and returns its new
// end. A retry with the same clientToken returns the first renewal's end
// instead of renewing twice.
func (c *Client) RenewInstance(ctx context.Context, regionID, instanceID string, periodMonths int, clientToken string) (endTime time.Time, err error) {
	req := r_kvstore.CreateRenewInstanceRequest()
	req.InstanceId = instanceID
	req.Period = requests.NewInteger(periodMonths)
	req.ClientToken = clientToken
	req.AutoPay = requests.NewBoolean(true)
	resp := r_kvstore.CreateRenewInstanceResponse()
	if err := c.do(ctx, regionID, req, resp); err != nil {
		return time.Time{}, err
	}
	end, err := parseCloudTime(resp.EndTime)
	if err != nil || end.IsZero() {
		return time.Time{}, &APIError{
			Class:     OutcomeUnknown, // renewed, but to when is not known
			Action:    req.GetActionName(),
			Code:      "BadEndTime",
			Message:   "the answer's EndTime is not a time: " + strconv.Quote(resp.EndTime),
			RequestId: resp.RequestId,
		}
	}
	return end, nil
}

// maxAutoRenewalIds is the most instances one
// ModifyInstanceAutoRenewalAttribute call takes.
const maxAutoRenewalIds = 30

// ModifyAutoRenewal turns auto-renewal of subscriptions on (for
// durationMonths, 1 to 12, each time) or off (durationMonths ignored).
func (c *Client) ModifyAutoRenewal(ctx context.Context, regionID string, instanceIDs []string, autoRenew bool, durationMonths int) error {
	action := "ModifyInstanceAutoRenewalAttribute"
	if len(instanceIDs) == 0 || len(instanceIDs) > maxAutoRenewalIds {
		return &APIError{Class: Permanent, Action: action, Code: CodeNotSent,
			Message: "not sent: from 1 to " + strconv.Itoa(maxAutoRenewalIds) + " instance IDs are required"}
	}
	req := r_kvstore.CreateModifyInstanceAutoRenewalAttributeRequest()
	req.RegionId = regionID
	req.DBInstanceId = strings.Join(instanceIDs, ",")
	req.AutoRenew = strconv.FormatBool(autoRenew)
	if autoRenew {
		req.Duration = strconv.Itoa(durationMonths)
	}
	return c.do(ctx, regionID, req, r_kvstore.CreateModifyInstanceAutoRenewalAttributeResponse())
}

// parseCloudTime reads a time as the API writes it (UTC, to the second or
// the minute); "" is the zero time.
func parseCloudTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	var err error
	for _, layout := range []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04Z", time.RFC3339} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}
