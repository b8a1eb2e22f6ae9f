package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
)

// auditFilter reads the filters of the audit trail (GET /audit and its CSV
// export): actor (a username, or "system" for KVPortal itself), action,
// request, InstanceId, region, team, and the days from and to. suggest fills the
// suggestions of the form's fields (the users, the catalog's regions): the
// page shows them, the export has no form and skips their queries.
func (h *Handlers) auditFilter(c echo.Context, suggest bool) (store.EventFilter, *filters, error) {
	ctx := c.Request().Context()
	var actors, regions []components.Option
	if suggest {
		var err error
		if actors, err = h.actorSuggestions(ctx); err != nil {
			return store.EventFilter{}, nil, err
		}
		regions = h.regionSuggestions(ctx)
	}
	fs := newFilters(c)
	var f store.EventFilter
	f.Actor = fs.Text("actor", "Actor", func(s string) string {
		if s != systemActor && !store.ValidUsername(s) {
			return "must be a username, or system for KVPortal itself"
		}
		return ""
	}, actors)
	actions := []components.Option{{Value: "", Label: "Any action"}}
	for _, a := range domain.Actions() {
		actions = append(actions, components.Option{Value: a, Label: a})
	}
	f.Action = fs.Choice("action", "Action", actions)
	f.RequestID = fs.ID("request", "Request")
	f.InstanceID = fs.Text("instance", "InstanceId", nil, nil)
	f.RegionID = fs.Text("region", "Region", nil, regions)
	var teams []components.Option
	if suggest {
		teams = h.teamSuggestions(ctx)
	}
	f.Team = fs.Text("team", "Team", teamProblem, teams)
	f.Since, f.Until = fs.Dates("from", "From", "to", "To")
	return f, fs, nil
}

// actorSuggestions lists every username, and system, for the actor filter.
func (h *Handlers) actorSuggestions(ctx context.Context) ([]components.Option, error) {
	users, err := h.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	opts := []components.Option{{Value: systemActor, Label: portalName + " itself"}}
	for _, u := range users {
		opts = append(opts, components.Option{Value: u.Username, Label: string(u.Role)})
	}
	return opts, nil
}

// regionSuggestions lists the catalog's regions, when known.
func (h *Handlers) regionSuggestions(ctx context.Context) []components.Option {
	var opts []components.Option
	if cat := h.catalog(ctx); cat != nil {
		for _, r := range cat.Regions {
			opts = append(opts, components.Option{Value: r.RegionId, Label: r.LocalName})
		}
	}
	return opts
}
