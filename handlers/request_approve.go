package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
)

// ApproveRequest approves a pending request (POST /requests/{id}/approve):
// in one transaction the state, the audit event and the provisioning job.
// One's own request: 403. Decided by someone else first: a 303 whose flash
// says so, and nothing changed.
func (h *Handlers) ApproveRequest(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	_, err = h.Workflow.Approve(c.Request().Context(), actor(c), id)
	ids := strconv.FormatInt(id, 10)
	var stateErr *domain.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirectProblem(c, backTo(c, ids), alreadyDecided(stateErr.Current))
	case err != nil:
		return flowError(err)
	}
	return h.redirect(c, backTo(c, ids), "Request "+ids+" approved: the instance is being created, and its requester can follow it on the request's page.")
}

// backTo is where a decision returns: the queue when it was made there,
// otherwise the request's page.
func backTo(c echo.Context, id string) string {
	if c.FormValue("back") == "approvals" {
		return "/approvals"
	}
	return "/requests/" + id
}
