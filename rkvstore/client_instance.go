package rkvstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"
)

// CreateInstance creates an instance. p.Token is sent unchanged: retried with
// the same token after a Retryable or OutcomeUnknown error, the call returns
// the instance the first attempt made, if it made one, instead of a second.
// Empty optional parameters are not sent; Period goes out only for PrePaid;
// p.PrivateIp goes out as the API's PrivateIpAddress.
func (c *Client) CreateInstance(ctx context.Context, p Params) (CreateResult, error) {
	req := r_kvstore.CreateCreateInstanceRequest()
	req.RegionId = p.RegionId
	req.InstanceClass = p.InstanceClass
	req.ZoneId = p.ZoneId
	req.InstanceName = p.InstanceName
	req.Password = p.Password
	req.Token = p.Token
	req.ChargeType = p.ChargeType
	if p.ChargeType == ChargePrePaid && p.Period > 0 {
		req.Period = strconv.Itoa(p.Period)
	}
	req.NetworkType = WireNetworkType(p.NetworkType)
	req.VpcId = p.VpcId
	req.VSwitchId = p.VSwitchId
	req.PrivateIpAddress = p.PrivateIp
	req.SrcDBInstanceId = p.SrcDBInstanceId
	req.BackupId = p.BackupId
	req.InstanceType = p.InstanceType
	req.EngineVersion = p.EngineVersion

	resp := r_kvstore.CreateCreateInstanceResponse()
	if err := c.do(ctx, p.RegionId, req, resp); err != nil {
		return CreateResult{}, err
	}
	return CreateResult{
		InstanceId:       resp.InstanceId,
		InstanceName:     resp.InstanceName,
		InstanceStatus:   resp.InstanceStatus,
		RequestId:        resp.RequestId,
		ConnectionDomain: resp.ConnectionDomain,
		Port:             int64(resp.Port),
		ChargeType:       resp.ChargeType,
		RegionId:         resp.RegionId,
		ZoneId:           resp.ZoneId,
	}, nil
}

// WireNetworkType returns the spelling of a NetworkType the API expects:
// "CLASSIC" for Classic (the reference's default), "VPC" for VPC; anything
// else unchanged.
func WireNetworkType(networkType string) string {
	switch {
	case strings.EqualFold(networkType, NetworkClassic):
		return "CLASSIC"
	case strings.EqualFold(networkType, NetworkVPC):
		return "VPC"
	}
	return networkType
}

// DescribeInstanceAttribute returns what the API says of an instance. An
// unknown instance is a Permanent *APIError with Code CodeInstanceNotFound.
func (c *Client) DescribeInstanceAttribute(ctx context.Context, regionID, instanceID string) (InstanceAttribute, error) {
	req := r_kvstore.CreateDescribeInstanceAttributeRequest()
	req.RegionId = regionID
	req.InstanceId = instanceID
	resp := r_kvstore.CreateDescribeInstanceAttributeResponse()
	if err := c.do(ctx, regionID, req, resp); err != nil {
		return InstanceAttribute{}, err
	}
	for _, a := range resp.Instances.DBInstanceAttribute {
		if a.InstanceId == instanceID {
			return InstanceAttribute{
				InstanceId:     a.InstanceId,
				InstanceName:   a.InstanceName,
				InstanceStatus: a.InstanceStatus,
				RegionId:       a.RegionId,
				ZoneId:         a.ZoneId,
				RequestId:      resp.RequestId,
			}, nil
		}
	}
	return InstanceAttribute{}, &APIError{
		Class:     Permanent,
		Action:    req.GetActionName(),
		Code:      CodeInstanceNotFound,
		Message:   "the answer lists no instance " + strconv.Quote(instanceID),
		RequestId: resp.RequestId,
	}
}

// DescribePrice returns the price of buying the instance p describes: per
// hour for PostPaid, for the whole Period for PrePaid, as the API computes it.
func (c *Client) DescribePrice(ctx context.Context, p Params) (Price, error) {
	req := r_kvstore.CreateDescribePriceRequest()
	req.RegionId = p.RegionId
	req.ZoneId = p.ZoneId
	req.InstanceClass = p.InstanceClass
	req.ChargeType = p.ChargeType
	if p.ChargeType == ChargePrePaid && p.Period > 0 {
		req.Period = requests.NewInteger(p.Period)
	}
	req.OrderType = "BUY"
	req.Quantity = requests.NewInteger(1)
	resp := r_kvstore.CreateDescribePriceResponse()
	if err := c.do(ctx, p.RegionId, req, resp); err != nil {
		return Price{}, err
	}
	trade, err1 := strconv.ParseFloat(resp.Order.TradeAmount, 64)
	original, err2 := strconv.ParseFloat(resp.Order.OriginalAmount, 64)
	if err1 != nil || err2 != nil {
		return Price{}, &APIError{
			Class:     Permanent,
			Action:    req.GetActionName(),
			Code:      "BadPrice",
			Message:   "the answer's price is not a number: " + strconv.Quote(resp.Order.TradeAmount),
			RequestId: resp.RequestId,
		}
	}
	return Price{Currency: resp.Order.Currency, TradeAmount: trade, OriginalPrice: original}, nil
}
