package web

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kvportal/kvportal/static"
	"github.com/kvportal/kvportal/store"
)

// routes is the whole route table (DESIGN.md, "Pages and actions").
func routes(e *echo.Echo, d Deps) {
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(d.Ping))
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})))
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	if d.Handlers == nil {
		return
	}
	h := d.Handlers

	app := e.Group("", limitBody(maxBody), sessions(d.Store, d.Sessions, d.TrustProxy), csrf)
	app.GET("/login", h.LoginForm)
	app.POST("/login", h.Login)
	app.POST("/logout", h.Logout)

	requester := app.Group("", requireRole(store.RoleRequester))
	requester.GET("/", h.Home)
	requester.GET("/requests", h.ListRequests)
	requester.GET("/requests/new", h.NewRequest)
	requester.POST("/requests", h.CreateRequest)
	requester.GET("/requests/:id", h.ShowRequest)
	requester.GET("/requests/:id/status.json", h.RequestStatus)
	requester.POST("/requests/:id/cancel", h.CancelRequest)

	approver := app.Group("", requireRole(store.RoleApprover))
	approver.GET("/approvals", h.Approvals)
	approver.POST("/requests/:id/approve", h.ApproveRequest)
	approver.POST("/requests/:id/reject", h.RejectRequest)
}
