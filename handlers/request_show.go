package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
	"github.com/kvportal/kvportal/workflow"
)

// ShowRequest shows a request (GET /requests/{id}): its parameters,
// outcome and timeline, and the actions the user may take.
func (h *Handlers) ShowRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	v, err := h.showView(c, r)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "", pages.RequestShow(v))
}

func (h *Handlers) showView(c echo.Context, r domain.Request) (pages.RequestShowView, error) {
	ctx := c.Request().Context()
	u := user(c)
	events, err := h.Store.RequestEvents(ctx, r.ID)
	if err != nil {
		return pages.RequestShowView{}, err
	}
	pending := r.Status == domain.StatusPendingApproval
	v := pages.RequestShowView{
		Now: h.now(), R: r, Moving: moving(r),
		Params:     paramGroups(r, h.now()),
		CanCancel:  pending && r.RequesterID == u.ID,
		CanDecide:  pending && r.RequesterID != u.ID && u.Role.AtLeast(domain.RoleApprover),
		CanRequeue: r.Status == domain.StatusFailed && u.Role.AtLeast(domain.RoleAdmin) && !r.PasswordErased(h.now()),
		OwnRequest: pending && r.RequesterID == u.ID && u.Role.AtLeast(domain.RoleApprover),
		Reason:     reasonField("", ""),
	}
	v.PasswordCase, v.PasswordNote = passwordNote(r, h.now())
	if r.Status == domain.StatusFailed && r.RequesterID == u.ID && r.PasswordErased(h.now()) {
		v.Retry = &pages.RetryView{Password: retryPasswordField("")}
	}
	p := r.Params
	if o, ok := h.catalog(ctx).Offer(p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion, p.InstanceClass); ok {
		v.Capacity = components.Capacity(o.CapacityMB)
		v.SetParam("InstanceClass", func(s string) string {
			if v.Capacity == "" {
				return s
			}
			return s + " (" + v.Capacity + ")"
		})
	}
	if r.MonthlyPrice != nil {
		v.Price = components.PriceText(*r.MonthlyPrice, h.currency(ctx, p), p)
	}
	for _, e := range events {
		v.Events = append(v.Events, eventView(e))
	}
	if err := h.connectNote(ctx, &v); err != nil {
		return v, err
	}
	return v, nil
}

// paramGroups are a request's parameters as its page shows them, in the
// table's groups: a parameter that goes with another's value it does not
// have (a VPC on a Classic request) is left out.
func paramGroups(r domain.Request, now time.Time) []pages.ParamGroup {
	if r.Kind.IsChange() {
		return []pages.ParamGroup{{Title: "The change", Params: changeParams(&r, now)}}
	}
	var out []pages.ParamGroup
	defer func() {
		if after := afterCreation(&r); len(after) > 0 {
			out = append(out, pages.ParamGroup{Title: "After creation", Params: after})
		}
	}()
	for _, g := range domain.Groups() {
		group := pages.ParamGroup{Title: g.Title}
		for _, m := range domain.Table {
			if m.Group != g || !m.ShownIn(&r.Params) {
				continue
			}
			group.Params = append(group.Params, pages.Param{Name: m.Name, Label: m.Label, Value: paramText(&r, m, now), Mono: m.Mono})
		}
		if len(group.Params) > 0 {
			out = append(out, group)
		}
	}
	return out
}

// paramText is the value of parameter m of r in words: the password only
// as whether one was given, and whether it is still kept.
func paramText(r *domain.Request, m domain.Param, now time.Time) string {
	switch {
	case m.Kind == domain.KindSecret && !r.PasswordSet:
		return "not set"
	case m.Kind == domain.KindSecret && r.Status == domain.StatusSucceeded:
		return "set, erased after creation"
	case m.Kind == domain.KindSecret && r.Status == domain.StatusFailed && !r.PasswordErased(now):
		return "set, kept for a re-queue"
	case m.Kind == domain.KindSecret && r.Status.Terminal():
		return "set, erased"
	case m.Kind == domain.KindSecret:
		return "set"
	}
	return m.Words(&r.Params)
}

// passwordNote says, for a failed request with a password, which case
// applies: kept for a re-queue until a time, or erased.
func passwordNote(r domain.Request, now time.Time) (string, string) {
	if r.Status != domain.StatusFailed || !r.PasswordSet {
		return "", ""
	}
	if r.PasswordErased(now) {
		return "erased", "The instance password was erased, so an admin can no longer re-queue this request: " +
			"its requester can retry it with a new password (the same token, so never a second instance)."
	}
	return "kept", "The instance password is kept, sealed, until " + components.Exact(*r.PasswordKeptUntil) +
		" (" + components.Ago(now, *r.PasswordKeptUntil) + "), so that a re-queue sends it. " +
		"After that it is erased, and only the requester can retry, with a new password."
}

// retryPasswordField is the new password of a retry.
func retryPasswordField(problem string) components.Field {
	m, _ := domain.ParamByName("Password")
	f := formField(m, nil, domain.FieldErrors{"Password": problem})
	f.Label, f.Required = "New instance password", true
	return f
}

// moving reports whether a request is still changing by itself: its page
// then refreshes itself.
func moving(r domain.Request) bool {
	switch r.Status {
	case domain.StatusApproved, domain.StatusProvisioning:
		return true
	case domain.StatusSucceeded:
		return !domain.InstanceSettled(r.InstanceStatus)
	}
	return false
}

func reasonField(value, problem string) components.Field {
	return components.Field{Name: "reason", Label: "Reason for rejecting", Kind: "textarea", Value: value,
		Error: problem, Required: true, MaxLength: workflow.ReasonMaxLen,
		Help: "Required. The requester sees it. At most " + strconv.Itoa(workflow.ReasonMaxLen) + " characters."}
}

// eventView says what an audit event means, in words: its action's
// sentence and badge from domain's table of actions, and the details the
// sentence does not say.
func eventView(e store.Event) pages.EventView {
	a := domain.ActionOf(e.Action)
	d := safeDetails(e.Details)
	ev := pages.EventView{At: e.At, Actor: actorName(e), Action: e.Action, Status: a.Status}
	var said map[domain.DetailKey]bool
	ev.Text, said = a.Sentence(d)
	if !a.Parameters {
		ev.Details = detailWords(d, said)
	}
	return ev
}

// connectNote says on a created instance's request whether clients can
// connect yet: once it is Normal and the whitelist asked for with it is
// set; until then the page keeps refreshing itself.
func (h *Handlers) connectNote(ctx context.Context, v *pages.RequestShowView) error {
	r := v.R
	if r.Kind.IsChange() || r.Status != domain.StatusSucceeded || r.InstanceID == "" || r.InstanceStatus != domain.InstanceNormal {
		return nil
	}
	if r.Change.SecurityIps == "" {
		v.Connect = "The instance is Normal, but no whitelist was asked for: no client can connect until one is set (Set the IP whitelist, on the instance's page)."
		return nil
	}
	in, err := h.Store.Instance(ctx, r.InstanceID)
	if err != nil {
		return err
	}
	if in.SecurityIPs == "" {
		v.Connect = "The instance is Normal; the portal is setting its whitelist (" + r.Change.SecurityIps + "). Clients are refused until then."
		v.Moving = true
		return nil
	}
	v.Connect, v.ConnectReady = "Ready to connect from "+in.SecurityIPs+".", true
	return nil
}
