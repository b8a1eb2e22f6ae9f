// Package api is the JSON API under /api/v1: everything the form and the
// buttons do, for scripts and pipelines, authenticated by personal access
// tokens (package apitoken) and described by OpenAPI 3.1 at
// /api/v1/openapi.json.
//
// The description is produced from the code with huma (v2, on the Echo
// group through its Echo v4 adapter) rather than written first and
// compiled into stubs with oapi-codegen: the request's parameters come
// from one table (domain.Table) that the form, the store and the audit
// trail already use, and a code-first description builds the request and
// response schemas from that same table, so the API cannot drift from the
// form. The handlers only translate JSON to the steps of package workflow
// and back, so the rules, the words and the audit events are the form's.
package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/defaults"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humaecho"
	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/ratelimit"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// maxBody bounds a request body: a submission is well under 4 KiB.
const maxBody = 64 << 10

// Defaults of the per-token rate limit (PORTAL_API_RATE, PORTAL_API_BURST,
// whose defaults config reads in package defaults too).
const (
	DefaultRate  float64 = defaults.APIRate
	DefaultBurst         = defaults.APIBurst
)

// Deps is what the API needs, built in cmd/portal.
type Deps struct {
	Store    *store.Store
	Workflow *workflow.Workflow
	Logger   *slog.Logger
	// Admin takes the policy steps; nil: steps on Store.
	Admin *admin.Admin
	// Rate (requests per second) and Burst limit each token; zero values
	// take DefaultRate and DefaultBurst.
	Rate  float64
	Burst int
	// Clock is the clock; nil: the system's.
	Clock domain.Clock
}

// server holds the API's dependencies for its operations.
type server struct {
	Deps
	limits *ratelimit.Keyed[int64] // per token
}

func (s *server) now() time.Time {
	return domain.Now(s.Clock)
}

// Config is the OpenAPI description's frame: title, version, server, the
// bearer scheme; no documentation page (it would load scripts from
// elsewhere) and no $schema links added to responses.
func Config() huma.Config {
	cfg := huma.DefaultConfig("KVPortal API", "1.0.0")
	cfg.Info.Description = "Request ApsaraDB for Redis instances, decide on them and follow them, " +
		"with the same rules, words and audit trail as the portal's pages."
	cfg.Servers = []*huma.Server{{URL: Prefix}}
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		bearerScheme: {Type: "http", Scheme: "bearer", Description: "A personal access token (kvp_…) from " +
			"/settings/tokens or `portal tokens create`."},
	}
	return cfg
}

// useProblems makes every error huma writes itself (validation, body too
// large, unreadable JSON) a Problem like the handlers' own. huma offers no
// other hook than its package variable; the value set is always the same.
var useProblems = sync.OnceFunc(func() { huma.NewError = newProblem })

// Register mounts the API on e under Prefix and returns its description.
func Register(e *echo.Echo, d Deps) huma.API {
	useProblems()
	if d.Rate <= 0 {
		d.Rate = DefaultRate
	}
	if d.Burst <= 0 {
		d.Burst = DefaultBurst
	}
	if d.Admin == nil {
		d.Admin = &admin.Admin{Store: d.Store, Clock: d.Clock}
	}
	s := &server{Deps: d, limits: ratelimit.New[int64](d.Rate, d.Burst)}
	a := humaecho.NewWithGroup(e, e.Group(Prefix), Config())
	a.UseMiddleware(refuseLargeBody(a), s.authenticate(a))
	s.routes(a)
	return a
}

// refuseLargeBody answers 413 to a body its Content-Length already says is
// over the operation's MaxBodyBytes, before anything else runs. huma finds
// out only by reading the body, and reading it is what makes Go's server
// send "100 Continue": a client that waits for it (curl does, for a second)
// then sends the whole body for nothing. Worse, under load the answer came
// after the token's database check, past that second: the client was
// already sending when the server closed the connection, and it saw a reset
// instead of the 413. A body without a length is still bounded by huma as
// it reads.
func refuseLargeBody(a huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		limit := ctx.Operation().MaxBodyBytes
		if n, err := strconv.ParseInt(ctx.Header("Content-Length"), 10, 64); err == nil && limit > 0 && n > limit {
			// The body is left unread: the server closes the connection
			// after the answer rather than read it to reuse the connection.
			_ = huma.WriteErr(a, ctx, http.StatusRequestEntityTooLarge,
				"request body is too large limit="+strconv.FormatInt(limit, 10)+" bytes")
			return
		}
		next(ctx)
	}
}
