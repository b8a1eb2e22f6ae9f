package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// Form fields of the teams page: the team steps' own.
const (
	fieldTeamName     = admin.FieldTeamName
	fieldMaxInstances = admin.FieldMaxInstances
	fieldMaxSpend     = admin.FieldMaxSpend
	fieldMember       = admin.FieldMember
)

// teamForm is what was typed into one of the teams page's forms, with its
// errors, to show again: the add form (team 0) or one team's.
type teamForm struct {
	team   int64
	values map[string]string
	errs   domain.FieldErrors
}

// shortField is how much of a team's name, limit, lease or channel id
// typed is shown again: far more than any valid one.
const shortField = 64

// value is what was typed into field name, shown again (printable, at most
// max characters), or current when the form did not come from this post.
func (f teamForm) value(name, current string, max int) string {
	if v, ok := f.values[name]; ok {
		return printable(v, max)
	}
	return current
}

// Teams shows every team with its usage against its limits and its
// members (GET /admin/teams).
func (h *Handlers) Teams(c echo.Context) error {
	return h.renderTeams(c, http.StatusOK, teamForm{})
}

func (h *Handlers) renderTeams(c echo.Context, status int, form teamForm) error {
	teams, err := h.Store.Teams(c.Request().Context())
	if err != nil {
		return err
	}
	var v pages.TeamsView
	add := teamForm{}
	if form.team == 0 {
		add = form
	}
	v.Add, v.Errors = teamFields(0, add, nil)
	for _, t := range teams {
		row := pages.TeamRow{ID: t.ID, Name: t.Name, Instances: t.Usage.Instances, Pending: t.Pending,
			MaxInstances: domain.LimitText(t.MaxInstances), Spend: domain.Money(t.Usage.MonthlySpend),
			MaxSpend: domain.LimitText(t.MaxMonthlySpend), Members: t.Members,
			Over: t.Admit(t.Usage) != nil}
		mine := teamForm{}
		if form.team == t.ID {
			mine = form
		}
		row.Limits, row.Errors = teamFields(t.ID, mine, &t.Team)
		var settingErrs []components.FieldError
		row.Settings, settingErrs = teamSettingFields(t, mine)
		row.Errors = append(row.Errors, settingErrs...)
		row.Member = components.Field{Name: fieldMember, IDBase: "member-" + itoa(t.ID), Label: "Username", Plain: true,
			Mono: true, Autocomplete: "off", Value: mine.values[fieldMember], Error: mine.errs[fieldMember]}
		if e := mine.errs[fieldMember]; e != "" {
			row.Errors = append(row.Errors, components.FieldError{Name: "member-" + itoa(t.ID), Label: "Username", Message: e})
		}
		v.Teams = append(v.Teams, row)
	}
	return h.render(c, status, "teams", pages.Teams(v))
}

// teamFields are the name (a new team only) and limit fields of a form,
// with what was typed, or the team's limits, and the errors.
func teamFields(id int64, form teamForm, t *domain.Team) ([]components.Field, []components.FieldError) {
	base := func(name string) string {
		if id == 0 {
			return name
		}
		return name + "-" + itoa(id)
	}
	var fields []components.Field
	if t == nil {
		fields = append(fields, components.Field{Name: fieldTeamName, Label: "Name", Required: true, Plain: true, Mono: true,
			MaxLength: shortField, Autocomplete: "off", Value: form.value(fieldTeamName, "", shortField), Help: domain.TeamNameRule + "."})
	}
	maxInst, maxSpend := "", ""
	if t != nil {
		maxInst, maxSpend = limitValue(t.MaxInstances), limitValue(t.MaxMonthlySpend)
	}
	fields = append(fields,
		components.Field{Name: fieldMaxInstances, Label: "Max instances", Plain: true, Value: form.value(fieldMaxInstances, maxInst, shortField),
			Help: "Empty: no limit."},
		components.Field{Name: fieldMaxSpend, Label: "Max monthly spend", Plain: true, Value: form.value(fieldMaxSpend, maxSpend, shortField),
			Help: "In the cloud's currency. Empty: no limit."})
	return withErrors(fields, base, form.errs)
}

// withErrors gives each of a form's fields its element ids (base of its
// name) and its error, and lists the errors for the form's summary.
func withErrors(fields []components.Field, base func(name string) string, errs domain.FieldErrors) ([]components.Field, []components.FieldError) {
	var out []components.FieldError
	for i := range fields {
		fields[i].IDBase = base(fields[i].Name)
		fields[i].Error = errs[fields[i].Name]
		if fields[i].Error != "" {
			out = append(out, components.FieldError{Name: fields[i].IDBase, Label: fields[i].Label, Message: fields[i].Error})
		}
	}
	return fields, out
}

// teamSettingFields are the fields of team t's settings form, with what
// was typed into it or the team's settings, and their errors.
func teamSettingFields(t store.TeamSummary, form teamForm) ([]components.Field, []components.FieldError) {
	fields := []components.Field{
		{Name: admin.FieldWhitelist, Label: "Default whitelist", Plain: true, Mono: true, Autocomplete: "off",
			Value: form.value(admin.FieldWhitelist, t.DefaultWhitelist, domain.SecurityIpsMaxLen),
			Help:  "Prefills SecurityIps of the team's new requests: addresses or CIDR blocks, comma-separated. Empty: none."},
		{Name: admin.FieldMaxLease, Label: "Longest lease, days", Plain: true, Value: form.value(admin.FieldMaxLease, limitValue(t.MaxLeaseDays), shortField),
			Help: "A lease of at most this many days is then required. Empty: no lease required."},
		{Name: admin.FieldSlackChannel, Label: "Slack channel", Plain: true, Mono: true, Autocomplete: "off",
			Value: form.value(admin.FieldSlackChannel, t.SlackChannel, shortField),
			Help:  "The channel id the team's requests are posted to for approval. Empty: the portal's default channel."},
	}
	return withErrors(fields, func(name string) string { return name + "-" + itoa(t.ID) }, form.errs)
}

// limitValue is a limit as the form shows it: "" for none.
func limitValue[T int | float64](v *T) string {
	if v == nil {
		return ""
	}
	return domain.LimitText(v)
}

// readLimits reads the limit fields of a form into values: both are given
// (an empty one is no limit).
func readLimits(c echo.Context, form *teamForm) admin.Limits {
	inst, spend := c.FormValue(fieldMaxInstances), c.FormValue(fieldMaxSpend)
	form.values[fieldMaxInstances], form.values[fieldMaxSpend] = inst, spend
	return admin.Limits{MaxInstances: &inst, MaxSpend: &spend}
}

// CreateTeam adds a team (POST /admin/teams: name and limits) through the
// team step the command line takes too.
func (h *Handlers) CreateTeam(c echo.Context) error {
	form := teamForm{values: map[string]string{fieldTeamName: strings.TrimSpace(c.FormValue(fieldTeamName))}}
	limits := readLimits(c, &form)
	me := user(c)
	t, errs, err := h.Admin.CreateTeam(c.Request().Context(), &me.ID, form.values[fieldTeamName], limits)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		form.errs = errs
		return h.renderTeams(c, http.StatusUnprocessableEntity, form)
	}
	return h.redirect(c, "/admin/teams", "Team "+t.Name+" added")
}

// routeTeam is the team of the route's :id.
func (h *Handlers) routeTeam(c echo.Context) (domain.Team, error) {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return domain.Team{}, err
	}
	t, err := h.Admin.TeamByID(c.Request().Context(), id)
	if errors.Is(err, admin.ErrNoTeam) {
		return domain.Team{}, errNotFound
	}
	return t, err
}

// SetTeamLimits changes a team's limits (POST /admin/teams/{id}/limits).
func (h *Handlers) SetTeamLimits(c echo.Context) error {
	t, err := h.routeTeam(c)
	if err != nil {
		return err
	}
	form := teamForm{team: t.ID, values: map[string]string{}}
	limits := readLimits(c, &form)
	me := user(c)
	t, errs, err := h.Admin.SetTeamLimits(c.Request().Context(), &me.ID, t, limits)
	if err != nil {
		return teamRefused(err)
	}
	if len(errs) > 0 {
		form.errs = errs
		return h.renderTeams(c, http.StatusUnprocessableEntity, form)
	}
	return h.redirect(c, "/admin/teams", "Limits of "+t.Name+": "+domain.LimitText(t.MaxInstances)+" instances, "+
		domain.LimitText(t.MaxMonthlySpend)+" a month")
}

// SetTeamSettings saves a team's default whitelist, longest lease and
// Slack channel (POST /admin/teams/{id}/settings), through the team step
// `portal teams set` takes: nothing is saved unless every field is right.
func (h *Handlers) SetTeamSettings(c echo.Context) error {
	t, err := h.routeTeam(c)
	if err != nil {
		return err
	}
	form := teamForm{team: t.ID, values: map[string]string{}}
	params, err := c.FormParams()
	if err != nil {
		return Errorf(EInvalid, "The form could not be read.")
	}
	// A field the post leaves out keeps the team's setting; an empty one
	// clears it.
	typed := func(name string) *string {
		if _, ok := params[name]; !ok {
			return nil
		}
		v := params.Get(name)
		form.values[name] = v
		return &v
	}
	settings := admin.TeamSettings{DefaultWhitelist: typed(admin.FieldWhitelist), MaxLeaseDays: typed(admin.FieldMaxLease),
		SlackChannel: typed(admin.FieldSlackChannel)}
	me := user(c)
	t, errs, err := h.Admin.SetTeamSettings(c.Request().Context(), &me.ID, t, settings)
	if err != nil {
		return teamRefused(err)
	}
	if len(errs) > 0 {
		form.errs = errs
		return h.renderTeams(c, http.StatusUnprocessableEntity, form)
	}
	return h.redirect(c, "/admin/teams", "Settings of "+t.Name+" saved")
}

// teamRefused answers a team that went away as not found.
func teamRefused(err error) error {
	if errors.Is(err, admin.ErrNoTeam) {
		return errNotFound
	}
	return err
}

// AddTeamMember puts a user in a team (POST /admin/teams/{id}/members,
// field username); RemoveTeamMember takes one out (…/remove).
func (h *Handlers) AddTeamMember(c echo.Context) error { return h.teamMembership(c, true) }

// RemoveTeamMember takes a user out of a team (POST /admin/teams/{id}/remove).
func (h *Handlers) RemoveTeamMember(c echo.Context) error { return h.teamMembership(c, false) }

func (h *Handlers) teamMembership(c echo.Context, add bool) error {
	ctx := c.Request().Context()
	t, err := h.routeTeam(c)
	if err != nil {
		return err
	}
	username := c.FormValue(fieldMember)
	form := teamForm{team: t.ID, values: map[string]string{fieldMember: username}}
	me := user(c)
	step := h.Admin.RemoveMember
	if add {
		step = h.Admin.AddMember
	}
	u, errs, err := step(ctx, &me.ID, t, username)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		if !add {
			return Errorf(EInvalid, "%s %s.", printable(username, shortField), errs[fieldMember])
		}
		form.errs = errs
		return h.renderTeams(c, http.StatusUnprocessableEntity, form)
	}
	if add {
		return h.redirect(c, "/admin/teams", u.Username+" added to "+t.Name)
	}
	return h.redirect(c, "/admin/teams", u.Username+" removed from "+t.Name)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
