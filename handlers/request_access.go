package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
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
	r, err := h.Store.Request(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Request{}, errNotFound
	}
	if err != nil {
		return domain.Request{}, err
	}
	u := user(c)
	if r.RequesterID != u.ID && !u.Role.AtLeast(domain.RoleApprover) {
		return domain.Request{}, errNotFound
	}
	return r, nil
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
func alreadyDecided(r domain.Request) string {
	id := strconv.FormatInt(r.ID, 10)
	by := ""
	if r.DeciderName != "" {
		by = " by " + r.DeciderName
	}
	switch r.Status {
	case domain.StatusRejected:
		return "Request " + id + " was already rejected" + by + ": nothing was changed."
	case domain.StatusCancelled:
		return "Request " + id + " was already cancelled by its requester: nothing was changed."
	case domain.StatusPendingApproval:
		return "Request " + id + " is still pending: nothing was changed."
	}
	return "Request " + id + " was already approved" + by + ": nothing was changed."
}
