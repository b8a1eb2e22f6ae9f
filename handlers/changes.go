package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
	"github.com/kvportal/kvportal/workflow"
)

// ChangeForm shows the form of one kind of change of an instance (GET
// /instances/{InstanceId}/change?kind=K): what will happen, what it costs,
// the kind's fields. A kind the instance can't have says why instead, and
// an instance held by another change names that request.
func (h *Handlers) ChangeForm(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := h.Workflow.Instance(ctx, actor(c), c.Param("instance"))
	if err != nil {
		return flowError(err)
	}
	spec, ok := domain.KindOf(domain.RequestKind(c.QueryParam("kind")))
	if !ok {
		return Errorf(EInvalid, "There is no change of kind %q: choose one on the instance's page.", printable(c.QueryParam("kind"), 40))
	}
	v, err := h.changeView(ctx, in, spec, domain.Input{})
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "instances", pages.ChangeForm(v))
}

// SubmitChange stores a change request from its form (POST
// /instances/{InstanceId}/requests, the field Kind and the kind's fields):
// 303 to the new request, or the form again with every error beside its
// field (422), what was typed kept but a password.
func (h *Handlers) SubmitChange(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := h.Workflow.Instance(ctx, actor(c), c.Param("instance"))
	if err != nil {
		return flowError(err)
	}
	form, err := c.FormParams()
	if err != nil {
		return Errorf(EInvalid, "The form could not be read.")
	}
	input := domain.Input{}
	for k := range form {
		input[k] = form.Get(k)
	}
	spec, ok := domain.KindOf(domain.RequestKind(input[workflow.KindField]))
	if !ok {
		return Errorf(EInvalid, "There is no change of kind %q: choose one on the instance's page.", printable(input[workflow.KindField], 40))
	}
	r, errs, err := h.Workflow.SubmitChange(ctx, actor(c), in.InstanceID, input)
	var held *domain.ChangeHeldError
	switch {
	case errors.As(err, &held):
		errs = domain.FieldErrors{"": held.Error()}
	case err != nil:
		return flowError(err)
	}
	if len(errs) > 0 {
		v, verr := h.changeView(ctx, in, spec, input)
		if verr != nil {
			return verr
		}
		v.Errors = errs
		for i := range v.Fields {
			v.Fields[i].Error = errs[v.Fields[i].Name]
		}
		v.FormError = errs[""]
		v.Summary = fieldErrorList(v.Fields)
		status := http.StatusUnprocessableEntity
		if held != nil {
			status = http.StatusConflict
		}
		return h.render(c, status, "instances", pages.ChangeForm(v))
	}
	return h.redirect(c, "/requests/"+strconv.FormatInt(r.ID, 10), submittedFlash(r))
}

// fieldErrorList is the error summary of fields, in their order.
func fieldErrorList(fields []components.Field) []components.FieldError {
	var out []components.FieldError
	for _, f := range fields {
		if f.Error != "" {
			out = append(out, components.FieldError{Name: f.Name, Label: f.Label, Message: f.Error})
		}
	}
	return out
}

// changeView is the form of a change of kind spec to in, with what was
// typed (never a password).
func (h *Handlers) changeView(ctx context.Context, in domain.Instance, spec domain.KindSpec, typed domain.Input) (pages.ChangeView, error) {
	v := pages.ChangeView{Now: h.now(), I: in, Spec: spec, Refusal: spec.Refusal(in)}
	holder, err := h.Store.ChangeInProgress(ctx, in.InstanceID)
	if err != nil {
		return v, err
	}
	v.HeldBy = holder
	// A new class is priced with the parameters its submission's estimate
	// uses (the workflow's), so the form and the budget agree.
	var base domain.Params
	if spec.Kind == domain.KindModifySpec {
		if base, err = h.Workflow.ChangeParams(ctx, in); err != nil {
			return v, err
		}
	}
	for _, f := range spec.Fields {
		field := components.Field{Name: f.Name, Label: f.Label, Help: f.Help, Kind: "text", Value: typed[f.Name],
			Required: true, MaxLength: f.MaxLen, Mono: true}
		switch {
		case f.Secret:
			field.Kind, field.Value, field.Autocomplete, field.Mono = "password", "", "new-password", false
		case len(f.Choices) > 0:
			field.Kind, field.Required = "select", false
			for _, ch := range f.Choices {
				field.Options = append(field.Options, components.Option{Value: ch, Label: ch, Selected: typed[f.Name] == ch})
			}
		case f.Name == "SecurityIps":
			field.Kind = "textarea"
			if typed[f.Name] == "" {
				field.Value = in.SecurityIPs
			}
		case f.Name == "InstanceClass":
			// Each class says what it would cost a month: the estimates
			// share one short wait, so a slow cloud costs the form its
			// prices, never its choices.
			pctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
			for _, o := range h.catalog(ctx).OffersFor(in.RegionID, in.ZoneID, in.InstanceType, in.EngineVersion) {
				if o.InstanceClass != in.InstanceClass {
					label := o.InstanceClass + " (" + components.Capacity(o.CapacityMB) + ")"
					if price := h.monthly(pctx, base, o.InstanceClass); price != "" {
						label += " · " + price
					}
					field.Options = append(field.Options, components.Option{Value: o.InstanceClass, Label: label})
				}
			}
			cancel()
		}
		v.Fields = append(v.Fields, field)
	}
	if spec.Kind == domain.KindModifySpec {
		v.CurrentPrice = h.monthly(ctx, base, in.InstanceClass)
		if class := typed["InstanceClass"]; class != "" && class != in.InstanceClass {
			v.NewPrice = h.monthly(ctx, base, class)
		}
	}
	return v, nil
}

// monthly is the monthly estimate of a change's parameters base at class,
// in words; "" when the cloud gives none within a second and a half.
func (h *Handlers) monthly(ctx context.Context, base domain.Params, class string) string {
	if h.Prices == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	p := base
	p.InstanceClass = class
	price, ok := h.Prices.Estimate(ctx, p)
	if !ok {
		return ""
	}
	return components.PriceText(domain.MonthlyPrice(p, price.TradeAmount), price.Currency, p)
}

// changeParams are what a change request's page and the approvals queue
// say of it: the kind, the instance, and each field as current → new (the
// password only as whether it is still kept).
func changeParams(r *domain.Request, now time.Time) []pages.Param {
	spec := r.Kind.Spec()
	c := r.Change
	out := []pages.Param{
		{Name: "Kind", Label: "Change", Value: spec.Label},
		{Name: "InstanceId", Label: "Instance", Value: r.InstanceID, Mono: true},
	}
	switch r.Kind {
	case domain.KindSetWhitelist:
		out = append(out, pages.Param{Name: "SecurityIps", Label: "IP whitelist", Mono: true,
			Value: orNone(c.FromSecurityIps) + " → " + c.SecurityIps, Warn: domain.OpenToAll(c.SecurityIps)})
		if domain.OpenToAll(c.SecurityIps) {
			out = append(out, pages.Param{Name: "OpenToAll", Label: "Warning", Warn: true,
				Value: "this whitelist lets any address connect"})
		}
	case domain.KindModifySpec:
		out = append(out,
			pages.Param{Name: "InstanceClass", Label: "Instance class", Mono: true, Value: c.FromClass + " → " + c.InstanceClass},
			pages.Param{Name: "EffectiveTime", Label: "When", Value: c.EffectiveTime},
			pages.Param{Name: "OrderType", Label: "Order", Value: c.OrderType})
	case domain.KindResetPassword:
		m, _ := domain.ParamByName("Password")
		out = append(out, pages.Param{Name: "Password", Label: "New password", Value: paramText(r, m, now)})
	case domain.KindRelease:
		out = append(out, pages.Param{Name: "ConfirmInstanceId", Label: "Releases", Warn: true,
			Value: r.InstanceID + " and its data, for good"})
	}
	return out
}

// orNone is s, or "none" when empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
