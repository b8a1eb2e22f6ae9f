package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/api"
	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/preflight"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/web"
	"github.com/kvportal/kvportal/workflow"
)

// sessionKeyFile holds the generated session keys (32 bytes to sign, 32 to
// encrypt), in the data directory, when PORTAL_SESSION_KEY is not set.
const sessionKeyFile = "session.key"

// sessionSweepInterval: how often expired sessions are deleted. They are
// refused as soon as they expire; the sweep only keeps the table small.
const sessionSweepInterval = 10 * time.Minute

// newWebServer builds the HTTP server with everything its pages need.
// Expired sessions are swept for as long as ctx lives.
func newWebServer(ctx context.Context, e env, cfg config.Config, st *store.Store, cl *cloud, prov *provisioning, reg *prometheus.Registry) (*echo.Echo, error) {
	// The provisioning job is enqueued in the approval's transaction: an
	// approval without a queue to put its job in would never be provisioned.
	if prov == nil || prov.prov == nil {
		return nil, errors.New("the web server needs the provisioner's queue to approve requests")
	}
	keys, err := secret.LoadKey(cfg.SessionKey, cfg.DataDir, sessionKeyFile, auth.SessionKeyLen)
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	sm, err := auth.NewSessions(auth.SessionConfig{Keys: keys, Store: st, Secure: cfg.HTTPS(),
		TrustProxy: cfg.TrustProxy, Logger: e.logger})
	if err != nil {
		return nil, err
	}
	go sm.RunSweeper(ctx, sessionSweepInterval)
	// The provisioning job is enqueued in the approval's transaction; an
	// admin's re-queue of a failed request goes through the provisioner.
	flow := &workflow.Workflow{Store: st, Sealer: prov.sealer, Enqueue: prov.enqueueHook(), Requeuer: prov.requeue}
	d := handlers.Deps{Store: st, Sessions: sm, Workflow: flow, Logger: e.logger,
		Simulated: cfg.Simulated(), BaseURL: cfg.BaseURL(), LocalLoginOff: !cfg.LocalLogin}
	if cl != nil {
		if cl.catalog != nil {
			flow.Catalog = cl.catalog
		}
		if cl.api != nil {
			d.Pricer = cl.api
			flow.Preflight = preflight.Gate{Checker: cl.api, Logger: e.logger}
			d.DriftCloud = cl.api
			d.Prices = rkvstore.NewPriceCache(cl.api)
		}
	}
	if o := cfg.OIDC; o.Issuer != "" {
		d.OIDC, err = auth.NewOIDC(auth.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			Scopes: o.Scopes, GroupsClaim: o.GroupsClaim,
			AdminGroups: o.AdminGroups, ApproverGroups: o.ApproverGroups, RequesterGroups: o.RequesterGroups})
		if err != nil {
			return nil, err
		}
	}
	h, err := handlers.New(d)
	if err != nil {
		return nil, err
	}
	return web.New(web.Deps{Logger: e.logger, Registry: reg, Ping: st.Ping,
		Handlers: h, TrustProxy: cfg.TrustProxy,
		API: &api.Deps{Store: st, Workflow: flow, Logger: e.logger,
			Rate: float64(cfg.APIRate), Burst: cfg.APIBurst}}), nil
}
