package rkvstore

import "time"

// CreateResult is what CreateInstance answered.
type CreateResult struct {
	InstanceId     string
	InstanceName   string
	InstanceStatus string
	RequestId      string
	// Other fields the response carries, worth showing.
	ConnectionDomain string
	Port             int64
	PrivateIpAddr    string // in the VPC; "" for Classic
	ChargeType       string
	RegionId         string
	ZoneId           string
}

// InstanceAttribute is what DescribeInstanceAttribute says of an instance.
type InstanceAttribute struct {
	InstanceId     string
	InstanceName   string
	InstanceStatus string // Creating, Normal, ...
	RegionId       string
	ZoneId         string
	RequestId      string
	// Where to connect ("" and 0 while the cloud does not say).
	ConnectionDomain string
	Port             int64
	PrivateIp        string
	// InstanceClass is the class ordered; RealInstanceClass the class the
	// instance runs as. They differ, and IsOrderCompleted is false, while a
	// ModifyInstanceSpec is under way.
	InstanceClass     string
	RealInstanceClass string
	IsOrderCompleted  bool
	ChargeType        string // PrePaid or PostPaid
	// EndTime is when a subscription ends (zero: none, pay-as-you-go).
	EndTime           time.Time
	ReleaseProtection bool
}

// Price is an estimate from DescribePrice.
type Price struct {
	Currency      string
	TradeAmount   float64
	OriginalPrice float64
}
