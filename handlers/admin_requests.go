package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// AdminRequests lists every request for admins (GET /admin/requests),
// newest first, filtered by status, requester, team, region, instance type,
// InstanceId and the days of submission; ?before= continues after the last
// row of the previous page. A bad filter value is shown beside its field,
// with a 422.
func (h *Handlers) AdminRequests(c echo.Context) error {
	ctx := c.Request().Context()
	requesters, err := h.actorSuggestions(ctx)
	if err != nil {
		return err
	}
	fs := newFilters(c)
	var f store.RequestFilter
	statuses := []components.Option{{Value: "", Label: "Any status"}}
	for _, s := range domain.Statuses() {
		statuses = append(statuses, components.Option{Value: string(s), Label: s.Label()})
	}
	f.Status = domain.Status(fs.Choice("status", "Status", statuses))
	f.RequesterName = fs.Text("requester", "Requester", func(s string) string {
		if !store.ValidUsername(s) {
			return "must be a username"
		}
		return ""
	}, requesters[1:]) // not "system": it requests nothing
	f.Team = fs.Text("team", "Team", teamProblem, h.teamSuggestions(ctx))
	f.RegionID = fs.Text("region", "Region", nil, h.regionSuggestions(ctx))
	f.InstanceType = fs.Choice("type", "Instance type", []components.Option{{Value: "", Label: "Any type"},
		{Value: domain.TypeRedis, Label: domain.TypeRedis}, {Value: domain.TypeMemcache, Label: domain.TypeMemcache}})
	f.InstanceID = fs.Text("instance", "InstanceId", nil, nil)
	f.Since, f.Until = fs.Dates("from", "Submitted from", "to", "Submitted to")

	v := pages.AdminRequestsView{Now: h.now(),
		Filter: pages.FilterForm{Action: "/admin/requests", Fields: fs.Fields, Errors: fs.Errors, Active: fs.Active()}}
	if !fs.Valid() {
		return h.render(c, http.StatusUnprocessableEntity, "all-requests", pages.AdminRequests(v))
	}
	f.BeforeID = cursor(c, "before")
	f.Limit, f.ForTable = pageSize+1, true
	rs, err := h.Store.ListRequests(ctx, f)
	if err != nil {
		return err
	}
	if len(rs) > pageSize {
		rs = rs[:pageSize]
		v.NextURL = fs.URL("/admin/requests", "before", strconv.FormatInt(rs[len(rs)-1].ID, 10))
	}
	v.Requests = rs
	return h.render(c, http.StatusOK, "all-requests", pages.AdminRequests(v))
}
