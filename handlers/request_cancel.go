package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
)

// CancelRequest cancels a pending request (POST /requests/{id}/cancel):
// only its requester may.
func (h *Handlers) CancelRequest(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	_, err = h.Workflow.Cancel(c.Request().Context(), actor(c), id)
	ids := strconv.FormatInt(id, 10)
	var stateErr *domain.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirectProblem(c, "/requests/"+ids, alreadyDecided(stateErr.Current))
	case err != nil:
		return flowError(err)
	}
	return h.redirect(c, "/requests/"+ids, "Request "+ids+" cancelled: nothing will be created. Clone it to ask again.")
}
