package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// TeamPage shows a team to its members and to admins (GET /teams/{name}):
// its instances with their monthly estimates and leases, and its spend and
// instance count against its limits. To anyone else the team does not
// exist.
func (h *Handlers) TeamPage(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	if !domain.ValidTeamName(name) {
		return errNotFound
	}
	t, err := h.Store.TeamByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	u := user(c)
	if !u.Role.AtLeast(domain.RoleAdmin) {
		member, err := h.Store.InTeam(ctx, u.ID, t.ID)
		if err != nil {
			return err
		}
		if !member {
			return errNotFound
		}
	}
	usage, err := h.Store.TeamUsage(ctx, t.ID)
	if err != nil {
		return err
	}
	list, err := h.Store.TeamInstances(ctx, t.ID)
	if err != nil {
		return err
	}
	members, err := h.Store.TeamMembers(ctx, t.ID)
	if err != nil {
		return err
	}
	v := pages.TeamPageView{Now: h.now(), Name: t.Name, Members: members,
		Spend: pages.Bar{Label: "Monthly spend", Text: domain.Money(usage.MonthlySpend) + " of " + domain.LimitText(t.MaxMonthlySpend), Share: -1},
		Count: pages.Bar{Label: "Instances", Text: strconv.Itoa(usage.Instances) + " of " + domain.LimitText(t.MaxInstances), Share: -1},
	}
	if t.MaxMonthlySpend != nil {
		v.Spend.Share = share(usage.MonthlySpend, *t.MaxMonthlySpend)
	}
	if t.MaxInstances != nil {
		v.Count.Share = share(float64(usage.Instances), float64(*t.MaxInstances))
	}
	for _, ti := range list {
		row := pages.TeamInstanceRow{I: ti.Instance}
		if ti.Monthly != nil {
			row.Monthly = components.PriceText(*ti.Monthly, "", domain.Params{ChargeType: ti.ChargeType})
		}
		v.Instances = append(v.Instances, row)
	}
	return h.render(c, http.StatusOK, "instances", pages.TeamPage(v))
}

// share is value over limit; a limit of 0 is full at once, over when
// anything counts.
func share(value, limit float64) float64 {
	if limit <= 0 {
		if value > 0 {
			return 2
		}
		return 1
	}
	return value / limit
}
