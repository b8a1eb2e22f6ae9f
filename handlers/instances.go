package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
)

// Instances shows the instances the user's requests created, newest first,
// with each one's status and where to connect (GET /instances, "My
// instances"); ?before= continues after the last row of the previous page.
func (h *Handlers) Instances(c echo.Context) error {
	rs, err := h.Store.ListRequests(c.Request().Context(), store.RequestFilter{
		RequesterID: user(c).ID, WithInstance: true, BeforeID: cursor(c, "before"), Limit: pageSize + 1})
	if err != nil {
		return err
	}
	v := pages.InstancesView{Now: h.now()}
	if len(rs) > pageSize {
		rs = rs[:pageSize]
		v.NextURL = "/instances?before=" + strconv.FormatInt(rs[len(rs)-1].ID, 10)
	}
	v.Instances = rs
	return h.render(c, http.StatusOK, "instances", pages.Instances(v))
}
