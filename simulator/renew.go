package simulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kvportal/kvportal/domain"
)

// renewPeriods are the months RenewInstance's Period takes.
var renewPeriods = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36}

// renewResponse is RenewInstance's answer, in the API's shape.
type renewResponse struct {
	RequestId string
	OrderId   string
	EndTime   string
}

// renewInstance serves RenewInstance (InstanceId, Period, ClientToken): a
// subscription's end moves by Period months, from its end or, when it has
// already passed, from now (the simulator's choice). A PostPaid instance is
// refused, as is one still Creating. The same ClientToken with the same
// Period answers the first call's OrderId and EndTime and renews nothing
// more; with another Period, IdempotentParameterMismatch. AutoPay is
// ignored: every order is paid.
func (s *Simulator) renewInstance(w http.ResponseWriter, c *call) *apiError {
	id, token := c.param("InstanceId"), c.param("ClientToken")
	if id == "" {
		return errMissing("InstanceId")
	}
	if c.param("Period") == "" {
		return errMissing("Period")
	}
	period, err := strconv.Atoi(c.param("Period"))
	if err != nil || !slices.Contains(renewPeriods, period) {
		return errInvalid("Period", "must be 1 to 9, 12, 24 or 36 months")
	}
	params := strconv.Itoa(period)
	var answer Order
	e := s.changeInstance(id, func(in *Instance) *apiError {
		if token != "" {
			if o, ok := in.order(c.action, token); ok {
				if o.Params != params {
					return errIdempotentMismatch
				}
				answer = o
				return nil
			}
		}
		if in.ChargeType != domain.ChargePrePaid {
			return errPrePaidOnly
		}
		now := s.clock.Now().UTC()
		if in.Status(now, s.creatingDelay) == "Creating" {
			return errIncorrectState
		}
		from := in.endsAt()
		if from.Before(now) {
			from = now
		}
		in.RenewedUntil = from.AddDate(0, period, 0)
		answer = Order{Action: c.action, ClientToken: token, Params: params, OrderId: s.newOrderID(), EndTime: in.RenewedUntil}
		if token != "" {
			in.Orders = append(in.Orders, answer)
		}
		return nil
	})
	if e != nil {
		return e
	}
	return s.answerDone(w, c, renewResponse{RequestId: c.requestID, OrderId: answer.OrderId, EndTime: answer.EndTime.UTC().Format(timeFormat)})
}

// maxAutoRenewalIds is the most instances one
// ModifyInstanceAutoRenewalAttribute call takes.
const maxAutoRenewalIds = 30

// modifyInstanceAutoRenewalAttribute serves
// ModifyInstanceAutoRenewalAttribute (DBInstanceId: up to 30 IDs,
// comma-separated; AutoRenew: true or false; Duration: 1 to 12 months,
// default 1, read only when AutoRenew is true). Every instance must exist
// (in RegionId, when given) and be a subscription, or nothing changes. The
// simulator records the setting and never renews by itself: its clock is
// not expected to run for months.
func (s *Simulator) modifyInstanceAutoRenewalAttribute(w http.ResponseWriter, c *call) *apiError {
	var ids []string
	for id := range strings.SplitSeq(c.param("DBInstanceId"), ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return errMissing("DBInstanceId")
	}
	if len(ids) > maxAutoRenewalIds {
		return errInvalid("DBInstanceId", "at most "+strconv.Itoa(maxAutoRenewalIds)+" instance IDs may be given")
	}
	if c.param("AutoRenew") == "" {
		return errMissing("AutoRenew")
	}
	autoRenew, e := boolParam(c, "AutoRenew")
	if e != nil {
		return e
	}
	duration := 0
	if autoRenew {
		var e *apiError
		if duration, e = positiveParam(c, "Duration", 1, 12); e != nil {
			return e
		}
	}
	region := c.param("RegionId")
	err := s.state.changeAll(ids, func(in *Instance) error {
		if region != "" && in.RegionId != region {
			return errInstanceNotFound
		}
		if in.ChargeType != domain.ChargePrePaid {
			return errPrePaidOnly
		}
		in.AutoRenew, in.AutoRenewDuration = autoRenew, duration
		return nil
	})
	if e := s.stateError(err); e != nil {
		return e
	}
	return s.answerDone(w, c, okResponse{RequestId: c.requestID})
}
