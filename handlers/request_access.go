package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/workflow"
)

// routeID reads the {id} of the route (a request's or a user's); anything
// but a positive number is not found.
func routeID(c echo.Context) (int64, error) { return parseID(c.Param("id")) }

// parseID reads a positive id; anything else is not found.
func parseID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// visibleRequest loads request id if the signed-in user may see it: its
// requester, approvers and admins. Others get not found, as if it did not
// exist.
func (h *Handlers) visibleRequest(c echo.Context, id int64) (domain.Request, error) {
	r, err := h.Workflow.Request(c.Request().Context(), actor(c), id)
	return r, flowError(err)
}

// flowError turns a workflow's refusal into the page's error, in the
// workflow's words; other errors pass unchanged.
func flowError(err error) error {
	var fe *workflow.Error
	if !errors.As(err, &fe) {
		return err
	}
	switch fe.Kind {
	case workflow.NotFound:
		return errNotFound
	case workflow.Forbidden:
		return Errorf(EForbidden, "%s", fe.Message)
	case workflow.OverLimit:
		return Errorf(EInvalid, "%s", fe.Message)
	case workflow.Conflict:
		return Errorf(EConflict, "%s", fe.Message)
	}
	return err
}

// routeRequest is visibleRequest for the {id} of the route.
func (h *Handlers) routeRequest(c echo.Context) (domain.Request, error) {
	id, err := routeID(c)
	if err != nil {
		return domain.Request{}, err
	}
	return h.visibleRequest(c, id)
}

// alreadyDecided says plainly what happened to a request someone else
// moved first.
func alreadyDecided(r domain.Request) string { return domain.AlreadyDecided(r) }
