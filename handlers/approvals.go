package handlers

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/views/components"
	"github.com/kvportal/kvportal/views/pages"
)

// Approvals is the approver's queue (GET /approvals): pending requests,
// oldest first, ?after= continues after the last row of the previous page.
func (h *Handlers) Approvals(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	rs, waiting, err := h.Store.PendingRequests(ctx, u.ID, cursor(c, "after"), pageSize+1)
	if err != nil {
		return err
	}
	v := pages.ApprovalsView{Now: h.now()}
	if len(rs) > pageSize {
		rs = rs[:pageSize]
		v.NextURL = "/approvals?after=" + strconv.FormatInt(rs[len(rs)-1].ID, 10)
	}
	cat := h.catalog(ctx)
	// Rows mostly ask for the same few classes: each is looked up in the
	// catalog once per page.
	type offerKey struct{ region, zone, typ, version, class string }
	capacity := map[offerKey]string{}
	v.Rows = make([]pages.ApprovalRow, 0, len(rs))
	// Every row's parameters in one array, not one per row.
	params := make([]pages.Param, 0, len(rs)*len(domain.Table))
	for i := range rs {
		r := &rs[i]
		p := &r.Params
		k := offerKey{p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion, p.InstanceClass}
		label, seen := capacity[k]
		if !seen {
			if o, ok := cat.Offer(k.region, k.zone, k.typ, k.version, k.class); ok {
				label = components.Capacity(o.CapacityMB)
			}
			capacity[k] = label
		}
		start := len(params)
		if r.Kind.IsChange() {
			params = append(params, changeParams(r, v.Now)...)
		} else {
			params = approvalParams(params, r, label, v.Now)
		}
		v.Rows = append(v.Rows, pages.ApprovalRow{R: *r, Own: r.RequesterID == u.ID, Params: params[start:len(params):len(params)]})
	}
	h.estimatePrices(ctx, v.Rows)
	return h.renderIn(c, http.StatusOK, h.chrome(c, "approvals", &waiting), pages.Approvals(v))
}

// approvalParams appends to out what a queue's row says of request r: each
// parameter of the table that is set and goes with the others, but the
// secret and the Internal ones, the class with its capacity when known.
func approvalParams(out []pages.Param, r *domain.Request, capacity string, now time.Time) []pages.Param {
	// Read through pointers, without the form values of r (Params.Input):
	// the queue does this for every parameter of every row.
	for _, m := range domain.Table {
		if m.Kind == domain.KindSecret || m.Internal || m.TextOf(&r.Params) == "" || !m.ShownIn(&r.Params) {
			continue
		}
		p := pages.Param{Name: m.Name, Label: m.Label, Value: paramText(r, m, now), Mono: m.Mono}
		if m.Name == "InstanceClass" && capacity != "" {
			p.Value += " (" + capacity + ")"
		}
		out = append(out, p)
	}
	return append(out, afterCreation(r)...)
}

// afterCreation is what a creation asks of the portal once the instance
// exists: its whitelist (in red when open to every address) and its lease.
func afterCreation(r *domain.Request) []pages.Param {
	var out []pages.Param
	if ips := r.Change.SecurityIps; ips != "" {
		out = append(out, pages.Param{Name: domain.SecurityIpsField, Label: "IP whitelist", Value: ips, Mono: true,
			Warn: domain.OpenToAll(ips)})
	}
	if r.ReleaseAfter != nil {
		out = append(out, pages.Param{Name: domain.ReleaseAfterField, Label: "Release after",
			Value: r.ReleaseAfter.UTC().Format(time.RFC3339)})
	}
	return out
}

// currency is the currency of the cloud's prices for p ("" when the cloud
// can't say within a second and a half): a request stores its estimate
// without one.
func (h *Handlers) currency(ctx context.Context, p domain.Params) string {
	if h.Prices == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	if price, ok := h.Prices.Estimate(ctx, p); ok {
		return price.Currency
	}
	return ""
}

// estimatePrices fills each row's price estimate, asking once per distinct
// PriceKey (a page's rows share a few), in parallel, and waiting at most a
// second and a half: a slow cloud costs the page its estimates, never its
// rows.
func (h *Handlers) estimatePrices(ctx context.Context, rows []pages.ApprovalRow) {
	if h.Prices == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	byKey := map[rkvstore.PriceKey][]*pages.ApprovalRow{}
	for i := range rows {
		k := rkvstore.PriceKeyOf(rows[i].R.Params)
		byKey[k] = append(byKey[k], &rows[i])
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, same := range byKey {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := same[0].R.Params
			if price, ok := h.Prices.Estimate(ctx, p); ok {
				text := formatPrice(price, p)
				for _, row := range same {
					row.Price = text
					// The estimate made at submission, which the request's
					// page shows and the team's budget counted, in the
					// cloud's currency.
					if row.R.MonthlyPrice != nil {
						row.Price = components.PriceText(*row.R.MonthlyPrice, price.Currency, p)
					}
				}
			}
		})
	}
	wg.Wait()
}
