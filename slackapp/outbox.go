package slackapp

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Queue is the Slack jobs' queue: their own, so that a slow Slack never
// holds up provisioning or webhooks.
const Queue = "slack"

// DefaultMaxAttempts is how many times a sync is tried before its job is
// discarded.
const DefaultMaxAttempts = 5

// SyncArgs is the job that brings request RequestID's Slack message up to
// date: posted while the request waits, updated once it is decided or
// ended. Any number of them for one request come to the same message.
type SyncArgs struct {
	RequestID int64 `json:"request_id"`
}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "slack_sync" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: DefaultMaxAttempts}
}

// Outbox puts Slack messages in the transactions of the changes they
// announce. Like notify's it has no River client of its own: the
// provisioner's, the one client of the process, is handed to it
// (UseClient). It needs no store: it is the store's hook, built before it.
type Outbox struct {
	client  atomic.Pointer[river.Client[pgx.Tx]]
	channel string
}

// NewOutbox returns the Outbox of a portal whose default channel is
// defaultChannel.
func NewOutbox(defaultChannel string) *Outbox { return &Outbox{channel: defaultChannel} }

// UseClient implements provisioner.Inserter: the outbox inserts through c.
func (o *Outbox) UseClient(c *river.Client[pgx.Tx]) { o.client.Store(c) }

// errNoClient: a message was due before the provisioner handed the outbox
// its client. The change fails rather than go unannounced.
var errNoClient = errors.New("slackapp: the outbox has no River client yet (no provisioner built with it)")

// Hook is the store's event hook (store.WithEventHook). A submission that
// waits for a person gets its message row (its team's channel, or the
// default one) and a sync job; a decision, a cancellation or the end of a
// request with a message gets a sync job, which updates it.
func (o *Outbox) Hook(ctx context.Context, tx pgx.Tx, e store.Event) error {
	if e.RequestID == nil {
		return nil
	}
	id := *e.RequestID
	var due bool
	var err error
	switch e.Action {
	case domain.ActionRequestSubmitted:
		// A policy's approval happens in the submission's transaction:
		// such a request is no longer pending here, and gets no message.
		due, err = store.CreateSlackMessageTx(ctx, tx, id, o.channel)
	case domain.ActionRequestApproved, domain.ActionRequestRejected, domain.ActionRequestCancelled,
		domain.ActionSucceeded, domain.ActionChangeApplied, domain.ActionFailed:
		due, err = store.HasSlackMessageTx(ctx, tx, id)
	}
	if err != nil || !due {
		return err
	}
	client := o.client.Load()
	if client == nil {
		return errNoClient
	}
	if _, err := client.InsertTx(ctx, tx, SyncArgs{RequestID: id}, nil); err != nil {
		return fmt.Errorf("enqueue slack message of request %d: %w", id, err)
	}
	return nil
}
