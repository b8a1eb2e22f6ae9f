// Package notify owns the portal's webhook notifications: which audit events
// are announced (a request needs approval, is decided, is finished), the JSON
// body a receiver gets, its signature, and their delivery as River jobs.
//
// It is an outbox on the portal's own queue: Outbox.Hook, the store's event
// hook, inserts a webhook job in the transaction of the change it announces,
// so a change that rolls back announces nothing and one that commits is
// always announced; Deliverer, run by the provisioner's River client on a
// queue of its own, POSTs it, and River retries it a few times. Delivery is
// at least once (a receiver may see a delivery twice: X-KVPortal-Delivery
// is the same), and it never holds up a decision or provisioning.
package notify

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
)

// Queue is the webhook jobs' queue: their own, so that a slow receiver never
// holds up provisioning.
const Queue = "webhook"

// DefaultMaxAttempts is how many times a delivery is tried before its job is
// discarded.
const DefaultMaxAttempts = 5

// Topics: what an event means to a receiver.
const (
	TopicNeedsApproval = "needs_approval"
	TopicDecided       = "decided"
	TopicFinished      = "finished"
	// TopicDrift: a drift check found an instance that is no longer what the
	// portal made (or one it has no record of).
	TopicDrift = "drift"
	// TopicLease: an instance's lease ends soon, or ended (a subscription's
	// auto-renewal turned off); a pay-as-you-go instance's release is a
	// request of its own, announced as any.
	TopicLease = "lease"
)

// Topic is the topic of an audit action, "" for the actions not announced.
func Topic(action string) string {
	switch action {
	case domain.ActionRequestSubmitted:
		return TopicNeedsApproval
	case domain.ActionRequestApproved, domain.ActionRequestRejected, domain.ActionRequestCancelled:
		return TopicDecided
	case domain.ActionSucceeded, domain.ActionChangeApplied, domain.ActionFailed:
		return TopicFinished
	case domain.ActionInstanceDrifted:
		return TopicDrift
	case domain.ActionLeaseExpiring, domain.ActionLeaseEnded:
		return TopicLease
	}
	return ""
}

// Event is a webhook job's arguments, and exactly the JSON body its receiver
// gets. It holds no secret: never the instance password, nor the Token.
type Event struct {
	// EventID is the audit event's id; it is also the X-KVPortal-Delivery
	// header, the same on every retry.
	EventID int64     `json:"event_id"`
	Topic   string    `json:"topic"`
	Action  string    `json:"action"`
	At      time.Time `json:"at"`
	// Actor is who acted (the requester, the approver), "" for the system.
	Actor     string `json:"actor,omitempty"`
	RequestID int64  `json:"request_id"`
	// RequestKind is what the request asks: create, or a change of the instance
	// InstanceId names; Change is what a change asks (never a password).
	RequestKind string         `json:"Kind"`
	Change      *domain.Change `json:"change,omitempty"`
	Status      string         `json:"status"`
	Requester   string         `json:"requester"`
	// Team is the requester's team the request belongs to, "" for none.
	Team string `json:"Team,omitempty"`
	// Rule is the policy rule that approved the request, "" when a person
	// decided.
	Rule string `json:"rule,omitempty"`
	// Params are the request's parameters: each one that is set goes at the
	// top level of the body under its API name (domain.Params.Public), so
	// that a parameter added to the table reaches receivers with no change
	// here. InstanceName is the name asked for, then the one the cloud gave.
	Params domain.Params `json:"-"`
	// InstanceId is known once the instance exists (a change's from the
	// start).
	InstanceId string `json:"InstanceId,omitempty"`
	// Reason is a rejection's reason.
	Reason string `json:"reason,omitempty"`
	// ErrorCode and ErrorMessage are a failure's, as the cloud gave them.
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	// Drift says what a drift check found ("missing", "unknown", "class",
	// "name", "status") and DriftPortal and DriftCloud the two values that
	// differ.
	Drift       string `json:"drift,omitempty"`
	DriftPortal string `json:"drift_portal,omitempty"`
	DriftCloud  string `json:"drift_cloud,omitempty"`
	// LeaseEnd is when the instance's lease ends (a lease event), RFC 3339.
	LeaseEnd string `json:"lease_end,omitempty"`
	// Link is the request's page: the portal's public URL and
	// /requests/{id} (/admin/drift for an instance of no request).
	Link string `json:"link"`
}

// eventFields are Event's own fields, without the methods that merge in
// its parameters.
type eventFields Event

// MarshalJSON writes the event's fields and its public parameters as one
// JSON object.
func (e Event) MarshalJSON() ([]byte, error) {
	fields, err := json.Marshal(eventFields(e))
	if err != nil {
		return nil, err
	}
	params := e.Params.Public()
	if len(params) == 0 {
		return fields, nil
	}
	extra, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	// Both are objects: "{a}" and "{b}" make "{a,b}". The parameters' names
	// are distinct from the fields' JSON names (see TestEventKeysAreDistinct).
	out := make([]byte, 0, len(fields)+len(extra))
	out = append(out, fields[:len(fields)-1]...)
	out = append(out, ',')
	return append(out, extra[1:]...), nil
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (e *Event) UnmarshalJSON(data []byte) error {
	var fields eventFields
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	for _, m := range domain.Table {
		v, ok := raw[m.Name]
		if !ok || m.Kind == domain.KindSecret || m.Internal {
			continue
		}
		if err := json.Unmarshal(v, m.Ptr(&fields.Params)); err != nil {
			return fmt.Errorf("event parameter %s: %w", m.Name, err)
		}
	}
	*e = Event(fields)
	return nil
}

// Kind implements river.JobArgs.
func (Event) Kind() string { return "webhook" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (Event) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: DefaultMaxAttempts}
}
