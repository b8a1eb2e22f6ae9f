package web

import (
	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/api"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/static"
)

// routes is the whole route table: every page and action of the portal.
func routes(e *echo.Echo, d Deps) {
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.Ping))
	e.GET("/metrics", echo.WrapHandler(MetricsHandler(d.Registry, d.Logger)))
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	if d.API != nil {
		api.Register(e, *d.API)
	}
	if d.SlackInteractions != nil {
		// Signed by Slack instead: no session, no CSRF token (Slack has
		// neither); the handler checks the signature before reading
		// anything else.
		e.POST(SlackInteractionsPath, echo.WrapHandler(d.SlackInteractions), limitBody(maxBody))
	}
	if d.Handlers == nil {
		return
	}
	h := d.Handlers

	// Route-level middleware rather than groups: a group with middleware
	// would also catch every unknown path.
	base := []echo.MiddlewareFunc{limitBody(maxBody), sessions(h.Sessions), csrf}
	anyone := func(m ...echo.MiddlewareFunc) []echo.MiddlewareFunc {
		return append(append([]echo.MiddlewareFunc{}, base...), m...)
	}
	requester := anyone(requireRole(domain.RoleRequester))
	approver := anyone(requireRole(domain.RoleApprover))
	admin := anyone(requireRole(domain.RoleAdmin))

	e.GET("/login", h.LoginForm, anyone()...)
	e.POST("/login", h.Login, anyone()...)
	e.POST("/logout", h.Logout, anyone()...)
	e.GET("/auth/oidc/login", h.OIDCLogin, anyone()...)
	e.GET("/auth/oidc/callback", h.OIDCCallback, anyone()...)
	e.GET("/settings/sessions", h.SessionList, requester...)
	e.POST("/settings/sessions/end-others", h.EndOtherSessions, requester...)
	e.POST("/settings/sessions/:id/end", h.EndSession, requester...)
	e.GET("/settings/tokens", h.Tokens, requester...)
	e.POST("/settings/tokens", h.CreateToken, requester...)
	e.POST("/settings/tokens/:id/revoke", h.RevokeToken, requester...)
	e.GET("/settings/slack", h.SlackSettings, requester...)
	e.POST("/settings/slack/code", h.SendSlackCode, requester...)
	e.POST("/settings/slack/link", h.LinkSlack, requester...)
	e.POST("/settings/slack/unlink", h.UnlinkSlack, requester...)

	e.GET("/", h.Home, requester...)
	e.GET("/requests", h.ListRequests, requester...)
	e.GET("/requests/new", h.NewRequest, requester...)
	e.POST("/requests", h.CreateRequest, requester...)
	e.GET("/requests/:id", h.ShowRequest, requester...)
	e.GET("/requests/:id/status.json", h.RequestStatus, requester...)
	e.POST("/requests/:id/cancel", h.CancelRequest, requester...)
	e.POST("/requests/:id/retry", h.RetryRequest, requester...)
	e.GET("/instances", h.Instances, requester...)
	e.GET("/instances/:instance", h.ShowInstance, requester...)
	e.GET("/instances/:instance/change", h.ChangeForm, requester...)
	e.POST("/instances/:instance/requests", h.SubmitChange, requester...)
	e.GET("/teams/:name", h.TeamPage, requester...)

	e.GET("/approvals", h.Approvals, approver...)
	e.POST("/requests/:id/approve", h.ApproveRequest, approver...)
	e.POST("/requests/:id/reject", h.RejectRequest, approver...)

	e.POST("/requests/:id/requeue", h.RequeueRequest, admin...)
	e.GET("/admin/requests", h.AdminRequests, admin...)
	e.GET("/audit", h.Audit, admin...)
	e.GET("/admin/drift", h.Drift, admin...)
	e.POST("/admin/drift/check", h.CheckDrift, admin...)
	e.GET("/audit/export.csv", h.ExportAudit, admin...)
	e.GET("/admin/users", h.Users, admin...)
	e.POST("/admin/users", h.CreateUser, admin...)
	e.POST("/admin/users/:id/role", h.SetUserRole, admin...)
	e.POST("/admin/users/:id/disable", h.DisableUser, admin...)
	e.POST("/admin/users/:id/enable", h.EnableUser, admin...)
	e.POST("/admin/users/:id/sessions/end", h.EndUserSessions, admin...)
	e.GET("/admin/teams", h.Teams, admin...)
	e.POST("/admin/teams", h.CreateTeam, admin...)
	e.POST("/admin/teams/:id/limits", h.SetTeamLimits, admin...)
	e.POST("/admin/teams/:id/settings", h.SetTeamSettings, admin...)
	e.POST("/admin/teams/:id/members", h.AddTeamMember, admin...)
	e.POST("/admin/teams/:id/remove", h.RemoveTeamMember, admin...)
	e.GET("/admin/policies", h.Policies, admin...)
	e.POST("/admin/policies", h.SavePolicies, admin...)
}
