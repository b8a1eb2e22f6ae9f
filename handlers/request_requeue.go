package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
)

// RequeueRequest re-queues a failed request (POST /requests/{id}/requeue,
// admins): another round of attempts with the same token, so never a second
// instance. A request that is no longer failed is left alone, and the flash
// says so.
func (h *Handlers) RequeueRequest(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	_, err = h.Workflow.Requeue(c.Request().Context(), actor(c), id)
	ids := strconv.FormatInt(id, 10)
	var stateErr *domain.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirectProblem(c, "/requests/"+ids, "Request "+ids+" is "+stateErr.Current.Status.Label()+
			", not failed: nothing was changed.")
	case err != nil:
		return flowError(err)
	}
	return h.redirect(c, "/requests/"+ids, "Request "+ids+" re-queued: the provisioner tries again, with the same token.")
}
