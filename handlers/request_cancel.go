package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/store"
)

// CancelRequest cancels a pending request (POST /requests/{id}/cancel):
// only its requester may.
func (h *Handlers) CancelRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	u := user(c)
	if r.RequesterID != u.ID {
		return Errorf(EForbidden, "Only its requester can cancel a request.")
	}
	id := strconv.FormatInt(r.ID, 10)
	_, err = h.Store.Cancel(c.Request().Context(), r.ID, u.ID)
	var stateErr *store.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirect(c, "/requests/"+id, alreadyDecided(stateErr.Current))
	case err != nil:
		return err
	}
	return h.redirect(c, "/requests/"+id, "Request "+id+" cancelled")
}
