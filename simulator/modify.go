package simulator

import (
	"errors"
	"net/http"

	"github.com/kvportal/kvportal/domain"
)

// The actions that change an instance after it was made: what an operator
// does in the console behind the portal's back, so that tests can make the
// cloud drift from the portal's records. Each is served over the API and
// offered as a method for tests in the same process.

// errIncorrectState refuses a change of an instance that is not Normal.
var errIncorrectState = &apiError{http.StatusForbidden, "IncorrectDBInstanceState",
	"Current DB instance state does not support this operation."}

// okResponse is the answer of an action that returns nothing but its
// RequestId.
type okResponse struct{ RequestId string }

// deleteInstance serves DeleteInstance (InstanceId).
func (s *Simulator) deleteInstance(w http.ResponseWriter, c *call) *apiError {
	if e := s.removeInstance(c.param("InstanceId")); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, c.requestID, okResponse{RequestId: c.requestID})
	return nil
}

// modifyInstanceAttribute serves ModifyInstanceAttribute: InstanceId, with
// InstanceName (the CreateInstance rule) and/or NewPassword (checked, not
// kept).
func (s *Simulator) modifyInstanceAttribute(w http.ResponseWriter, c *call) *apiError {
	if pw := c.param("NewPassword"); pw != "" {
		if _, problems := domain.Validate(domain.Input{"Password": pw}, nil); problems["Password"] != "" {
			return errInvalid("NewPassword", problems["Password"])
		}
	}
	name := c.param("InstanceName")
	if name == "" {
		if c.param("InstanceId") == "" {
			return errMissing("InstanceId")
		}
		if _, ok := s.state.get(c.param("InstanceId")); !ok {
			return errInstanceNotFound
		}
	} else if e := s.renameInstance(c.param("InstanceId"), name); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, c.requestID, okResponse{RequestId: c.requestID})
	return nil
}

// modifyInstanceSpec serves ModifyInstanceSpec (InstanceId, InstanceClass):
// the instance is Changing for the creating delay, then Normal with the new
// class.
func (s *Simulator) modifyInstanceSpec(w http.ResponseWriter, c *call) *apiError {
	if e := s.resizeInstance(c.param("InstanceId"), c.param("InstanceClass")); e != nil {
		return e
	}
	orderID := s.newID("")
	writeJSON(w, http.StatusOK, c.requestID, struct{ RequestId, OrderId string }{c.requestID, orderID})
	return nil
}

// removeInstance deletes the instance: the Describe actions no longer find
// it.
func (s *Simulator) removeInstance(id string) *apiError {
	if id == "" {
		return errMissing("InstanceId")
	}
	return s.changeInstance(id, func(in *Instance) *apiError {
		in.DeletedAt = s.clock.Now().UTC()
		return nil
	})
}

// renameInstance gives the instance another name, checked with the rule of
// CreateInstance.
func (s *Simulator) renameInstance(id, name string) *apiError {
	if id == "" {
		return errMissing("InstanceId")
	}
	if _, problems := domain.Validate(domain.Input{"InstanceName": name}, nil); problems["InstanceName"] != "" {
		return errInvalid("InstanceName", problems["InstanceName"])
	}
	return s.changeInstance(id, func(in *Instance) *apiError {
		in.InstanceName = name
		return nil
	})
}

// resizeInstance changes the class of a Normal instance to another class of
// its type sold in its zone for its engine version, when the zone has stock.
func (s *Simulator) resizeInstance(id, className string) *apiError {
	switch {
	case id == "":
		return errMissing("InstanceId")
	case className == "":
		return errMissing("InstanceClass")
	}
	if _, ok := findClass(className); !ok {
		e := errInvalid("InstanceClass", "is not a class the cloud sells")
		e.Code = "InvalidInstanceClass.NotFound"
		return e
	}
	return s.changeInstance(id, func(in *Instance) *apiError {
		if in.Status(s.clock.Now(), s.creatingDelay) != "Normal" {
			return errIncorrectState
		}
		offer, ok := s.catalog.Offer(in.RegionId, in.ZoneId, in.InstanceType, in.EngineVersion, className)
		if !ok {
			return errInvalid("InstanceClass", "is not sold in the instance's zone for "+in.InstanceType+" "+in.EngineVersion)
		}
		if s.soldOut(in.ZoneId) {
			return errResourceNotAvailable
		}
		in.InstanceClass, in.CapacityMB = className, offer.CapacityMB
		in.ChangingUntil = s.clock.Now().UTC().Add(s.creatingDelay)
		return nil
	})
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
	if e, ok := errors.AsType[*apiError](err); ok {
		return e
	}
	if err != nil {
		s.logger.Error("r-kvstore simulator: saving state failed", "err", err)
		return errInternal
	}
	return nil
}

// DeleteInstance deletes an instance, as the DeleteInstance action does: for
// tests that make the cloud drift from the portal's records. The error, when
// not nil, carries the API's code (InvalidInstanceId.NotFound, …).
func (s *Simulator) DeleteInstance(instanceID string) error {
	return asError(s.removeInstance(instanceID))
}

// RenameInstance renames an instance, as ModifyInstanceAttribute does.
func (s *Simulator) RenameInstance(instanceID, name string) error {
	return asError(s.renameInstance(instanceID, name))
}

// ResizeInstance changes an instance's class, as ModifyInstanceSpec does: it
// is Changing for the creating delay, then Normal.
func (s *Simulator) ResizeInstance(instanceID, instanceClass string) error {
	return asError(s.resizeInstance(instanceID, instanceClass))
}

// asError returns e as an error, nil when e is nil (never a typed nil).
func asError(e *apiError) error {
	if e == nil {
		return nil
	}
	return e
}
