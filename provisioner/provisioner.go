// Package provisioner turns approved requests into instances, exactly one
// per request. It owns the River queue the portal runs on: the client on the
// store's pool, the provisioning job (one CreateInstance attempt per run,
// always with the request's stored Token) and its retry policy, the periodic
// sweeps that follow new instances until they are Normal and that fail
// requests stranded without a job, the admin's re-queue of a failed
// request, graceful shutdown and the provisioning metrics.
//
// The request row is what people see; the River job is how the work moves.
// Every change of a request goes through store.Apply, so each has its audit
// event. A job that runs again after its request moved on (a success whose
// completion was lost, a rescued run) reads the request and ends: the row
// decides, so that an instance is recorded once.
package provisioner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/defaults"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// Queues: creations and the follow-up sweeps have their own, with their own
// workers, so following instances never holds up a creation.
const (
	QueueProvision = "provision"
	QueueFollow    = "instance_status"
	// QueueMaintenance runs the periodic bookkeeping (erasing expired
	// passwords, looking for drift): one job at a time.
	QueueMaintenance = "maintenance"
)

// Defaults of Config. Those a PORTAL_* variable sets are written in
// package defaults, which config reads too.
const (
	DefaultConcurrency       = defaults.ProvisionerConcurrency
	DefaultMaxAttempts       = defaults.MaxAttempts
	DefaultLeaseTimeout      = defaults.LeaseTimeout
	DefaultStopGrace         = 30 * time.Second
	DefaultFollowInterval    = 5 * time.Second
	DefaultFollowFor         = 30 * time.Minute
	DefaultFollowConcurrency = 2
	DefaultSweepInterval     = time.Minute
	DefaultFetchPollInterval = 500 * time.Millisecond
	DefaultFetchCooldown     = 10 * time.Millisecond
	// MinLeaseTimeout is the shortest LeaseTimeout: an attempt needs time
	// for its call and for recording the outcome.
	MinLeaseTimeout = defaults.MinLeaseTimeout
	// outcomeMargin is the part of the lease kept for recording a call's
	// outcome (see CallTimeout).
	outcomeMargin = 5 * time.Second
	// rescueAllowance is how many runs a provisioning job gets beyond
	// MaxAttempts, for runs whose worker died: such a run's outcome is
	// unknown, so the request is never failed without one more call.
	rescueAllowance = 2
	// rescueMargin is how long after the lease a running job whose worker
	// died is considered stuck: time for a live worker, cut off at the
	// lease, to record its outcome.
	rescueMargin = 5 * time.Second
)

// API is the part of the R-KVStore API the provisioner calls
// (*rkvstore.Client). Its errors are classified with rkvstore.Classify.
type API interface {
	CreateInstance(ctx context.Context, p domain.Params, tags ...domain.Tag) (rkvstore.CreateResult, error)
	DescribeInstanceAttribute(ctx context.Context, regionID, instanceID string) (rkvstore.InstanceAttribute, error)
	// The calls of the changes of an instance (see changes.go).
	ModifySecurityIps(ctx context.Context, regionID, instanceID, group string, ips []string) error
	DescribeSecurityIps(ctx context.Context, regionID, instanceID string) ([]rkvstore.SecurityIpGroup, error)
	ModifyInstanceSpec(ctx context.Context, regionID, instanceID string, s rkvstore.SpecChange) (orderID string, err error)
	ResetPassword(ctx context.Context, regionID, instanceID, newPassword string) error
	DeleteInstance(ctx context.Context, regionID, instanceID string) error
	RenewInstance(ctx context.Context, regionID, instanceID string, periodMonths int, clientToken string) (time.Time, error)
	// ModifyAutoRenewal turns a subscription's auto-renewal off when its
	// lease ends (see lease_worker.go).
	ModifyAutoRenewal(ctx context.Context, regionID string, instanceIDs []string, autoRenew bool, durationMonths int) error
	// ListInstances finds an instance by its tags when a call's answer
	// was lost (see Effect).
	Lister
}

// Opener opens a sealed password (*secret.Sealer); aad is the request's Token.
type Opener interface {
	Open(sealed, aad []byte) ([]byte, error)
}

// Config configures a Provisioner. Store, API and Sealer are required; every
// other zero field takes its default.
type Config struct {
	Store  *store.Store
	API    API
	Sealer Opener
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer

	// Concurrency is the number of CreateInstance calls in flight at once in
	// this process (PORTAL_PROVISIONER_CONCURRENCY). Up to twice as many
	// provisioning jobs run at once, so that recording one attempt's outcome
	// and starting the next overlap the calls; the calls never exceed it.
	Concurrency int
	// MaxAttempts is the number of attempts after which a retryable error
	// fails the request (PORTAL_MAX_ATTEMPTS).
	MaxAttempts int
	// LeaseTimeout bounds one attempt (PORTAL_LEASE_TIMEOUT): River's job
	// timeout. The call itself gets CallTimeout; a job whose worker died is
	// rescued LeaseTimeout + 5 s after it started.
	LeaseTimeout time.Duration
	// CallTimeout bounds one CreateInstance call; default
	// CallTimeout(LeaseTimeout).
	CallTimeout time.Duration
	// Retry is the backoff between attempts; Retry.Base is
	// PORTAL_RETRY_BASE_DELAY.
	Retry RetryPolicy
	// StopGrace is how long Stop lets calls in flight finish before
	// cancelling them.
	StopGrace time.Duration
	// FollowInterval is how often a new instance's status is asked for (the
	// period of the sweep, run by one process: River's leader), and
	// FollowFor how long it is followed at most.
	FollowInterval time.Duration
	FollowFor      time.Duration
	// FollowConcurrency is the number of status calls in flight at once in a
	// sweep.
	FollowConcurrency int
	// EraseInterval is how often expired passwords of failed requests are
	// erased (default DefaultEraseInterval).
	EraseInterval time.Duration
	// LeaseSweepInterval is how often leases are warned about and ended
	// (PORTAL_LEASE_SWEEP_INTERVAL, default domain.DefaultLeaseSweepInterval).
	LeaseSweepInterval time.Duration
	// SweepInterval is how often requests stranded without a provisioning
	// job are looked for (SweepArgs; by River's leader).
	SweepInterval time.Duration
	// FetchPollInterval is how often the queue is polled when no
	// notification came (new jobs normally wake a worker at once through
	// LISTEN/NOTIFY); FetchCooldown is the least time between two fetches.
	FetchPollInterval time.Duration
	FetchCooldown     time.Duration
	// RiverPool is the pool River's client runs on (fetching, completing
	// and LISTEN); default the store's. A pool that goes past a
	// transaction pooler to Postgres itself keeps LISTEN working.
	RiverPool *pgxpool.Pool
	// PollOnly makes River poll for new jobs every FetchPollInterval
	// instead of LISTENing for them: for a RiverPool that goes through a
	// transaction pooler, where a LISTEN ends with its transaction.
	PollOnly bool
	// ClientID names this process's River client (default: River's own).
	ClientID string
	// RiverLogger receives River's own logs; default Logger at warnings only.
	RiverLogger *slog.Logger
	// Extra are other jobs this process works on the same River client
	// (the webhook notifier): their workers and their own queues.
	Extra []Extension
	// Periodic are more periodic jobs, run by River's leader (the drift
	// check): their workers come with Extra, or run on QueueMaintenance.
	Periodic []*river.PeriodicJob
	// Inserters insert jobs of their own through the same River client (the
	// webhook outbox); New hands each the client, so that a process has one.
	Inserters []Inserter
	// TracerProvider, when set, makes a span of every job worked (named
	// "river.work/<kind>") and of every insertion, and carries the
	// inserting span's trace in the job, so that a job's span links back to
	// the request that enqueued it (an approval, a re-queue). nil: none.
	TracerProvider trace.TracerProvider
}

// Inserter is a part that inserts jobs, in its callers' transactions,
// through the provisioner's River client.
type Inserter interface {
	UseClient(*river.Client[pgx.Tx])
}

// Extension is a set of jobs worked on the provisioner's River client, on
// queues of its own so that it never holds up provisioning.
type Extension interface {
	// AddWorkers registers the extension's workers.
	AddWorkers(*river.Workers) error
	// Queues are the extension's queues; none may be one of the
	// provisioner's.
	Queues() map[string]river.QueueConfig
}

// CallTimeout is how long one CreateInstance call may take within an
// attempt whose lease is lease: the lease less the time kept for recording
// the outcome, and at least 80 % of it.
func CallTimeout(lease time.Duration) time.Duration {
	return max(lease-outcomeMargin, lease*8/10)
}

// Provisioner runs the provisioning jobs and follow-up sweeps of this process.
type Provisioner struct {
	cfg    Config
	st     *store.Store
	api    API
	sealer Opener
	// effect reads a creation back from the cloud by its tag.
	effect  Effect
	log     *slog.Logger
	client  *river.Client[pgx.Tx]
	metrics *metrics
	// calls holds one token per CreateInstance call in flight: at most
	// Concurrency.
	calls chan struct{}
}

// New builds a Provisioner and its River client; Start starts it.
func New(cfg Config) (*Provisioner, error) {
	if cfg.Store == nil || cfg.API == nil || cfg.Sealer == nil {
		return nil, errors.New("provisioner: Store, API and Sealer are required")
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.Concurrency = cmp.Or(max(cfg.Concurrency, 0), DefaultConcurrency)
	cfg.MaxAttempts = cmp.Or(max(cfg.MaxAttempts, 0), DefaultMaxAttempts)
	cfg.LeaseTimeout = cmp.Or(max(cfg.LeaseTimeout, 0), DefaultLeaseTimeout)
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = CallTimeout(cfg.LeaseTimeout)
	}
	cfg.CallTimeout = min(cfg.CallTimeout, cfg.LeaseTimeout)
	cfg.StopGrace = cmp.Or(max(cfg.StopGrace, 0), DefaultStopGrace)
	cfg.FollowInterval = cmp.Or(max(cfg.FollowInterval, 0), DefaultFollowInterval)
	cfg.FollowFor = cmp.Or(max(cfg.FollowFor, 0), DefaultFollowFor)
	cfg.FollowConcurrency = cmp.Or(max(cfg.FollowConcurrency, 0), DefaultFollowConcurrency)
	cfg.EraseInterval = cmp.Or(max(cfg.EraseInterval, 0), DefaultEraseInterval)
	cfg.LeaseSweepInterval = cmp.Or(max(cfg.LeaseSweepInterval, 0), domain.DefaultLeaseSweepInterval)
	cfg.SweepInterval = cmp.Or(max(cfg.SweepInterval, 0), DefaultSweepInterval)
	cfg.FetchPollInterval = cmp.Or(max(cfg.FetchPollInterval, 0), DefaultFetchPollInterval)
	cfg.FetchCooldown = cmp.Or(max(cfg.FetchCooldown, 0), DefaultFetchCooldown)
	if cfg.RiverLogger == nil {
		cfg.RiverLogger = slog.New(warnOnly{cfg.Logger.Handler()})
	}

	p := &Provisioner{cfg: cfg, st: cfg.Store, api: cfg.API, sealer: cfg.Sealer, log: cfg.Logger, effect: TaggedInstance(cfg.API),
		calls: make(chan struct{}, cfg.Concurrency)}
	p.metrics = newMetrics(cfg.Store)
	if cfg.Registerer != nil {
		if err := p.metrics.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("provisioner: metrics: %w", err)
		}
	}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &provisionWorker{p: p}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &followWorker{p: p}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &eraseWorker{p: p}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &sweepWorker{p: p}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &leaseWorker{p: p}); err != nil {
		return nil, err
	}
	queues := map[string]river.QueueConfig{
		// Twice as many jobs as call slots: a job records its outcome after
		// giving its slot back, while another job's call runs in it.
		QueueProvision:   {MaxWorkers: 2 * cfg.Concurrency},
		QueueFollow:      {MaxWorkers: 1}, // one sweep at a time; it has FollowConcurrency calls
		QueueMaintenance: {MaxWorkers: 1},
	}
	for _, x := range cfg.Extra {
		if err := x.AddWorkers(workers); err != nil {
			return nil, fmt.Errorf("provisioner: extra workers: %w", err)
		}
		for name, q := range x.Queues() {
			if _, taken := queues[name]; taken {
				return nil, fmt.Errorf("provisioner: extra queue %q is taken", name)
			}
			queues[name] = q
		}
	}
	client, err := river.NewClient(riverpgxv5.New(cmp.Or(cfg.RiverPool, cfg.Store.Pool())), &river.Config{
		ID:                   cfg.ClientID,
		Logger:               cfg.RiverLogger,
		Workers:              workers,
		JobTimeout:           cfg.LeaseTimeout,
		RescueStuckJobsAfter: cfg.LeaseTimeout + rescueMargin,
		MaxAttempts:          cfg.MaxAttempts + rescueAllowance,
		RetryPolicy:          &p.cfg.Retry,
		PeriodicJobs: append([]*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.FollowInterval),
				func() (river.JobArgs, *river.InsertOpts) { return FollowArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.EraseInterval),
				func() (river.JobArgs, *river.InsertOpts) { return EraseArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.SweepInterval),
				func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.LeaseSweepInterval),
				func() (river.JobArgs, *river.InsertOpts) { return LeaseArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		}, cfg.Periodic...),
		FetchCooldown:     cfg.FetchCooldown,
		FetchPollInterval: cfg.FetchPollInterval,
		PollOnly:          cfg.PollOnly,
		SoftStopTimeout:   cfg.StopGrace,
		Queues:            queues,
		Plugins:           tracingPlugins(cfg.TracerProvider),
	})
	if err != nil {
		return nil, fmt.Errorf("provisioner: River client: %w", err)
	}
	p.client = client
	for _, in := range cfg.Inserters {
		in.UseClient(client)
	}
	return p, nil
}

// tracingPlugins is River's OpenTelemetry middleware on tp, or none. A job
// is worked long after (and in another process than) the request that
// enqueued it, so its span starts a trace of its own, linked to the
// inserting span rather than its child.
func tracingPlugins(tp trace.TracerProvider) []rivertype.Plugin {
	if tp == nil {
		return nil
	}
	return []rivertype.Plugin{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
		TracerProvider:              tp,
		MeterProvider:               metricnoop.NewMeterProvider(), // the metrics are Prometheus's
		EnableTracePropagation:      true,
		EnableWorkSpanJobKindSuffix: true,
	})}
}

// Start starts fetching and working jobs. The workers run until Stop, not
// until ctx ends: ctx only bounds starting.
func (p *Provisioner) Start(ctx context.Context) error {
	if err := p.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("provisioner: start: %w", err)
	}
	p.log.Info("provisioner started", "concurrency", p.cfg.Concurrency, "max_attempts", p.cfg.MaxAttempts,
		"lease_timeout", p.cfg.LeaseTimeout, "retry_base_delay", p.cfg.Retry.Base)
	return nil
}

// Stop stops fetching jobs and lets the calls in flight finish for up to the
// stop grace period; then they are cancelled, and their requests go back to
// approved without the attempt counting (River's soft then hard stop). When
// ctx ends first, the calls are cancelled at once.
func (p *Provisioner) Stop(ctx context.Context) error {
	err := p.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hardCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = p.client.StopAndCancel(hardCtx)
	}
	if err != nil {
		return fmt.Errorf("provisioner: stop: %w", err)
	}
	return nil
}

// Client is the River client, for callers that insert jobs of their own.
func (p *Provisioner) Client() *river.Client[pgx.Tx] { return p.client }

// ErrJobBusy: the request still has a provisioning job that has not
// finished (typically the one that just failed it, a moment ago). Nothing
// was changed; try again in a moment.
var ErrJobBusy = errors.New("the request's previous provisioning job is still finishing; try again in a moment")

// EnqueueTx enqueues the provisioning job of r in tx, the transaction that
// makes r approved (store.MoveApproved's enqueue hook). There is at most one
// unfinished job per request: when one exists, it returns ErrJobBusy, which
// rolls the approval back.
func (p *Provisioner) EnqueueTx(ctx context.Context, tx pgx.Tx, r domain.Request) error {
	args := ProvisionArgs{RequestID: r.ID}
	if r.Kind.IsChange() {
		args.Operation = r.Kind.Spec().Operation
	}
	res, err := p.client.InsertTx(ctx, tx, args, &river.InsertOpts{
		MaxAttempts: p.cfg.MaxAttempts + rescueAllowance,
	})
	if err != nil {
		return fmt.Errorf("enqueue provisioning of request %d: %w", r.ID, err)
	}
	if res.UniqueSkippedAsDuplicate {
		return fmt.Errorf("enqueue provisioning of request %d: %w", r.ID, ErrJobBusy)
	}
	return nil
}

// Requeue sends a failed request back to approved with the same Token, as
// done by adminID (event request.requeued), its job enqueued in the same
// transaction. A request that is not failed, or whose password was erased
// when its re-queue window ended, is a *domain.StateError.
//
// The new attempts send the password the failed request kept. Should the
// first attempts have made an instance after all, the same Token returns it
// rather than make a second.
func (p *Provisioner) Requeue(ctx context.Context, requestID, adminID int64) (domain.Request, error) {
	return p.st.MoveRequeued(ctx, requestID, adminID, p.EnqueueTx)
}

// Retry sends a failed request whose password was erased back to approved
// with a new sealed password, as done by its requester (event
// request.retried), its job enqueued in the same transaction (see
// store.Retry).
func (p *Provisioner) Retry(ctx context.Context, requestID, requesterID int64, sealed []byte) (domain.Request, error) {
	return p.st.MoveRetried(ctx, requestID, requesterID, sealed, p.EnqueueTx)
}

// ProvisionArgs is the provisioning job of one request: unique per request
// among unfinished jobs, so a request is never worked twice at once and a
// failed one can be re-queued.
type ProvisionArgs struct {
	RequestID int64 `json:"request_id"`
	// Operation is the cloud call of a change request (its kind's), named
	// in each attempt's event; "" for a creation (and for jobs enqueued
	// before changes existed).
	Operation string `json:"operation,omitempty"`
}

// Kind implements river.JobArgs.
func (ProvisionArgs) Kind() string { return "provision_instance" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ProvisionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueProvision, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: unfinished}}
}

// unfinished are the job states in which a job still has work to do.
var unfinished = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// warnOnly passes on warnings and errors only: River logs every retry at
// info level, and the provisioner logs its own outcomes.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(a []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(a)} }
func (h warnOnly) WithGroup(n string) slog.Handler      { return warnOnly{h.Handler.WithGroup(n)} }
