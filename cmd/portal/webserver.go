package main

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/web"
)

// newWebServer builds the HTTP server with everything its pages need.
func newWebServer(e env, cfg config.Config, st *store.Store, cl *cloud, prov *provisioning, reg *prometheus.Registry) (*echo.Echo, error) {
	return web.New(web.Deps{Logger: e.logger, Registry: reg, Ping: st.Ping}), nil
}
