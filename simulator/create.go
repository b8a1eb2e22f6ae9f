package simulator

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
)

// createResponse is CreateInstance's answer, in the API's shape.
type createResponse struct {
	RequestId        string
	InstanceId       string
	InstanceName     string
	InstanceStatus   string
	RegionId         string
	ZoneId           string
	ChargeType       string
	NetworkType      string
	VpcId            string
	VSwitchId        string
	PrivateIpAddr    string
	Capacity         int64
	ConnectionDomain string
	Port             int
	QPS              int64
	Bandwidth        int64
	Connections      int64
	Config           string
	NodeType         string
	EndTime          string `json:",omitempty"`
}

// createInstance serves CreateInstance: it checks the parameters with
// domain.Validate against the simulator's catalog, honours the Token (the
// same token and parameters return the same instance; other parameters are
// refused) and makes the instance.
func (s *Simulator) createInstance(w http.ResponseWriter, c *call) *apiError {
	in := inputFromWire(c.params)
	p, problems := domain.Validate(in, s.catalog)
	if len(problems) > 0 {
		return validationError(c.params, problems)
	}
	offer, ok := s.catalog.Offer(p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion, p.InstanceClass)
	if !ok {
		return errInvalid("InstanceClass", "not sold in this region, zone, instance type and engine version")
	}
	if p.ZoneId == "" {
		p.ZoneId = offer.ZoneId // the cloud picks a zone that sells the class
	}

	id := s.newID(idPrefix(p.InstanceType))
	for s.state.hasID(id) {
		id = s.newID(idPrefix(p.InstanceType))
	}
	candidate := Instance{
		InstanceId:    id,
		InstanceName:  p.InstanceName,
		Token:         p.Token,
		RegionId:      p.RegionId,
		ZoneId:        p.ZoneId,
		InstanceClass: p.InstanceClass,
		InstanceType:  p.InstanceType,
		EngineVersion: p.EngineVersion,
		ChargeType:    p.ChargeType,
		Period:        p.Period,
		NetworkType:   p.NetworkType,
		VpcId:         p.VpcId,
		VSwitchId:     p.VSwitchId,
		PrivateIp:     p.PrivateIp,
		CapacityMB:    offer.CapacityMB,
		CreatedAt:     s.now().UTC(),
		ParamsDigest:  s.digest(p),
	}
	if candidate.InstanceName == "" {
		candidate.InstanceName = id
	}
	inst, _, err := s.state.createOnce(candidate)
	if err != nil {
		s.logger.Error("r-kvstore simulator: saving state failed", "err", err)
		return errInternal
	}
	if inst.ParamsDigest != candidate.ParamsDigest {
		return errIdempotentMismatch
	}

	if s.roll(s.Faults().LostRate) {
		dropConnection(w)
		return nil
	}
	resp := createResponse{
		RequestId:        c.requestID,
		InstanceId:       inst.InstanceId,
		InstanceName:     inst.InstanceName,
		InstanceStatus:   inst.Status(s.now(), s.creatingDelay),
		RegionId:         inst.RegionId,
		ZoneId:           inst.ZoneId,
		ChargeType:       inst.ChargeType,
		NetworkType:      rkvstore.WireNetworkType(inst.NetworkType),
		VpcId:            inst.VpcId,
		VSwitchId:        inst.VSwitchId,
		PrivateIpAddr:    inst.PrivateIp,
		Capacity:         inst.CapacityMB,
		ConnectionDomain: connectionDomain(inst),
		Port:             redisPort,
		QPS:              qps(inst.CapacityMB),
		Bandwidth:        bandwidthMBps(inst.CapacityMB),
		Connections:      connections(inst.CapacityMB),
		Config:           "{}",
		NodeType:         "double",
		EndTime:          endTime(inst),
	}
	writeJSON(w, http.StatusOK, c.requestID, resp)
	return nil
}

// inputFromWire maps CreateInstance's wire parameters onto the form's: the
// API's PrivateIpAddress is the form's PrivateIp (the older name is accepted
// too). domain.Validate reads enumerations such as NetworkType CLASSIC
// without regard to case.
func inputFromWire(params map[string]string) domain.Input {
	in := make(domain.Input, len(domain.Table))
	for _, m := range domain.Table {
		in[m.Name] = params[m.WireName()]
		if in[m.Name] == "" {
			in[m.Name] = params[m.Name]
		}
	}
	return in
}

// fieldOrder is the order in which validation problems are reported: the
// API answers with one error, the first.
var fieldOrder = []string{
	"RegionId", "InstanceClass", "ZoneId", "InstanceType", "EngineVersion",
	"ChargeType", "Period", "NetworkType", "VpcId", "VSwitchId", "PrivateIp",
	"InstanceName", "Password", "Token", "SrcDBInstanceId", "BackupId",
}

// validationError turns the first validation problem into the API's error:
// MissingParameter when the parameter was not sent, InvalidParameter
// otherwise, naming the parameter as the API does.
func validationError(params map[string]string, problems domain.FieldErrors) *apiError {
	fields := slices.SortedFunc(maps.Keys(problems), func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
	field := fields[0]
	wireName := field
	if field == "PrivateIp" {
		wireName = "PrivateIpAddress"
	}
	if strings.TrimSpace(params[wireName]) == "" && strings.TrimSpace(params[field]) == "" {
		return errMissing(wireName)
	}
	return errInvalid(wireName, problems[field])
}

// rank is a field's position in fieldOrder (unknown fields last).
func rank(field string) int {
	if i := slices.Index(fieldOrder, field); i >= 0 {
		return i
	}
	return len(fieldOrder)
}

// digest identifies the validated parameters of a CreateInstance, keyed with
// the simulator's secret so that the stored value reveals no Password.
func (s *Simulator) digest(p domain.Params) string {
	data, _ := json.Marshal(p)
	mac := hmac.New(sha256.New, []byte(s.accessKeySecret))
	mac.Write(data)
	return hex.EncodeToString(mac.Sum(nil))
}

// dropConnection closes the connection without answering: the instance was
// made, the caller hears nothing.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort the response instead.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
