// Package handlers holds one small file per page or action of the web UI.
// Every handler hangs off Handlers, whose fields are its dependencies, built
// in cmd/portal; routes, sessions, CSRF and role checks are wired in package
// web.
package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/drift"
	"github.com/kvportal/kvportal/preflight"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
)

// CatalogSource gives the cloud's catalog; *rkvstore.CatalogCache is one.
// Get may return nil (not known).
type CatalogSource interface {
	Get(ctx context.Context) *domain.Catalog
}

// Pricer estimates prices; *rkvstore.Client is one.
type Pricer interface {
	DescribePrice(ctx context.Context, p domain.Params) (rkvstore.Price, error)
}

// PriceEstimator gives a remembered price estimate for a list row;
// *rkvstore.PriceCache is one. ok is false when there is none.
type PriceEstimator interface {
	Estimate(ctx context.Context, p domain.Params) (price rkvstore.Price, ok bool)
}

// EnqueueFunc runs in the approval's transaction, with the request as
// approved: the provisioner enqueues its job there.
type EnqueueFunc func(ctx context.Context, tx pgx.Tx, r domain.Request) error

// LoginLimits bound failed sign-ins.
type LoginLimits struct {
	PerUser    int
	PerAddress int
	Window     time.Duration
}

// DefaultLoginLimits: 5 failures per username and 20 per address in 15 min.
var DefaultLoginLimits = LoginLimits{PerUser: 5, PerAddress: 20, Window: 15 * time.Minute}

// Handlers are the web UI's handlers and what they need.
type Handlers struct {
	Store    *store.Store
	Sessions *auth.Sessions
	// Sealer seals instance passwords (aad: the request token).
	Sealer *secret.Sealer
	// Catalog gives the choices of the form; nil: unknown.
	Catalog CatalogSource
	// Pricer estimates a request's price on the form; nil: not offered.
	Pricer Pricer
	// Preflight asks the cloud, at submission, whether it would accept a
	// request (CreateInstance with DryRun); nil: no pre-flight, and the
	// request records it as skipped.
	Preflight preflight.Checker
	// DriftCloud lets an admin run a drift check from /admin/drift; nil:
	// the page only shows the periodic check's findings.
	DriftCloud drift.Cloud
	// Prices estimates the price of each row of the approvals queue; nil:
	// none shown.
	Prices PriceEstimator
	// Enqueue is called inside the approval transaction. nil enqueues
	// nothing (no provisioner wired).
	Enqueue EnqueueFunc
	// Requeue re-queues a failed request (the provisioner's); nil uses the
	// store's with Enqueue.
	Requeue RequeueFunc
	// Simulated shows the simulator banner on every page.
	Simulated bool
	Logger    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now         func() time.Time
	LoginLimits LoginLimits
	// BaseURL is the URL people reach the portal at (PORTAL_PUBLIC_URL):
	// the single sign-on redirect URI starts with it.
	BaseURL string
	// OIDC signs people in through the identity provider; nil: no single
	// sign-on.
	OIDC *auth.OIDC
	// LocalLoginOff switches password sign-in off (PORTAL_LOCAL_LOGIN=false).
	LocalLoginOff bool
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handlers) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// catalog returns the catalog, nil when unknown.
func (h *Handlers) catalog(ctx context.Context) *domain.Catalog {
	if h.Catalog == nil {
		return nil
	}
	return h.Catalog.Get(ctx)
}
