package notify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/riverqueue/river"
)

// Defaults of DelivererConfig.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultRetryBase   = 10 * time.Second
	DefaultConcurrency = 2
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body,
// keyed with the webhook secret, when one is configured.
const SignatureHeader = "X-KVPortal-Signature"

// DelivererConfig configures a Deliverer. URL is required; every other zero
// field takes its default.
type DelivererConfig struct {
	// URL receives the events (PORTAL_WEBHOOK_URL).
	URL string
	// Secret, when set, signs each body (PORTAL_WEBHOOK_SECRET).
	Secret string
	Logger *slog.Logger
	// Timeout bounds one delivery, from connecting to the answer's status.
	Timeout time.Duration
	// RetryBase is the wait after the first failed delivery, doubling after
	// each further one (10 s, 20 s, 40 s, 80 s by default).
	RetryBase time.Duration
	// Concurrency is the number of deliveries in flight at once.
	Concurrency int
	// Client sends the requests; default a client that follows no redirect.
	Client *http.Client
}

// Deliverer POSTs webhook jobs to the configured URL. It is a
// provisioner.Extension: the provisioner's River client works its queue.
type Deliverer struct {
	cfg  DelivererConfig
	host string // the URL as logged: no path, query or user information
}

// NewDeliverer returns a Deliverer for cfg.
func NewDeliverer(cfg DelivererConfig) (*Deliverer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("notify: the webhook URL must be an http(s) URL")
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), DefaultTimeout)
	cfg.RetryBase = cmp.Or(max(cfg.RetryBase, 0), DefaultRetryBase)
	cfg.Concurrency = cmp.Or(max(cfg.Concurrency, 0), DefaultConcurrency)
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Deliverer{cfg: cfg, host: u.Scheme + "://" + u.Host}, nil
}

// AddWorkers implements provisioner.Extension.
func (d *Deliverer) AddWorkers(w *river.Workers) error {
	return river.AddWorkerSafely(w, &worker{d: d})
}

// Queues implements provisioner.Extension.
func (d *Deliverer) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{Queue: {MaxWorkers: d.cfg.Concurrency}}
}

// Sign is the value of SignatureHeader for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// deliver POSTs ev once; a non-2xx answer is an error.
func (d *Deliverer) deliver(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "KVPortal-Webhook/1")
	req.Header.Set("X-KVPortal-Event", ev.Action)
	req.Header.Set("X-KVPortal-Delivery", strconv.FormatInt(ev.EventID, 10))
	if d.cfg.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(d.cfg.Secret, body))
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL (and any token in it) stays out of logs
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}

// worker is the webhook job's River worker.
type worker struct {
	river.WorkerDefaults[Event]
	d *Deliverer
}

// Work delivers the event; an error makes River try again later, until the
// job's last attempt, after which it is discarded.
func (w *worker) Work(ctx context.Context, job *river.Job[Event]) error {
	ev := job.Args
	log := w.d.cfg.Logger.With("event_id", ev.EventID, "action", ev.Action, "request_id", ev.RequestID,
		"webhook", w.d.host, "attempt", job.Attempt, "max_attempts", job.MaxAttempts)
	err := w.d.deliver(ctx, ev)
	switch {
	case err == nil:
		log.InfoContext(ctx, "webhook delivered")
		return nil
	case job.Attempt >= job.MaxAttempts:
		log.ErrorContext(ctx, "webhook delivery failed for the last time: discarded", "err", err)
	default:
		log.WarnContext(ctx, "webhook delivery failed: will retry", "err", err)
	}
	return fmt.Errorf("webhook delivery: %w", err)
}

// NextRetry is RetryBase after the first failure, doubling after each.
func (w *worker) NextRetry(job *river.Job[Event]) time.Time {
	n := min(max(job.Attempt, 1)-1, 10)
	return time.Now().Add(w.d.cfg.RetryBase << n)
}

// Timeout bounds a run: the delivery's timeout and a margin.
func (w *worker) Timeout(*river.Job[Event]) time.Duration { return w.d.cfg.Timeout + 5*time.Second }
