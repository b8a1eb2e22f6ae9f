package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// CreateRequest submits the form (POST /requests). Invalid: 422 and the
// form again, with every error beside its field and every value kept but the
// password. Valid: the request and its audit event in one transaction, the
// password sealed, then 303 to the request's page. With the estimate
// button, a valid form is shown again with its price instead.
func (h *Handlers) CreateRequest(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return Errorf(EBadRequest, "The form could not be read.")
	}
	in, errs := readInput(form)
	estimate := form.Get("estimate") != "" && h.Pricer != nil
	if len(errs) == 0 && !estimate {
		r, errs, err := h.Workflow.Submit(ctx, actor(c), in)
		if err != nil {
			return flowError(err)
		}
		if len(errs) > 0 {
			return h.refuse(c, in, errs, h.catalog(ctx))
		}
		return h.redirect(c, "/requests/"+strconv.FormatInt(r.ID, 10), submittedFlash(r))
	}
	cat := h.catalog(ctx)
	p, ruleErrs := domain.Validate(in, cat)
	for k, v := range ruleErrs {
		if _, dup := errs[k]; !dup {
			errs[k] = v
		}
	}
	if len(errs) > 0 {
		if estimate && wantsJSON(c) {
			return estimateProblems(c, errs)
		}
		return h.refuse(c, in, errs, cat)
	}
	return h.estimate(c, in, p, cat)
}

// submittedFlash says that request r was submitted, and what happens next:
// an approver decides, or a policy rule approved it at once.
func submittedFlash(r domain.Request) string {
	id := strconv.FormatInt(r.ID, 10)
	if r.Status == domain.StatusPendingApproval {
		return "Request " + id + " submitted: it waits in the approvers' queue, and this page shows their decision."
	}
	if r.DecidedByRule != "" {
		return "Request " + id + " submitted and approved by the rule “" + r.DecidedByRule + "”: this page follows it."
	}
	return "Request " + id + " submitted and " + strings.ToLower(r.Status.Label()) + ": this page follows it."
}

// refuse shows the form again with its errors (422); a refusal of the
// request as a whole (the cloud's, a policy's deny) at the top.
func (h *Handlers) refuse(c echo.Context, in domain.Input, errs domain.FieldErrors, cat *domain.Catalog) error {
	v, err := h.requestForm(c, in, errs, cat)
	if err != nil {
		return err
	}
	v.Problem = errs[""]
	keepPasswordNote(&v, in)
	return h.render(c, http.StatusUnprocessableEntity, "new", pages.RequestForm(v))
}

// estimate shows the price DescribePrice gives: to the form's script as
// JSON (the page stays as it is, password included), or else the form
// again with the price beside the button and everything kept but the
// password, which the page asks to type again.
func (h *Handlers) estimate(c echo.Context, in domain.Input, p domain.Params, cat *domain.Catalog) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	var est priceEstimate
	price, err := h.Pricer.DescribePrice(ctx, p)
	if err != nil {
		h.logger().WarnContext(c.Request().Context(), "price estimate", "err", err)
		est.Problem = "No price estimate: the cloud did not answer. You can still submit the request."
	} else {
		est.Price = formatPrice(price, p)
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, est)
	}
	v, err := h.requestForm(c, in, nil, cat)
	if err != nil {
		return err
	}
	v.Price, v.PriceError = est.Price, est.Problem
	keepPasswordNote(&v, in)
	return h.render(c, http.StatusOK, "new", pages.RequestForm(v))
}

// priceEstimate is the answer to the form's script: the price, or why
// there is none, and the fields to correct first.
type priceEstimate struct {
	Price   string          `json:"price,omitempty"`
	Problem string          `json:"problem,omitempty"`
	Errors  []estimateError `json:"errors,omitempty"`
}

type estimateError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// estimateProblems answers the script's estimate of a form with errors: a
// 422 naming each field to correct, in the order of the form.
func estimateProblems(c echo.Context, errs domain.FieldErrors) error {
	est := priceEstimate{Problem: "No price yet: correct the form first."}
	for _, m := range domain.Table {
		if msg, ok := errs[m.Name]; ok {
			est.Errors = append(est.Errors, estimateError{Field: m.Name, Message: m.Label + " " + msg})
		}
	}
	return c.JSON(http.StatusUnprocessableEntity, est)
}

// wantsJSON reports whether the form's script asked (Accept:
// application/json) rather than the browser itself.
func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// keepPasswordNote asks, beside the password field, for the password again
// when the form is shown back after one was typed: it is never sent back
// to the browser.
func keepPasswordNote(v *pages.RequestFormView, in domain.Input) {
	if f := v.Field("Password"); f != nil && in["Password"] != "" && f.Error == "" {
		f.Note = "Type the password again: it is never sent back to the browser."
	}
}

// formatPrice is the cloud's estimate pr of p in PriceText's words, with
// the list price when a discount lowers it.
func formatPrice(pr rkvstore.Price, p domain.Params) string {
	s := components.PriceText(domain.MonthlyPrice(p, pr.TradeAmount), pr.Currency, p)
	if pr.OriginalPrice > pr.TradeAmount {
		s += "; list price " + domain.Money(domain.MonthlyPrice(p, pr.OriginalPrice)) + " " + pr.Currency + " a month"
	}
	return s
}
