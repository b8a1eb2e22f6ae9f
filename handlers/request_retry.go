package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/pages"
	"github.com/kvportal/kvportal/workflow"
)

// RetryRequest retries a failed request whose password was erased (POST
// /requests/{id}/retry, field Password): workflow.Retry decides who may and
// when (only its requester, with a new password, sealed like a
// submission's; the same token, so never a second instance). A bad
// password: 422 and the page again with the error beside the field.
func (h *Handlers) RetryRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	ids := strconv.FormatInt(r.ID, 10)
	r, errs, err := h.Workflow.Retry(c.Request().Context(), actor(c), r.ID, c.FormValue("Password"))
	var stateErr *domain.StateError
	var flowErr *workflow.Error
	switch {
	case errors.As(err, &flowErr) && flowErr.Kind == workflow.Conflict:
		// An admin's re-queue, whatever password was sent.
		return h.redirectProblem(c, "/requests/"+ids, flowErr.Message)
	case errors.As(err, &stateErr):
		return h.redirectProblem(c, "/requests/"+ids, "Request "+ids+" is "+stateErr.Current.Status.Label()+
			" and cannot be retried with a new password now: nothing was changed.")
	case err != nil:
		return flowError(err)
	case len(errs) > 0:
		v, err := h.showView(c, r)
		if err != nil {
			return err
		}
		v.Retry = &pages.RetryView{Password: retryPasswordField(errs["Password"])}
		return h.render(c, http.StatusUnprocessableEntity, "", pages.RequestShow(v))
	}
	return h.redirect(c, "/requests/"+ids, "Request "+ids+" retried with a new password: the provisioner tries again, with the same token.")
}
