package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/store"
)

const msgOwnRequest = "Nobody may decide their own request: another approver has to (four-eyes rule). Nothing was changed."

// ApproveRequest approves a pending request (POST /requests/{id}/approve):
// in one transaction the state, the audit event and the provisioning job.
// One's own request: 403. Decided by someone else first: a 303 whose flash
// says so, and nothing changed.
func (h *Handlers) ApproveRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	u := user(c)
	if r.RequesterID == u.ID {
		return Errorf(EForbidden, msgOwnRequest)
	}
	id := strconv.FormatInt(r.ID, 10)
	_, err = h.Store.Approve(c.Request().Context(), r.ID, u.ID, h.Enqueue)
	var stateErr *store.StateError
	switch {
	case errors.Is(err, store.ErrOwnRequest):
		return Errorf(EForbidden, msgOwnRequest)
	case errors.As(err, &stateErr):
		return h.redirect(c, backTo(c, id), alreadyDecided(stateErr.Current))
	case err != nil:
		return err
	}
	return h.redirect(c, backTo(c, id), "Request "+id+" approved")
}

// backTo is where a decision returns: the queue when it was made there,
// otherwise the request's page.
func backTo(c echo.Context, id string) string {
	if c.FormValue("back") == "approvals" {
		return "/approvals"
	}
	return "/requests/" + id
}
