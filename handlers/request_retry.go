package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
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
	u := user(c)
	if r.RequesterID != u.ID {
		return Errorf(EForbidden, "Only its requester can retry a request with a new password.")
	}
	id := strconv.FormatInt(r.ID, 10)
	if r.Status != domain.StatusFailed || !passwordErased(r, h.now()) {
		return h.redirectProblem(c, "/requests/"+id, "Request "+id+" cannot be retried with a new password now: nothing was changed.")
	}
	password := c.FormValue("Password")
	if problem := domain.NewPasswordProblem(password); problem != "" {
		v, err := h.showView(c, r)
		if err != nil {
			return err
		}
		v.Retry = &pages.RetryView{Password: retryPasswordField(problem)}
		return h.render(c, http.StatusUnprocessableEntity, "", pages.RequestShow(v))
	}
	_, err = h.Workflow.Retry(c.Request().Context(), actor(c), r, password)
	var stateErr *store.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirectProblem(c, "/requests/"+id, "Request "+id+" is "+stateErr.Current.Status.Label()+
			" and cannot be retried with a new password now: nothing was changed.")
	case err != nil:
		return err
	}
	return h.redirect(c, "/requests/"+id, "Request "+id+" retried with a new password: the provisioner tries again, with the same token.")
}
