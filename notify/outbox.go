package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Outbox turns the audit events worth announcing into webhook jobs, in the
// events' transactions. It has no River client of its own: it inserts
// through the provisioner's, the one client of the process, which hands it
// over when it is built (UseClient) and works the jobs with a Deliverer.
type Outbox struct {
	client      atomic.Pointer[river.Client[pgx.Tx]]
	maxAttempts int
	baseURL     string
}

// errNoClient: an announced event was written before the provisioner handed
// the outbox its client. The write fails rather than go unannounced.
var errNoClient = errors.New("notify: the outbox has no River client yet (no provisioner built with it)")

// NewOutbox returns an Outbox whose jobs are tried maxAttempts times (0:
// DefaultMaxAttempts). baseURL is the portal's public URL, which the
// events' links start with ("": links are paths). It can be built before
// the store whose hook it is; the provisioner built on that store gives it
// its client.
func NewOutbox(maxAttempts int, baseURL string) *Outbox {
	return &Outbox{maxAttempts: max(maxAttempts, 0), baseURL: strings.TrimRight(baseURL, "/")}
}

// UseClient implements provisioner.Inserter: the outbox inserts through c.
func (o *Outbox) UseClient(c *river.Client[pgx.Tx]) { o.client.Store(c) }

// Hook is the store's event hook (store.WithEventHook): for an event with a
// Topic, the webhook job, inserted in tx.
func (o *Outbox) Hook(ctx context.Context, tx pgx.Tx, e store.Event) error {
	topic := Topic(e.Action)
	if topic == "" || (e.RequestID == nil && topic != TopicDrift) {
		return nil
	}
	var ev Event
	if e.RequestID == nil {
		ev = driftEvent(Event{EventID: e.ID, Topic: topic, Action: e.Action, At: e.At.UTC(), Link: o.baseURL + "/admin/drift"}, e)
	} else {
		r, err := store.RequestTx(ctx, tx, *e.RequestID)
		if err != nil {
			return fmt.Errorf("webhook for event %d: %w", e.ID, err)
		}
		ev = NewEvent(topic, e, r, o.baseURL)
	}
	opts := Event{}.InsertOpts()
	if o.maxAttempts > 0 {
		opts.MaxAttempts = o.maxAttempts
	}
	client := o.client.Load()
	if client == nil {
		return errNoClient
	}
	if _, err := client.InsertTx(ctx, tx, ev, &opts); err != nil {
		return fmt.Errorf("enqueue webhook for event %d: %w", e.ID, err)
	}
	return nil
}

// NewEvent is the webhook body of event e of request r (r as e left it),
// its link starting with baseURL.
func NewEvent(topic string, e store.Event, r domain.Request, baseURL string) Event {
	params := r.Params
	// Neither is sent: the store never reads the password back, and the
	// token is the portal's own business.
	params.Password, params.Token = "", ""
	if r.ResultName != "" {
		params.InstanceName = r.ResultName
	}
	ev := Event{
		EventID: e.ID, Topic: topic, Action: e.Action, At: e.At.UTC(), Actor: e.ActorName,
		RequestID: r.ID, Status: string(r.Status), Requester: r.RequesterName, Team: r.Team, Rule: r.DecidedByRule,
		Params: params, InstanceId: r.InstanceID, RequestKind: string(r.Kind.Spec().Kind),
		Link: baseURL + "/requests/" + strconv.FormatInt(r.ID, 10),
	}
	if r.Change != (domain.Change{}) {
		c := r.Change
		ev.Change = &c
	}
	switch e.Action {
	case domain.ActionRequestRejected:
		ev.Reason = r.DecisionReason
	case domain.ActionFailed:
		ev.ErrorCode, ev.ErrorMessage = r.ErrorCode, r.ErrorMessage
	case domain.ActionInstanceDrifted:
		ev = driftEvent(ev, e)
	case domain.ActionLeaseExpiring, domain.ActionLeaseEnded:
		ev.LeaseEnd = e.Details.String(domain.KeyLeaseEnd)
	}
	return ev
}

// driftEvent adds what a drift event found to ev: the kind, the two values
// and the instance (an unknown one has no request to take it from).
func driftEvent(ev Event, e store.Event) Event {
	d := e.Details
	ev.Drift, ev.DriftPortal, ev.DriftCloud = d.String(domain.KeyDriftKind), d.String(domain.KeyDriftPortal), d.String(domain.KeyDriftCloud)
	if ev.InstanceId == "" {
		ev.InstanceId = d.String(domain.KeyInstanceID)
	}
	if ev.Params.RegionId == "" {
		ev.Params.RegionId = d.String(domain.KeyRegionID)
	}
	return ev
}
