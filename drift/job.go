package drift

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/store"
)

// Queue is the drift checks' queue: their own, one at a time, so that a
// slow cloud never holds up provisioning.
const Queue = "drift"

// DefaultInterval is how often the periodic check runs.
const DefaultInterval = 10 * time.Minute

// checkTimeout bounds one periodic check.
const checkTimeout = 5 * time.Minute

// Args is the periodic drift check.
type Args struct{}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "drift_check" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 1}
}

// Job is the periodic drift check, worked on the provisioner's River client
// (a provisioner.Extension) and enqueued by River's leader every Interval.
type Job struct {
	Store    *store.Store
	Cloud    Cloud
	Logger   *slog.Logger
	Interval time.Duration
}

// AddWorkers implements provisioner.Extension.
func (j *Job) AddWorkers(w *river.Workers) error {
	return river.AddWorkerSafely(w, &worker{j: j})
}

// Queues implements provisioner.Extension.
func (j *Job) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{Queue: {MaxWorkers: 1}}
}

// Periodic is the job's schedule, for the provisioner's River client.
func (j *Job) Periodic() *river.PeriodicJob {
	interval := j.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	// Not at start: a check holds every instance record of the portal and
	// asks the cloud about each, which a process starting (or several
	// replicas restarting at once) need not add to; Check now on
	// /admin/drift runs one at once.
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil },
		&river.PeriodicJobOpts{RunOnStart: false})
}

type worker struct {
	river.WorkerDefaults[Args]
	j *Job
}

// Timeout bounds one check.
func (w *worker) Timeout(*river.Job[Args]) time.Duration { return checkTimeout }

// Work checks once and records what it found; the new findings are audited
// (and announced) by store.RecordDrift.
func (w *worker) Work(ctx context.Context, _ *river.Job[Args]) error {
	started := time.Now()
	rep, fresh, err := Run(ctx, w.j.Store, w.j.Cloud)
	if err != nil {
		return err
	}
	log := w.j.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Its length and size in the log: a check's work grows with the live
	// instances, and this is where an operator sees by how much.
	log.InfoContext(ctx, "drift check done", "instances", rep.Compared, "findings", len(rep.Findings),
		"took", time.Since(started).Round(time.Millisecond).String())
	for _, p := range rep.Problems {
		log.WarnContext(ctx, "drift check incomplete", "problem", p)
	}
	if len(fresh) > 0 {
		log.WarnContext(ctx, "drift found", "new", len(fresh), "findings", len(rep.Findings))
	}
	return nil
}

// Metrics are the drift gauges, read from the last recorded check at each
// scrape, so that every process shows the same whichever ran the check.
type Metrics struct {
	st       *store.Store
	findings *prometheus.Desc
	checked  *prometheus.Desc
}

// NewMetrics returns the drift gauges of st.
func NewMetrics(st *store.Store) *Metrics {
	return &Metrics{st: st,
		findings: prometheus.NewDesc("kvportal_drift_findings",
			"Instances that differ from the portal's records at the last drift check, by kind (missing, unknown, class, name, status).",
			[]string{"kind"}, nil),
		checked: prometheus.NewDesc("kvportal_drift_last_check_timestamp_seconds",
			"When the last drift check ran (Unix time; 0: never).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.findings
	ch <- m.checked
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counts, at, err := m.st.DriftCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.findings, err)
		return
	}
	for _, k := range Kinds() {
		ch <- prometheus.MustNewConstMetric(m.findings, prometheus.GaugeValue, float64(counts[k]), k)
	}
	ts := 0.0
	if !at.IsZero() {
		ts = float64(at.Unix())
	}
	ch <- prometheus.MustNewConstMetric(m.checked, prometheus.GaugeValue, ts)
}

// Register registers m with reg (nil: none).
func (m *Metrics) Register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	return errors.Join(reg.Register(m))
}
