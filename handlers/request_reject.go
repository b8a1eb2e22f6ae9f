package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/pages"
)

// RejectRequest rejects a pending request with a reason
// (POST /requests/{id}/reject, field reason: required, at most 1000
// characters). Without a valid reason: 422 and the request's page with the
// error beside the field.
func (h *Handlers) RejectRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	u := user(c)
	if r.RequesterID == u.ID {
		return Errorf(EForbidden, msgOwnRequest)
	}
	id := strconv.FormatInt(r.ID, 10)
	raw := c.FormValue("reason")
	reason := strings.TrimSpace(raw)
	if problem := reasonProblem(reason); problem != "" {
		if r.Status != domain.StatusPendingApproval {
			return h.redirect(c, backTo(c, id), alreadyDecided(r))
		}
		v, err := h.showView(c, r)
		if err != nil {
			return err
		}
		v.Reason = reasonField(strings.ToValidUTF8(raw, "\uFFFD"), problem)
		return h.render(c, http.StatusUnprocessableEntity, "", pages.RequestShow(v))
	}
	_, err = h.Store.Reject(c.Request().Context(), r.ID, u.ID, reason)
	var stateErr *store.StateError
	switch {
	case errors.Is(err, store.ErrOwnRequest):
		return Errorf(EForbidden, msgOwnRequest)
	case errors.As(err, &stateErr):
		return h.redirect(c, backTo(c, id), alreadyDecided(stateErr.Current))
	case err != nil:
		return err
	}
	return h.redirect(c, backTo(c, id), "Request "+id+" rejected")
}

// reasonProblem says what is wrong with a rejection reason, "" if nothing.
func reasonProblem(reason string) string {
	switch {
	case reason == "":
		return "is required: tell the requester why"
	case !utf8.ValidString(reason):
		return "must be valid UTF-8 text"
	case utf8.RuneCountInString(reason) > reasonMaxLen:
		return "must be at most 1000 characters long"
	case strings.IndexFunc(reason, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') || unicode.Is(unicode.Cf, r)
	}) >= 0:
		return "must not contain control characters"
	}
	return ""
}
