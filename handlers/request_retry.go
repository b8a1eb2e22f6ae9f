package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
	"github.com/kvportal/kvportal/workflow"
)

// RetryRequest retries a failed request whose password was erased (POST
// /requests/{id}/retry, field Password): only its requester may, with a new
// password, sealed like a submission's; the same token, so never a second
// instance. A bad password: 422 and the page again with the error beside
// the field.
func (h *Handlers) RetryRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	if r.RequesterID != user(c).ID {
		return Errorf(EForbidden, "%s", workflow.ErrNotRetrier.Message)
	}
	id := strconv.FormatInt(r.ID, 10)
	if r.Status != domain.StatusFailed || !passwordErased(r, h.now()) {
		return h.redirectProblem(c, "/requests/"+id, "Request "+id+" cannot be retried with a new password now: nothing was changed.")
	}
	_, errs, err := h.Workflow.Retry(c.Request().Context(), actor(c), r.ID, c.FormValue("Password"))
	var stateErr *store.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirectProblem(c, "/requests/"+id, "Request "+id+" is "+stateErr.Current.Status.Label()+
			" and cannot be retried with a new password now: nothing was changed.")
	case err != nil:
		return err
	case len(errs) > 0:
		v, err := h.showView(c, r)
		if err != nil {
			return err
		}
		v.Retry = &pages.RetryView{Password: retryPasswordField(errs["Password"])}
		return h.render(c, http.StatusUnprocessableEntity, "", pages.RequestShow(v))
	}
	return h.redirect(c, "/requests/"+id, "Request "+id+" retried with a new password: the provisioner tries again, with the same token.")
}
