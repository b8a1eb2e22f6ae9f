package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// pageSize is the rows of one page of a request list (history, approvals,
// all requests).
const pageSize = 50

// ListRequests shows the user's own requests, newest first (GET /requests),
// ?status= filters (an unknown status is ignored), ?before= continues after
// the last row of the previous page.
func (h *Handlers) ListRequests(c echo.Context) error {
	status := domain.Status(c.QueryParam("status"))
	if !status.Valid() {
		status = ""
	}
	rs, err := h.Store.ListRequests(c.Request().Context(), store.RequestFilter{
		RequesterID: user(c).ID, Status: status, BeforeID: cursor(c, "before"), Limit: pageSize + 1, ForTable: true})
	if err != nil {
		return err
	}
	v := pages.RequestListView{Title: "My requests", Now: h.now(), Filtered: status != ""}
	if len(rs) > pageSize {
		rs = rs[:pageSize]
		q := url.Values{"before": {strconv.FormatInt(rs[len(rs)-1].ID, 10)}}
		if status != "" {
			q.Set("status", string(status))
		}
		v.NextURL = "/requests?" + q.Encode()
	}
	v.Requests = rs
	v.StatusOptions = append(v.StatusOptions, components.Option{Value: "", Label: "All", Selected: status == ""})
	for _, s := range domain.Statuses() {
		v.StatusOptions = append(v.StatusOptions, components.Option{Value: string(s), Label: s.Label(), Selected: s == status})
	}
	return h.render(c, http.StatusOK, "requests", pages.RequestList(v))
}
