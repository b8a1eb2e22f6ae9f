package rkvstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"

	"github.com/kvportal/kvportal/domain"
)

// createParams maps each parameter of domain.Table onto the SDK's
// CreateInstance request: Period goes out only for PrePaid, NetworkType in
// the API's spelling, PrivateIp as the API's PrivateIpAddress, Port only
// when the request names one.
var createParams = map[string]func(req *r_kvstore.CreateInstanceRequest, p domain.Params){
	"InstanceName":  func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.InstanceName = p.InstanceName },
	"Password":      func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.Password = p.Password },
	"InstanceClass": func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.InstanceClass = p.InstanceClass },
	"RegionId":      func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.RegionId = p.RegionId },
	"ZoneId":        func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.ZoneId = p.ZoneId },
	"ChargeType":    func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.ChargeType = p.ChargeType },
	"Period": func(req *r_kvstore.CreateInstanceRequest, p domain.Params) {
		if p.ChargeType == domain.ChargePrePaid && p.Period > 0 {
			req.Period = strconv.Itoa(p.Period)
		}
	},
	"Token": func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.Token = p.Token },
	"NetworkType": func(req *r_kvstore.CreateInstanceRequest, p domain.Params) {
		req.NetworkType = WireNetworkType(p.NetworkType)
	},
	"VpcId":           func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.VpcId = p.VpcId },
	"VSwitchId":       func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.VSwitchId = p.VSwitchId },
	"PrivateIp":       func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.PrivateIpAddress = p.PrivateIp },
	"SrcDBInstanceId": func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.SrcDBInstanceId = p.SrcDBInstanceId },
	"BackupId":        func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.BackupId = p.BackupId },
	"InstanceType":    func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.InstanceType = p.InstanceType },
	"EngineVersion":   func(req *r_kvstore.CreateInstanceRequest, p domain.Params) { req.EngineVersion = p.EngineVersion },
	"Port": func(req *r_kvstore.CreateInstanceRequest, p domain.Params) {
		if p.Port > 0 {
			req.Port = strconv.Itoa(p.Port)
		}
	},
}

// createRequest is the SDK's CreateInstance request for p with tags.
func createRequest(p domain.Params, tags []domain.Tag) *r_kvstore.CreateInstanceRequest {
	req := r_kvstore.CreateCreateInstanceRequest()
	for _, m := range domain.Table {
		createParams[m.Name](req, p)
	}
	if len(tags) > 0 {
		wire := make([]r_kvstore.CreateInstanceTag, len(tags))
		for i, t := range tags {
			wire[i] = r_kvstore.CreateInstanceTag{Key: t.Key, Value: t.Value}
		}
		req.Tag = &wire
	}
	return req
}

// CreateInstance creates an instance carrying tags. p.Token is sent
// unchanged: retried with the same token (and the same tags) after a
// Retryable or OutcomeUnknown error, the call returns the instance the first
// attempt made, if it made one, instead of a second. Empty optional
// parameters are not sent (the SDK leaves empty fields out).
func (c *Client) CreateInstance(ctx context.Context, p domain.Params, tags ...domain.Tag) (CreateResult, error) {
	req := createRequest(p, tags)
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
		PrivateIpAddr:    resp.PrivateIpAddr,
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
	case strings.EqualFold(networkType, domain.NetworkClassic):
		return "CLASSIC"
	case strings.EqualFold(networkType, domain.NetworkVPC):
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
			// An EndTime that does not parse is left zero: the attribute's
			// other fields are still worth having.
			end, _ := parseCloudTime(a.EndTime)
			return InstanceAttribute{
				InstanceId:        a.InstanceId,
				InstanceName:      a.InstanceName,
				InstanceStatus:    a.InstanceStatus,
				RegionId:          a.RegionId,
				ZoneId:            a.ZoneId,
				RequestId:         resp.RequestId,
				ConnectionDomain:  a.ConnectionDomain,
				Port:              a.Port,
				PrivateIp:         a.PrivateIp,
				InstanceClass:     a.InstanceClass,
				RealInstanceClass: a.RealInstanceClass,
				IsOrderCompleted:  a.IsOrderCompleted,
				ChargeType:        a.ChargeType,
				EndTime:           end,
				ReleaseProtection: a.InstanceReleaseProtection,
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
func (c *Client) DescribePrice(ctx context.Context, p domain.Params) (Price, error) {
	req := r_kvstore.CreateDescribePriceRequest()
	req.RegionId = p.RegionId
	req.ZoneId = p.ZoneId
	req.InstanceClass = p.InstanceClass
	req.ChargeType = p.ChargeType
	if p.ChargeType == domain.ChargePrePaid && p.Period > 0 {
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
