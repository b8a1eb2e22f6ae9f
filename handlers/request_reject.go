package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/pages"
)

// RejectRequest rejects a pending request with a reason
// (POST /requests/{id}/reject, field reason: required, at most
// workflow.ReasonMaxLen characters). Without a valid reason: 422 and the
// request's page with the error beside the field.
func (h *Handlers) RejectRequest(c echo.Context) error {
	id, err := routeID(c)
	if err != nil {
		return err
	}
	raw := c.FormValue("reason")
	r, errs, err := h.Workflow.Reject(c.Request().Context(), actor(c), id, raw)
	ids := strconv.FormatInt(id, 10)
	var stateErr *domain.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirectProblem(c, backTo(c, ids), alreadyDecided(stateErr.Current))
	case err != nil:
		return flowError(err)
	case len(errs) > 0:
		v, err := h.showView(c, r)
		if err != nil {
			return err
		}
		v.Reason = reasonField(strings.ToValidUTF8(raw, "\uFFFD"), errs["reason"])
		return h.render(c, http.StatusUnprocessableEntity, "", pages.RequestShow(v))
	}
	return h.redirect(c, backTo(c, ids), "Request "+ids+" rejected: its requester sees your reason on the request's page.")
}
