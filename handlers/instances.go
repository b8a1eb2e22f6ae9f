package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// Instances lists instances (GET /instances, "My instances"): the viewer's
// and their teams'; an admin sees every instance, filtered by team, region
// and status. ?after= continues after the last row of the previous page.
func (h *Handlers) Instances(c echo.Context) error {
	ctx := c.Request().Context()
	var f store.InstanceFilter
	v := pages.InstancesView{Now: h.now()}
	fs := newFilters(c)
	if user(c).Role.AtLeast(domain.RoleAdmin) {
		f.Team = fs.Text("team", "Team", teamProblem, h.teamSuggestions(ctx))
		f.RegionID = fs.Text("region", "Region", nil, h.regionSuggestions(ctx))
		statuses := []components.Option{{Value: "", Label: "Any status"}}
		for _, s := range domain.InstanceStatuses() {
			statuses = append(statuses, components.Option{Value: s, Label: s})
		}
		f.Status = fs.Choice("status", "Instance status", statuses)
		if days := fs.Text("ends_within", "Lease or subscription ends within (days)", daysProblem, nil); days != "" && daysProblem(days) == "" {
			n, _ := strconv.Atoi(days)
			f.EndsBefore = h.now().Add(time.Duration(n) * 24 * time.Hour)
		}
		v.Filter = &pages.FilterForm{Action: "/instances", Fields: fs.Fields, Errors: fs.Errors, Active: fs.Active()}
		if !fs.Valid() {
			return h.render(c, http.StatusUnprocessableEntity, "instances", pages.Instances(v))
		}
	}
	f.After, f.Limit = printable(c.QueryParam("after"), 64), pageSize+1
	list, err := h.Workflow.Instances(ctx, actor(c), f)
	if err != nil {
		return err
	}
	if len(list) > pageSize {
		list = list[:pageSize]
		v.NextURL = fs.URL("/instances", "after", list[len(list)-1].InstanceID)
	}
	v.Instances = list
	return h.render(c, http.StatusOK, "instances", pages.Instances(v))
}

// ShowInstance shows an instance (GET /instances/{InstanceId}) to those who
// look after it: what it is now, where to connect, its whitelist and its
// requests. Others get not found.
func (h *Handlers) ShowInstance(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := h.Workflow.Instance(ctx, actor(c), c.Param("instance"))
	if err != nil {
		return flowError(err)
	}
	reqs, err := h.Store.InstanceRequests(ctx, in.InstanceID)
	if err != nil {
		return err
	}
	v := pages.InstanceView{Now: h.now(), I: in, Requests: reqs}
	if v.HeldBy, err = h.Store.ChangeInProgress(ctx, in.InstanceID); err != nil {
		return err
	}
	if o, ok := h.catalog(ctx).Offer(in.RegionID, in.ZoneID, in.InstanceType, in.EngineVersion, in.InstanceClass); ok {
		v.Capacity = components.Capacity(o.CapacityMB)
	}
	return h.render(c, http.StatusOK, "instances", pages.InstanceShow(v))
}

// daysProblem is what is wrong with a number of days typed in a filter.
func daysProblem(s string) string {
	if n, err := strconv.Atoi(s); err != nil || n < 0 || n > 3650 {
		return "must be a whole number of days, 0 to 3650"
	}
	return ""
}
