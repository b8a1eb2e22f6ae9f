// Package handlers holds one small file per page or action of the web UI.
// Every handler hangs off Handlers, whose fields are its dependencies, built
// in cmd/portal; routes, sessions, CSRF and role checks are wired in package
// web.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kvportal/kvportal/admin"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/drift"
	"github.com/kvportal/kvportal/ratelimit"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// Pricer estimates prices; *rkvstore.Client is one.
type Pricer interface {
	DescribePrice(ctx context.Context, p domain.Params) (rkvstore.Price, error)
}

// PriceEstimator gives a remembered price estimate for a list row;
// *rkvstore.PriceCache is one. ok is false when there is none.
type PriceEstimator interface {
	Estimate(ctx context.Context, p domain.Params) (price rkvstore.Price, ok bool)
}

// LoginLimits bound failed sign-ins.
type LoginLimits struct {
	PerUser    int
	PerAddress int
	Window     time.Duration
}

// DefaultLoginLimits: 5 failures per username and 20 per address in 15 min.
var DefaultLoginLimits = LoginLimits{PerUser: 5, PerAddress: 20, Window: 15 * time.Minute}

// Deps are what the handlers need. Store, Sessions, Workflow and Logger
// are required: New refuses to build without one, so that no page is
// quietly switched off by a field left out. The others are optional and say
// what their zero value means.
type Deps struct {
	Store    *store.Store
	Sessions *auth.Sessions
	// Workflow takes the steps of a request's life (submit, decide,
	// cancel, re-queue) and gives the catalog the form offers.
	Workflow *workflow.Workflow
	Logger   *slog.Logger

	// Admin takes the team, user, token and policy steps; nil: steps on
	// Store with the handlers' clock.
	Admin *admin.Admin
	// Pricer estimates a request's price on the form; nil: not offered.
	Pricer Pricer
	// DriftCloud lets an admin run a drift check from /admin/drift; nil:
	// the page only shows the periodic check's findings.
	DriftCloud drift.Cloud
	// Prices estimates the price of each row of the approvals queue; nil:
	// none shown.
	Prices PriceEstimator
	// Simulated shows the simulator banner on every page.
	Simulated bool
	// Clock is the clock; nil: the system's.
	Clock domain.Clock
	// LoginLimits bound failed sign-ins; zero: DefaultLoginLimits.
	LoginLimits LoginLimits
	// BaseURL is the URL people reach the portal at (PORTAL_PUBLIC_URL):
	// the single sign-on redirect URI starts with it.
	BaseURL string
	// OIDC signs people in through the identity provider; nil: no single
	// sign-on.
	OIDC *auth.OIDC
	// LocalLoginOff switches password sign-in off (PORTAL_LOCAL_LOGIN=false).
	LocalLoginOff bool
	// Slack links users' Slack accounts on /settings/slack; nil: the
	// portal has no Slack app, and the page says so.
	Slack SlackLinker
}

// Handlers are the web UI's handlers; their dependencies are Deps.
type Handlers struct {
	Deps
	// ssoStarts bounds how often one address may start a single sign-on:
	// each start stores a row (its state and PKCE verifier) until it is
	// finished or expires, so an anonymous loop must not fill the table.
	ssoStarts *ratelimit.Keyed[string]
}

// A person starts a single sign-on now and then, an office behind one
// address a few at once; a loop starts thousands.
const (
	ssoStartBurst     = 60
	ssoStartPerSecond = 1
)

// New returns the handlers on d, or an error naming each required
// dependency that is missing.
func New(d Deps) (*Handlers, error) {
	var missing []string
	for _, dep := range []struct {
		name    string
		missing bool
	}{
		{"Store", d.Store == nil}, {"Sessions", d.Sessions == nil},
		{"Workflow", d.Workflow == nil}, {"Logger", d.Logger == nil},
	} {
		if dep.missing {
			missing = append(missing, dep.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("handlers: missing %s", strings.Join(missing, ", "))
	}
	if d.Clock == nil {
		d.Clock = domain.SystemClock{}
	}
	if d.Admin == nil {
		d.Admin = &admin.Admin{Store: d.Store, Clock: d.Clock}
	}
	if d.LoginLimits == (LoginLimits{}) {
		d.LoginLimits = DefaultLoginLimits
	}
	return &Handlers{Deps: d, ssoStarts: ratelimit.New[string](ssoStartPerSecond, ssoStartBurst)}, nil
}

func (h *Handlers) now() time.Time { return h.Clock.Now() }

func (h *Handlers) logger() *slog.Logger { return h.Logger }

// catalog returns the catalog, nil when unknown.
func (h *Handlers) catalog(ctx context.Context) *domain.Catalog {
	return h.Workflow.CurrentCatalog(ctx)
}

// actor is the signed-in user as the workflow sees them.
func actor(c echo.Context) workflow.Actor {
	u := user(c)
	return workflow.Actor{ID: u.ID, Role: u.Role}
}
