package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/preflight"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
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
	cat := h.catalog(ctx)
	p, ruleErrs := domain.Validate(in, cat)
	for k, v := range ruleErrs {
		if _, dup := errs[k]; !dup {
			errs[k] = v
		}
	}
	if len(errs) > 0 {
		return h.render(c, http.StatusUnprocessableEntity, "new", pages.RequestForm(h.formView(in, errs, cat)))
	}
	if form.Get("estimate") != "" && h.Pricer != nil {
		return h.estimate(c, in, p, cat)
	}

	if p.Token == "" {
		p.Token = domain.NewToken()
	}
	pre := h.preflight(ctx, user(c).ID, p)
	if pre.Refused() {
		v := h.formView(in, domain.FieldErrors{pre.Field: pre.Message}, cat)
		if pre.Field == "" {
			v.Problem = pre.Message
		}
		return h.render(c, http.StatusUnprocessableEntity, "new", pages.RequestForm(v))
	}
	var sealed []byte
	if p.Password != "" {
		sealed, err = h.Sealer.Seal([]byte(p.Password), []byte(p.Token))
		if err != nil {
			return fmt.Errorf("seal password: %w", err)
		}
	}
	p.Password = ""
	r, err := h.Store.CreateRequest(ctx, store.NewRequest{RequesterID: user(c).ID, Params: p, PasswordSealed: sealed,
		Preflight: pre.Outcome})
	if errors.Is(err, store.ErrDuplicate) {
		errs = domain.FieldErrors{"Token": "is already used by another request: leave it empty to have one generated"}
		return h.render(c, http.StatusUnprocessableEntity, "new", pages.RequestForm(h.formView(in, errs, cat)))
	}
	if err != nil {
		return err
	}
	id := strconv.FormatInt(r.ID, 10)
	return h.redirect(c, "/requests/"+id, "Request "+id+" submitted")
}

// preflight asks the cloud whether it would accept the request (a dry run,
// at most preflight.Timeout), after the form's own rules; a cloud that
// cannot be asked lets the submission through, and the request says so.
func (h *Handlers) preflight(ctx context.Context, requesterID int64, p domain.Params) preflight.Result {
	res := preflight.Check(ctx, h.Preflight, p, domain.TeamTag(domain.Request{RequesterID: requesterID, Params: p}))
	switch {
	case res.Outcome == domain.PreflightSkipped:
		h.logger().Warn("pre-flight skipped: the cloud could not be asked", "code", res.Code)
	case res.Refused():
		h.logger().Info("pre-flight refused a submission", "code", res.Code, "field", res.Field)
	}
	return res
}

// estimate shows the form again with the price DescribePrice gives.
func (h *Handlers) estimate(c echo.Context, in domain.Input, p domain.Params, cat *domain.Catalog) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	v := h.formView(in, nil, cat)
	price, err := h.Pricer.DescribePrice(ctx, p)
	if err != nil {
		h.logger().Warn("price estimate", "err", err)
		v.PriceError = "No price estimate: the cloud did not answer. You can still submit the request."
	} else {
		v.Price = formatPrice(price, p)
	}
	if in["Password"] != "" {
		v.PriceError = joinSentences(v.PriceError, "Type the password again: it is never sent back to the browser.")
	}
	return h.render(c, http.StatusOK, "new", pages.RequestForm(v))
}

func formatPrice(pr rkvstore.Price, p domain.Params) string {
	per := "per hour"
	if p.ChargeType == domain.ChargePrePaid {
		per = fmt.Sprintf("for %d months", p.Period)
	}
	s := fmt.Sprintf("%.2f %s %s", pr.TradeAmount, pr.Currency, per)
	if pr.OriginalPrice > pr.TradeAmount {
		s += fmt.Sprintf(" (list price %.2f)", pr.OriginalPrice)
	}
	return s
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}
