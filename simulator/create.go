package simulator

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
// refused), checks the zone's stock and the instance quota, and makes the
// instance. With DryRun=true it makes the same checks, makes nothing, and
// answers DryRunOperation when a real call would have been accepted.
func (s *Simulator) createInstance(w http.ResponseWriter, c *call) *apiError {
	dryRun, e := boolParam(c, "DryRun")
	if e != nil {
		return e
	}
	tags, e := tagsFromWire(c.params)
	if e != nil {
		return e
	}
	p, problems := domain.Validate(inputFromWire(c.params), s.catalog)
	if len(problems) > 0 {
		return validationError(c.params, problems)
	}

	// A replay is answered with the instance the token made, whatever has
	// become of stock and quota since.
	if made, ok := s.state.byTokenOf(p.Token); ok {
		replay := p
		if replay.ZoneId == "" {
			replay.ZoneId = made.ZoneId // the zone the cloud picked then
		}
		if s.digest(replay, tags) != made.ParamsDigest {
			return errIdempotentMismatch
		}
		if dryRun {
			return errDryRunPassed
		}
		return s.answerCreate(w, c, made)
	}

	offer, e := s.place(p)
	if e != nil {
		return e
	}
	p.ZoneId = offer.ZoneId
	quota := s.instanceQuota()
	if dryRun {
		if quota > 0 && s.state.live() >= quota {
			return errQuotaExceeded
		}
		return errDryRunPassed
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
		Port:          p.Port,
		NetworkType:   p.NetworkType,
		VpcId:         p.VpcId,
		VSwitchId:     p.VSwitchId,
		PrivateIp:     p.PrivateIp,
		CapacityMB:    offer.CapacityMB,
		Tags:          tags,
		CreatedAt:     s.clock.Now().UTC(),
		ParamsDigest:  s.digest(p, tags),
	}
	if candidate.InstanceName == "" {
		candidate.InstanceName = id
	}
	if candidate.PrivateIp == "" && strings.EqualFold(p.NetworkType, domain.NetworkVPC) {
		candidate.PrivateIp = s.newPrivateIP() // the cloud assigns one in the VSwitch
	}
	inst, _, err := s.state.createOnce(candidate, quota)
	if errors.Is(err, errQuotaFull) {
		return errQuotaExceeded
	}
	if err != nil {
		s.logger.Error("r-kvstore simulator: saving state failed", "err", err)
		return errInternal
	}
	if inst.ParamsDigest != candidate.ParamsDigest {
		return errIdempotentMismatch // another call with the token won the race
	}
	return s.answerCreate(w, c, inst)
}

// answerCreate answers CreateInstance with inst, unless the response is to
// be lost.
func (s *Simulator) answerCreate(w http.ResponseWriter, c *call, inst Instance) *apiError {
	resp := createResponse{
		RequestId:        c.requestID,
		InstanceId:       inst.InstanceId,
		InstanceName:     inst.InstanceName,
		InstanceStatus:   inst.Status(s.clock.Now(), s.creatingDelay),
		RegionId:         inst.RegionId,
		ZoneId:           inst.ZoneId,
		ChargeType:       inst.ChargeType,
		NetworkType:      rkvstore.WireNetworkType(inst.NetworkType),
		VpcId:            inst.VpcId,
		VSwitchId:        inst.VSwitchId,
		PrivateIpAddr:    inst.PrivateIp,
		Capacity:         inst.CapacityMB,
		ConnectionDomain: connectionDomain(inst),
		Port:             inst.port(),
		QPS:              qps(inst.CapacityMB),
		Bandwidth:        bandwidthMBps(inst.CapacityMB),
		Connections:      connections(inst.CapacityMB),
		Config:           "{}",
		NodeType:         "double",
		EndTime:          endTime(inst),
	}
	return s.answerDone(w, c, resp)
}

// place returns the offer an accepted CreateInstance is made from: in the
// zone asked for, or, without one, in the first zone of the region that sells
// the class and has stock. A zone out of stock refuses with
// ResourceNotAvailable.
//
// The catalog's one offer of the class is the one OffersFor lists for it,
// found without building and sorting the whole list.
func (s *Simulator) place(p domain.Params) (domain.Offer, *apiError) {
	if o, ok := s.catalog.Offer(p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion, p.InstanceClass); ok && !s.soldOut(o.ZoneId) {
		return o, nil
	}
	return domain.Offer{}, errResourceNotAvailable
}

// boolParam reads an optional true/false parameter (false when absent).
func boolParam(c *call, name string) (bool, *apiError) {
	switch v := c.param(name); {
	case v == "" || strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	}
	return false, errInvalid(name, "must be true or false")
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
	if m, ok := domain.ParamByName(field); ok {
		wireName = m.WireName()
	}
	value := strings.TrimSpace(params[wireName])
	if value == "" && strings.TrimSpace(params[field]) == "" {
		return errMissing(wireName)
	}
	e := errInvalid(wireName, problems[field])
	// What the cloud does not know at all has codes of its own, which name
	// the parameter as plainly as InvalidParameter does.
	switch field {
	case "RegionId":
		if _, ok := findRegion(value); !ok {
			e.Code = "InvalidRegionId.NotFound"
		}
	case "InstanceClass":
		if _, ok := findClass(value); !ok {
			e.Code = "InvalidInstanceClass.NotFound"
		}
	case "ZoneId":
		if r, ok := findRegion(strings.TrimSpace(params["RegionId"])); ok && !slices.ContainsFunc(r.zones, func(z zone) bool { return z.id == value }) {
			e.Code = "InvalidZoneId.NotFound"
		}
	}
	return e
}

// rank is a field's position in fieldOrder (unknown fields last).
func rank(field string) int {
	if i := slices.Index(fieldOrder, field); i >= 0 {
		return i
	}
	return len(fieldOrder)
}

// digest identifies the validated parameters and the tags of a
// CreateInstance, keyed with the simulator's secret so that the stored value
// reveals no Password. Without tags it is what it was before tags existed,
// so that instances kept in a state file are still recognised.
func (s *Simulator) digest(p domain.Params, tags []Tag) string {
	data, _ := json.Marshal(p)
	mac := hmac.New(sha256.New, []byte(s.accessKeySecret))
	mac.Write(data)
	if len(tags) > 0 {
		tagData, _ := json.Marshal(tags)
		mac.Write(tagData)
	}
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
