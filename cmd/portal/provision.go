package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/drift"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/web"
)

// sealKeyFile is the generated key that seals stored instance passwords, in
// the data directory, when PORTAL_SECRET_KEY is not set.
const sealKeyFile = "seal.key"

// openSealer returns the sealer of stored instance passwords.
func openSealer(cfg config.Config) (*secret.Sealer, error) {
	key, err := secret.LoadKey(cfg.SecretKey, cfg.DataDir, sealKeyFile, 32)
	if err != nil {
		return nil, fmt.Errorf("password sealing key: %w", err)
	}
	return secret.NewSealer(key)
}

// provisioning is the running provisioner of this process.
type provisioning struct {
	prov  *provisioner.Provisioner
	grace time.Duration
}

// provisionerConfig maps the portal's configuration onto the provisioner's.
func provisionerConfig(e env, cfg config.Config, db *database, st *store.Store, cl *cloud, sealer *secret.Sealer, reg prometheus.Registerer) provisioner.Config {
	return provisioner.Config{
		Store: st, API: cl.api, Sealer: sealer, Logger: e.logger, Registerer: reg,
		RiverPool: db.riverPool(), PollOnly: cfg.RiverPollOnly(),
		Concurrency:        cfg.ProvisionerConcurrency,
		MaxAttempts:        cfg.MaxAttempts,
		LeaseTimeout:       cfg.LeaseTimeout,
		Retry:              provisioner.RetryPolicy{Base: cfg.RetryBaseDelay, Clock: e.clock},
		LeaseSweepInterval: cfg.LeaseSweepInterval,
		TracerProvider:     e.tracing.TracerProvider(),
	}
}

// startProvisioner starts the provisioner's workers; its River client is the
// process's one, webhooks (nil: none) and the periodic drift check included.
func startProvisioner(ctx context.Context, e env, cfg config.Config, db *database, st *store.Store, cl *cloud, sealer *secret.Sealer,
	wh *webhooks, reg prometheus.Registerer) (*provisioning, error) {
	pcfg := provisionerConfig(e, cfg, db, st, cl, sealer, reg)
	wh.extend(&pcfg)
	// The periodic drift check, and its gauges on this process's metrics.
	dj := &drift.Job{Store: st, Cloud: cl.api, Logger: e.logger}
	pcfg.Extra = append(pcfg.Extra, dj)
	pcfg.Periodic = append(pcfg.Periodic, dj.Periodic())
	if err := drift.NewMetrics(st).Register(reg); err != nil {
		return nil, fmt.Errorf("drift metrics: %w", err)
	}
	prov, err := provisioner.New(pcfg)
	if err != nil {
		return nil, err
	}
	if err := prov.Start(ctx); err != nil {
		return nil, err
	}
	return &provisioning{prov: prov, grace: provisioner.DefaultStopGrace}, nil
}

// stop soft-stops the workers: in-flight calls finish within a grace period,
// then are cancelled (their requests go back to approved).
func (p *provisioning) stop() {
	if p == nil || p.prov == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.grace+15*time.Second)
	defer cancel()
	_ = p.prov.Stop(ctx)
}

// cmdProvision is `portal provision`: the provisioner alone, until SIGINT or
// SIGTERM. Several may run against one database.
func cmdProvision(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics and /healthz on this address (e.g. 127.0.0.1:9091); off when empty")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: provision takes no arguments", errUsage)
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	stopTracing, err := e.startTracing(ctx)
	if err != nil {
		return err
	}
	defer stopTracing() // after the workers have stopped: their last spans go too
	db, st, wh, err := openMigratedStore(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer db.close()
	sealer, err := openSealer(cfg)
	if err != nil {
		return err
	}
	cl, err := setupCloud(e, cfg)
	if err != nil {
		return err
	}
	defer cl.close()
	reg := web.NewRegistry()
	prov, err := startProvisioner(ctx, e, cfg, db, st, cl, sealer, wh, reg)
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		stopMetrics, err := serveMetrics(e, *metricsAddr, reg)
		if err != nil {
			prov.stop()
			return err
		}
		defer stopMetrics()
	}
	e.logger.Info("provisioner running; stop with SIGINT or SIGTERM", "simulated_cloud", cfg.Simulated())
	<-ctx.Done()
	e.logger.Info("shutting down: letting in-flight provisioning calls finish")
	prov.stop()
	e.logger.Info("stopped")
	return nil
}

// serveMetrics serves the registry at /metrics (and /healthz) on addr, for a
// provisioner that runs without the web server.
func serveMetrics(e env, addr string, reg *prometheus.Registry) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", web.MetricsHandler(reg, e.logger))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.logger.Info("provisioner metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
