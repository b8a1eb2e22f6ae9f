package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

// cloud is the R-KVStore API this process talks to: the real endpoint, or
// the built-in simulator started here.
// For the web server, the catalog (regions, zones, classes) is cached and
// refreshed in the background for the form and its validation (startCatalog).
type cloud struct {
	api     *rkvstore.Client
	catalog *rkvstore.CatalogCache
	sim     *simulator.Server // nil with a real endpoint
	stop    context.CancelFunc
}

func setupCloud(e env, cfg config.Config) (*cloud, error) {
	c := &cloud{}
	ccfg := rkvstore.ClientConfig{Endpoint: cfg.KVStoreEndpoint, AccessKeyID: cfg.AccessKeyID, AccessKeySecret: cfg.AccessKeySecret,
		ReadTimeout: provisioner.CallTimeout(cfg.LeaseTimeout), TracerProvider: e.tracing.TracerProvider()}
	if cfg.Simulated() {
		// The in-process simulator takes its faults from the same PORTAL_SIM_*
		// variables as `portal sim` (its address and keys are its own).
		simCfg := cfg.Sim.Config
		simCfg.AccessKeyID, simCfg.AccessKeySecret = simulator.DefaultAccessKeyID, simulator.DefaultAccessKeySecret
		simCfg.StatePath = filepath.Join(cfg.DataDir, "simulator-state.json")
		// Only the simulator's warnings: every call at info level would drown
		// the portal's own log.
		simCfg.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		sim, err := simulator.New(simCfg)
		if err != nil {
			return nil, err
		}
		if c.sim, err = simulator.Start("127.0.0.1:0", sim); err != nil {
			return nil, err
		}
		ccfg.Endpoint, ccfg.AccessKeyID, ccfg.AccessKeySecret = c.sim.Endpoint(), simulator.DefaultAccessKeyID, simulator.DefaultAccessKeySecret
	}
	api, err := rkvstore.NewClient(ccfg)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("R-KVStore client: %w", err)
	}
	c.api = api
	return c, nil
}

// startCatalog starts the catalog cache and its background refresh, until
// close. Only the web server needs it: the provisioner alone never reads it.
func (c *cloud) startCatalog(ctx context.Context, clock domain.Clock) {
	c.catalog = rkvstore.NewCatalogCache(c.api, rkvstore.DefaultCatalogRefresh)
	c.catalog.Clock = clock
	var runCtx context.Context
	runCtx, c.stop = context.WithCancel(context.WithoutCancel(ctx))
	go c.catalog.Run(runCtx)
}

func (c *cloud) close() {
	if c.stop != nil {
		c.stop()
	}
	if c.sim != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.sim.Shutdown(ctx)
	}
}
