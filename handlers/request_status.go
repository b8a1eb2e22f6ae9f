package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/views/components"
)

// requestStatus is what the request page's script polls.
type requestStatus struct {
	ID             int64  `json:"id"`
	Status         string `json:"status"`
	Label          string `json:"label"`
	InstanceStatus string `json:"instance_status"`
	// Address is where to connect, ConnectionDomain:Port ("" until known).
	Address string `json:"address"`
	Moving  bool   `json:"moving"`
}

// RequestStatus answers a request's status as JSON
// (GET /requests/{id}/status.json), for the page to refresh itself.
func (h *Handlers) RequestStatus(c echo.Context) error {
	r, err := h.routeRequest(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, requestStatus{ID: r.ID, Status: string(r.Status), Label: components.RequestLabel(r),
		InstanceStatus: r.InstanceStatus, Address: r.Address(), Moving: moving(r)})
}
