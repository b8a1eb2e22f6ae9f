package handlers

import (
	"context"
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// RequeueFunc sends a failed request back to approved with its same token,
// its provisioning job enqueued in the same transaction (the provisioner's
// Requeue).
type RequeueFunc func(ctx context.Context, requestID, adminID int64) (domain.Request, error)

// RequeueRequest re-queues a failed request (POST /requests/{id}/requeue,
// admins): another round of attempts with the same token, so never a second
// instance. A request that is no longer failed is left alone, and the flash
// says so.
func (h *Handlers) RequeueRequest(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(r.ID, 10)
	_, err = h.requeue(c.Request().Context(), r.ID, user(c).ID)
	var stateErr *store.StateError
	switch {
	case errors.As(err, &stateErr):
		return h.redirect(c, "/requests/"+id, "Request "+id+" is "+stateErr.Current.Status.Label()+
			", not failed: nothing was changed.")
	case err != nil:
		return err
	}
	return h.redirect(c, "/requests/"+id, "Request "+id+" re-queued")
}

// requeue is Requeue, or without a provisioner wired the store's own
// re-queue with the same Enqueue hook approvals use.
func (h *Handlers) requeue(ctx context.Context, requestID, adminID int64) (domain.Request, error) {
	if h.Requeue != nil {
		return h.Requeue(ctx, requestID, adminID)
	}
	return h.Store.Requeue(ctx, requestID, adminID, h.Enqueue)
}
