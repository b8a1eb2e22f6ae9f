package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/admission"
	"github.com/kvportal/kvportal/api"
	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
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

// queue is the provisioner's side of the web server: each approved
// request's provisioning job is enqueued in the approval's transaction, and
// an admin's re-queue of a failed request sends it back with its token.
// *provisioner.Provisioner is one.
type queue interface {
	EnqueueTx(ctx context.Context, tx pgx.Tx, r domain.Request) error
	Requeue(ctx context.Context, requestID, adminID int64) (domain.Request, error)
}

// newWebServer builds the HTTP server with everything its pages need: q
// takes the provisioning jobs, sealer seals the passwords of new requests,
// wh (nil: none) brings the Slack app's endpoint and settings page.
// Expired sessions are swept for as long as ctx lives.
func newWebServer(ctx context.Context, e env, cfg config.Config, st *store.Store, cl *cloud, q queue, sealer *secret.Sealer,
	reg *prometheus.Registry, wh *webhooks) (*echo.Echo, error) {
	if q == nil || sealer == nil {
		return nil, errors.New("the web server needs the provisioning queue and the password sealer")
	}
	keys, err := secret.LoadKey(cfg.SessionKey, cfg.DataDir, sessionKeyFile, auth.SessionKeyLen)
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	sm, err := auth.NewSessions(auth.SessionConfig{Keys: keys, Store: st, Clock: e.clock, Secure: cfg.HTTPS(),
		TrustProxy: cfg.TrustProxy, Logger: e.logger})
	if err != nil {
		return nil, err
	}
	go sm.RunSweeper(ctx, sessionSweepInterval)
	flow := &workflow.Workflow{Store: st, Sealer: sealer, Enqueue: q.EnqueueTx, Requeuer: q.Requeue, Clock: e.clock,
		MinLease: cfg.MinLease}
	d := handlers.Deps{Store: st, Sessions: sm, Workflow: flow, Logger: e.logger, Clock: e.clock,
		Simulated: cfg.Simulated(), BaseURL: cfg.BaseURL(), LocalLoginOff: !cfg.LocalLogin}
	if cl != nil {
		if cl.catalog != nil {
			flow.Catalog = cl.catalog
		}
		if cl.api != nil {
			d.Pricer = cl.api
			flow.Preflight = preflight.Gate{Checker: cl.api, Logger: e.logger}
			d.DriftCloud = cl.api
			prices := rkvstore.NewPriceCache(cl.api)
			prices.Clock = e.clock
			d.Prices = prices
		}
	}
	// Teams, their limits and the approval policies decide submissions
	// and approvals on every interface.
	gate := &admission.Gate{Store: st, Logger: e.logger}
	if d.Prices != nil {
		gate.Prices = d.Prices
	}
	gate.Wire(flow)
	if cfg.OIDC.Issuer != "" {
		d.OIDC, err = auth.NewOIDC(oidcConfig(cfg.OIDC))
		if err != nil {
			return nil, err
		}
	}
	if app := wh.slackLinker(); app != nil {
		d.Slack = app
	}
	h, err := handlers.New(d)
	if err != nil {
		return nil, err
	}
	return web.New(web.Deps{Logger: e.logger, Registry: reg, Ping: st.Ping,
		Handlers: h, TrustProxy: cfg.TrustProxy, Traced: e.tracing.On(), SlackInteractions: wh.slackInteractions(flow),
		API: &api.Deps{Store: st, Workflow: flow, Logger: e.logger, Clock: e.clock,
			Rate: float64(cfg.APIRate), Burst: cfg.APIBurst}}), nil
}

// oidcConfig is single sign-on's configuration as auth takes it: config
// reads the settings into a plain struct of its own, so as not to import
// auth, and every one of them is copied here (a test holds that none is
// left behind).
func oidcConfig(o config.OIDC) auth.OIDCConfig {
	return auth.OIDCConfig{
		Issuer:          o.Issuer,
		ClientID:        o.ClientID,
		ClientSecret:    o.ClientSecret,
		Scopes:          o.Scopes,
		GroupsClaim:     o.GroupsClaim,
		AdminGroups:     o.AdminGroups,
		ApproverGroups:  o.ApproverGroups,
		RequesterGroups: o.RequesterGroups,
		TeamGroups:      o.TeamGroups,
	}
}
