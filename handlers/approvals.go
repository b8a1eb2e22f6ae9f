package handlers

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// Approvals is the approver's queue (GET /approvals): pending requests,
// oldest first, ?after= continues after the last row of the previous page.
func (h *Handlers) Approvals(c echo.Context) error {
	ctx := c.Request().Context()
	rs, err := h.Store.PendingRequests(ctx, cursor(c, "after"), pageSize+1)
	if err != nil {
		return err
	}
	v := pages.ApprovalsView{Now: h.now()}
	if len(rs) > pageSize {
		rs = rs[:pageSize]
		v.NextURL = "/approvals?after=" + strconv.FormatInt(rs[len(rs)-1].ID, 10)
	}
	cat := h.catalog(ctx)
	u := user(c)
	for _, r := range rs {
		row := pages.ApprovalRow{R: r, Own: r.RequesterID == u.ID}
		p := r.Params
		if o, ok := cat.Offer(p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion, p.InstanceClass); ok {
			row.Capacity = components.Capacity(o.CapacityMB)
		}
		row.Reason = reasonField("", "")
		row.Reason.IDBase = "reason-" + strconv.FormatInt(r.ID, 10)
		row.Reason.Help = ""
		v.Rows = append(v.Rows, row)
	}
	h.estimatePrices(ctx, v.Rows)
	return h.render(c, http.StatusOK, "approvals", pages.Approvals(v))
}

// estimatePrices fills each row's price estimate, asking for the rows in
// parallel and waiting at most a second and a half: a slow cloud costs the
// page its estimates, never its rows.
func (h *Handlers) estimatePrices(ctx context.Context, rows []pages.ApprovalRow) {
	if h.Prices == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range rows {
		wg.Add(1)
		go func(row *pages.ApprovalRow) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if price, ok := h.Prices.Estimate(ctx, row.R.Params); ok {
				row.Price = formatPrice(price, row.R.Params)
			}
		}(&rows[i])
	}
	wg.Wait()
}
