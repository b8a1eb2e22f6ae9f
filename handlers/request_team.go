package handlers

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// requestForm is formView for the signed-in user: with a Team field when
// they are in a team (preselected when in one only).
func (h *Handlers) requestForm(c echo.Context, in domain.Input, errs domain.FieldErrors, cat *domain.Catalog) (pages.RequestFormView, error) {
	v := h.formView(in, errs, cat)
	u := user(c)
	if u.ID == 0 { // nobody signed in is in no team
		return v, nil
	}
	wf, err := h.whitelistField(c.Request().Context(), u.ID, in, errs)
	if err != nil {
		return v, err
	}
	lf := components.Field{Name: domain.ReleaseAfterField, Label: "Release after", Kind: "text", Mono: true, MaxLength: 40,
		Value: in[domain.ReleaseAfterField], Error: errs[domain.ReleaseAfterField], Placeholder: "2027-01-31",
		Help: "Optional: when the portal releases the instance (a lease): a date, meaning the end of that day UTC, " +
			"or an RFC 3339 time. You are warned a week and a day before. Teams may require one."}
	// Last: what the portal does once the instance exists.
	v.Groups = append(v.Groups, pages.FieldGroup{ID: "connect", Title: "After creation", Fields: []components.Field{wf, lf}})
	for _, f := range []components.Field{wf, lf} {
		if f.Error != "" {
			v.Errors = append(v.Errors, components.FieldError{Name: f.Name, Label: f.Label, Message: f.Error})
		}
	}
	teams, err := h.Store.UserTeams(c.Request().Context(), u.ID)
	if err != nil || len(teams) == 0 {
		return v, err
	}
	var leases []string
	for _, t := range teams {
		if t.MaxLeaseDays != nil {
			leases = append(leases, t.Name+": at most "+domain.Count(strconv.Itoa(*t.MaxLeaseDays), "day"))
		}
	}
	if len(leases) > 0 {
		if f := v.Field(domain.ReleaseAfterField); f != nil {
			f.Note = "Required by your team (" + strings.Join(leases, "; ") + ")."
		}
	}
	f := components.Field{Name: domain.TeamField, Label: "Team", Kind: "select", Required: true,
		Help:  "Required. The team the instance is for: it counts against that team's limits.",
		Error: errs[domain.TeamField], Value: in[domain.TeamField]}
	if len(teams) == 1 && f.Value == "" {
		f.Value = teams[0].Name
	}
	if f.Value == "" {
		f.Options = []components.Option{{Value: "", Label: "Choose a team…", Selected: true}}
	}
	found := f.Value == ""
	for _, t := range teams {
		sel := t.Name == f.Value
		found = found || sel
		f.Options = append(f.Options, components.Option{Value: t.Name, Label: t.Name, Selected: sel})
	}
	if !found { // kept as typed, so that nothing is lost; the error says why
		f.Options = append(f.Options, components.Option{Value: f.Value, Label: f.Value + " (not your team)", Selected: true})
	}
	// The team is who pays: its group goes just before Billing, so that the
	// form still starts with where the instance lives and what it is.
	at := slices.IndexFunc(v.Groups, func(g pages.FieldGroup) bool { return g.ID == domain.GroupBilling.ID })
	if at < 0 {
		at = len(v.Groups)
	}
	v.Groups = slices.Insert(v.Groups, at, pages.FieldGroup{ID: "team", Title: "Team", Fields: []components.Field{f}})
	if f.Error != "" {
		// The error summary lists the fields in the form's order.
		before := 0
		for _, g := range v.Groups[:at] {
			for _, gf := range g.Fields {
				if gf.Error != "" {
					before++
				}
			}
		}
		before = min(before, len(v.Errors))
		v.Errors = slices.Insert(v.Errors, before, components.FieldError{Name: f.Name, Label: f.Label, Message: f.Error})
	}
	v.Summary = formSummary(&v, in) // with the team
	return v, nil
}

// teamProblem is what is wrong with a Team filter's value.
func teamProblem(s string) string {
	if !domain.ValidTeamName(s) {
		return "must be a team's name"
	}
	return ""
}

// teamSuggestions are the teams' names, for the Team filter; none when they
// can't be read (a filter works without suggestions).
func (h *Handlers) teamSuggestions(ctx context.Context) []components.Option {
	names, err := h.Store.TeamNames(ctx)
	if err != nil {
		h.logger().WarnContext(ctx, "team suggestions", "err", err)
		return nil
	}
	opts := make([]components.Option, len(names))
	for i, name := range names {
		opts[i] = components.Option{Value: name, Label: name}
	}
	return opts
}

// whitelistField is the creation form's SecurityIps: as typed, else (a new
// form) the default whitelist of the team the request is for, or of the
// user's only team with one; the teams' defaults are named in its help.
func (h *Handlers) whitelistField(ctx context.Context, userID int64, in domain.Input, errs domain.FieldErrors) (components.Field, error) {
	f := components.Field{Name: domain.SecurityIpsField, Label: "IP whitelist", Kind: "textarea", Mono: true,
		MaxLength: domain.SecurityIpsMaxLen, Error: errs[domain.SecurityIpsField],
		Help: "The addresses allowed to connect, set once the instance is Normal: IPv4 or IPv6 addresses or CIDR blocks, " +
			"comma-separated (10.0.0.0/8,192.168.1.7). Empty: none, and no client can connect until you set one."}
	typed, ok := in[domain.SecurityIpsField]
	f.Value = strings.ToValidUTF8(typed, "\uFFFD")
	defaults, err := h.Store.TeamWhitelists(ctx, userID)
	if err != nil {
		return f, err
	}
	if len(defaults) > 0 {
		names := make([]string, 0, len(defaults))
		for n := range defaults {
			names = append(names, n)
		}
		slices.Sort(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = n + ": " + defaults[n]
		}
		f.Note = "Your teams' default whitelists: " + strings.Join(parts, "; ") + "."
	}
	if !ok {
		if ips, found := defaults[in[domain.TeamField]]; found {
			f.Value = ips
		} else if len(defaults) == 1 && in[domain.TeamField] == "" {
			for _, ips := range defaults {
				f.Value = ips
			}
		}
	}
	return f, nil
}
