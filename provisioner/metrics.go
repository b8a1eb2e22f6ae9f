package provisioner

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/store"
)

// metrics are the provisioner's Prometheus metrics.
type metrics struct {
	st           *store.Store
	attempts     *prometheus.CounterVec
	callDuration prometheus.Histogram
	byStatus     *prometheus.Desc
	oldestAge    *prometheus.Desc
}

func newMetrics(st *store.Store) *metrics {
	return &metrics{
		st: st,
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvportal_provision_attempts_total",
			Help: "Provisioning attempts by outcome (succeeded, retry, failed, interrupted, lost) and error code (OK on success).",
		}, []string{"outcome", "code"}),
		callDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kvportal_create_instance_duration_seconds",
			Help:    "Latency of CreateInstance calls, whatever their outcome.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60},
		}),
		byStatus: prometheus.NewDesc("kvportal_requests",
			"Requests by status (kept up to date by each move, read at scrape).", []string{"status"}, nil),
		oldestAge: prometheus.NewDesc("kvportal_oldest_approved_request_age_seconds",
			"How long the request waiting longest in approved has been there (0 when none).", nil, nil),
	}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	return errors.Join(reg.Register(m.attempts), reg.Register(m.callDuration), reg.Register(m))
}

// Describe implements prometheus.Collector for the gauges read at scrape.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.byStatus
	ch <- m.oldestAge
}

// Collect implements prometheus.Collector: one query of a few rows per
// scrape (store.ProvisioningStats). When it fails, these gauges are left
// out of the scrape and the rest is still served (web.MetricsHandler).
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	stats, err := m.st.ProvisioningStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.byStatus, err)
		return
	}
	for status, n := range stats.ByStatus {
		ch <- prometheus.MustNewConstMetric(m.byStatus, prometheus.GaugeValue, float64(n), string(status))
	}
	age := 0.0
	if !stats.OldestApproved.IsZero() {
		age = max(time.Since(stats.OldestApproved).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(m.oldestAge, prometheus.GaugeValue, age)
}
