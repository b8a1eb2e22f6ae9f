package simulator

import (
	"cmp"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// The actions that change an instance after it was made. Each is served over
// the API with the rules the reference gives (and, where it is silent, the
// simulator's, said in the package comment); a few are also offered as
// methods for tests in the same process, as an operator's console would
// make them, to make the cloud drift from the portal's records.

// The refusals of the changes.
var (
	// errIncorrectState refuses a change of an instance that is not Normal.
	errIncorrectState = &apiError{http.StatusForbidden, "IncorrectDBInstanceState",
		"Current DB instance state does not support this operation."}
	// errTaskConflict refuses a change of class while another runs.
	errTaskConflict = &apiError{http.StatusForbidden, "Task.Conflict",
		"A task of the instance is already running; try again once it has ended."}
	// errReleaseProtection refuses DeleteInstance while release protection
	// is on.
	errReleaseProtection = &apiError{http.StatusForbidden, "InstanceReleaseProtection",
		"The instance has release protection on; turn it off before releasing it."}
	// errPrePaidOnly and errPostPaidOnly refuse an operation of the other
	// charge type (the reference names no code: the simulator's own).
	errPrePaidOnly = &apiError{http.StatusForbidden, "IncorrectChargeType",
		"The operation applies to subscription (PrePaid) instances only."}
	errPostPaidOnly = &apiError{http.StatusForbidden, "IncorrectChargeType",
		"A subscription (PrePaid) instance cannot be released before it expires; only pay-as-you-go (PostPaid) instances are released this way."}
)

// okResponse is the answer of an action that returns nothing but its
// RequestId.
type okResponse struct{ RequestId string }

// answerDone answers a call whose effect has been made, unless the faults
// say its response is lost: the connection is then closed without an
// answer, as for CreateInstance, and a retry must not make the effect twice.
func (s *Simulator) answerDone(w http.ResponseWriter, c *call, v any) *apiError {
	if s.roll(s.faultsFor(c.action).LostRate) {
		dropConnection(w)
		return nil
	}
	writeJSON(w, http.StatusOK, c.requestID, v)
	return nil
}

// deleteInstance serves DeleteInstance (InstanceId): a pay-as-you-go,
// unprotected, Normal instance is released; the Describe actions no longer
// find it and every later call about it answers InvalidInstanceId.NotFound.
func (s *Simulator) deleteInstance(w http.ResponseWriter, c *call) *apiError {
	id := c.param("InstanceId")
	if id == "" {
		return errMissing("InstanceId")
	}
	e := s.changeInstance(id, func(in *Instance) *apiError {
		switch {
		case in.ChargeType == domain.ChargePrePaid:
			return errPostPaidOnly
		case in.ReleaseProtection:
			return errReleaseProtection
		case in.Status(s.clock.Now(), s.creatingDelay) != "Normal":
			return errIncorrectState
		}
		in.DeletedAt = s.clock.Now().UTC()
		return nil
	})
	if e != nil {
		return e
	}
	return s.answerDone(w, c, okResponse{RequestId: c.requestID})
}

// modifyInstanceAttribute serves ModifyInstanceAttribute: InstanceId, with
// any of InstanceName (the CreateInstance rule), NewPassword (the
// CreateInstance password rule; checked, not kept, and only while the
// instance is Normal) and InstanceReleaseProtection (true or false).
func (s *Simulator) modifyInstanceAttribute(w http.ResponseWriter, c *call) *apiError {
	id, name, pw := c.param("InstanceId"), c.param("InstanceName"), c.param("NewPassword")
	if pw != "" {
		if _, problems := domain.Validate(domain.Input{"Password": pw}, nil); problems["Password"] != "" {
			return errInvalid("NewPassword", problems["Password"])
		}
	}
	if name != "" {
		if _, problems := domain.Validate(domain.Input{"InstanceName": name}, nil); problems["InstanceName"] != "" {
			return errInvalid("InstanceName", problems["InstanceName"])
		}
	}
	protectionSet := c.param("InstanceReleaseProtection") != ""
	protection, e := boolParam(c, "InstanceReleaseProtection")
	if e != nil {
		return e
	}
	if id == "" {
		return errMissing("InstanceId")
	}
	e = s.changeInstance(id, func(in *Instance) *apiError {
		if pw != "" {
			if in.Status(s.clock.Now(), s.creatingDelay) != "Normal" {
				return errIncorrectState
			}
			in.PasswordChangedAt = s.clock.Now().UTC()
		}
		if name != "" {
			in.InstanceName = name
		}
		if protectionSet {
			in.ReleaseProtection = protection
		}
		return nil
	})
	if e != nil {
		return e
	}
	return s.answerDone(w, c, okResponse{RequestId: c.requestID})
}

// The values of ModifyInstanceSpec's EffectiveTime and OrderType.
const (
	effectiveImmediately  = "Immediately"
	effectiveMaintainTime = "MaintainTime"
	orderUpgrade          = "UPGRADE"
	orderDowngrade        = "DOWNGRADE"
)

// modifyInstanceSpec serves ModifyInstanceSpec (InstanceId, InstanceClass,
// EffectiveTime, OrderType, ClientToken): a Normal instance is Changing for
// the creating delay, then Normal with the new class. The target must be
// another class the instance's zone sells for its type and engine version
// (what DescribeAvailableResource lists), bigger or the same size for
// UPGRADE, smaller or the same for DOWNGRADE. A change already running
// answers Task.Conflict; any other state but Normal
// IncorrectDBInstanceState. The same ClientToken with the same parameters
// answers the first call's OrderId and changes nothing; with others,
// IdempotentParameterMismatch. MaintainTime starts the change after
// Config.MaintainDelay (the next maintenance window; at once when 0): until
// then the instance is Normal at its class, the order not completed, and
// another change answers Task.Conflict. AutoPay is ignored: every order is
// paid.
func (s *Simulator) modifyInstanceSpec(w http.ResponseWriter, c *call) *apiError {
	id, className, token := c.param("InstanceId"), c.param("InstanceClass"), c.param("ClientToken")
	switch {
	case id == "":
		return errMissing("InstanceId")
	case className == "":
		return errMissing("InstanceClass")
	}
	effective := cmp.Or(c.param("EffectiveTime"), effectiveImmediately)
	if effective != effectiveImmediately && effective != effectiveMaintainTime {
		return errInvalid("EffectiveTime", "must be Immediately or MaintainTime")
	}
	orderType := strings.ToUpper(cmp.Or(c.param("OrderType"), orderUpgrade))
	if orderType != orderUpgrade && orderType != orderDowngrade {
		return errInvalid("OrderType", "must be UPGRADE or DOWNGRADE")
	}
	target, ok := findClass(className)
	if !ok {
		e := errInvalid("InstanceClass", "is not a class the cloud sells")
		e.Code = "InvalidInstanceClass.NotFound"
		return e
	}
	params := className + "|" + effective + "|" + orderType
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
		now := s.clock.Now()
		switch in.Status(now, s.creatingDelay) {
		case "Normal":
			if !in.orderCompleted(now) {
				return errTaskConflict // an order waits for the window
			}
		case "Changing":
			return errTaskConflict
		default:
			return errIncorrectState
		}
		if className == in.InstanceClass {
			return errInvalid("InstanceClass", "is the instance's current class")
		}
		if current, ok := findClass(in.InstanceClass); ok {
			if orderType == orderUpgrade && target.capacityMB < current.capacityMB {
				return errInvalid("OrderType", "UPGRADE to a smaller class; use DOWNGRADE")
			}
			if orderType == orderDowngrade && target.capacityMB > current.capacityMB {
				return errInvalid("OrderType", "DOWNGRADE to a bigger class; use UPGRADE")
			}
		}
		start := now
		if effective == effectiveMaintainTime {
			start = now.Add(s.maintainDelay)
		}
		if e := s.applyClass(in, className, start); e != nil {
			return e
		}
		answer = Order{Action: c.action, ClientToken: token, Params: params, OrderId: s.newOrderID()}
		if token != "" {
			in.Orders = append(in.Orders, answer)
		}
		return nil
	})
	if e != nil {
		return e
	}
	return s.answerDone(w, c, struct{ RequestId, OrderId string }{c.requestID, answer.OrderId})
}

// applyClass orders the change of the instance to className, started at
// start: refused when its zone does not sell the class for its type and
// engine version, or has no stock.
func (s *Simulator) applyClass(in *Instance, className string, start time.Time) *apiError {
	offer, ok := s.catalog.Offer(in.RegionId, in.ZoneId, in.InstanceType, in.EngineVersion, className)
	if !ok {
		return errInvalid("InstanceClass", "is not sold in the instance's zone for "+in.InstanceType+" "+in.EngineVersion)
	}
	if s.soldOut(in.ZoneId) {
		return errResourceNotAvailable
	}
	in.PreviousClass = in.InstanceClass
	in.InstanceClass, in.CapacityMB = className, offer.CapacityMB
	in.ChangingFrom = time.Time{}
	if start.After(s.clock.Now()) {
		in.ChangingFrom = start.UTC()
	}
	in.ChangingUntil = start.UTC().Add(s.creatingDelay)
	return nil
}

// newOrderID returns an order id shaped like the API's: digits.
func (s *Simulator) newOrderID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	const digits = "0123456789"
	b := make([]byte, 15)
	b[0] = digits[1+s.rng.IntN(9)]
	for i := 1; i < len(b); i++ {
		b[i] = digits[s.rng.IntN(10)]
	}
	return string(b)
}

// changeInstance applies fn to the live instance with the ID and keeps the
// result.
func (s *Simulator) changeInstance(id string, fn func(*Instance) *apiError) *apiError {
	err := s.state.change(id, func(in *Instance) error {
		if e := fn(in); e != nil {
			return e
		}
		return nil
	})
	return s.stateError(err)
}

// stateError turns an error of a change of state into the API's answer: the
// refusal it carries, or InternalError when saving failed.
func (s *Simulator) stateError(err error) *apiError {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e
	}
	if err != nil {
		s.logger.Error("r-kvstore simulator: saving state failed", "err", err)
		return errInternal
	}
	return nil
}

// DeleteInstance removes an instance as an operator in the console would,
// whatever its charge type, protection or state: for tests that make the
// cloud drift from the portal's records (the DeleteInstance action keeps the
// API's rules). The error, when not nil, carries the API's code
// (InvalidInstanceId.NotFound, …).
func (s *Simulator) DeleteInstance(instanceID string) error {
	if instanceID == "" {
		return errMissing("InstanceId")
	}
	return asError(s.changeInstance(instanceID, func(in *Instance) *apiError {
		in.DeletedAt = s.clock.Now().UTC()
		return nil
	}))
}

// RenameInstance renames an instance, as ModifyInstanceAttribute does.
func (s *Simulator) RenameInstance(instanceID, name string) error {
	if instanceID == "" {
		return errMissing("InstanceId")
	}
	if _, problems := domain.Validate(domain.Input{"InstanceName": name}, nil); problems["InstanceName"] != "" {
		return errInvalid("InstanceName", problems["InstanceName"])
	}
	return asError(s.changeInstance(instanceID, func(in *Instance) *apiError {
		in.InstanceName = name
		return nil
	}))
}

// ResizeInstance changes a Normal instance's class to another its zone
// sells, as an operator in the console would (no order type or token): it
// is Changing for the creating delay, then Normal.
func (s *Simulator) ResizeInstance(instanceID, instanceClass string) error {
	switch {
	case instanceID == "":
		return errMissing("InstanceId")
	case instanceClass == "":
		return errMissing("InstanceClass")
	}
	if _, ok := findClass(instanceClass); !ok {
		e := errInvalid("InstanceClass", "is not a class the cloud sells")
		e.Code = "InvalidInstanceClass.NotFound"
		return e
	}
	return asError(s.changeInstance(instanceID, func(in *Instance) *apiError {
		now := s.clock.Now()
		if in.Status(now, s.creatingDelay) != "Normal" || !in.orderCompleted(now) {
			return errIncorrectState
		}
		return s.applyClass(in, instanceClass, now)
	}))
}

// asError returns e as an error, nil when e is nil (never a typed nil).
func asError(e *apiError) error {
	if e == nil {
		return nil
	}
	return e
}
