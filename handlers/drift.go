package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/drift"
	"github.com/kvportal/kvportal/views/pages"
)

// driftWords says what each kind of finding means.
var driftWords = map[string]string{
	drift.KindMissing:   "Missing in the cloud",
	drift.KindUnknown:   "Unknown to the portal (carries its tags)",
	drift.KindFailed:    "A request that failed although an instance tagged with its number exists (the request now succeeded with it)",
	drift.KindClass:     "Another class than the portal last set",
	drift.KindWhitelist: "Another whitelist (group kvportal) than the portal last set",
	drift.KindName:      "Another name",
	drift.KindStatus:    "Another status",
}

// Drift shows the last drift check's findings (GET /admin/drift, admins).
func (h *Handlers) Drift(c echo.Context) error {
	last, err := h.Store.LastDrift(c.Request().Context())
	if err != nil {
		return err
	}
	v := pages.DriftView{Now: h.now(), CheckedAt: last.CheckedAt, Problems: last.Problems, CanCheck: h.DriftCloud != nil}
	for _, f := range last.Findings {
		v.Rows = append(v.Rows, pages.DriftRow{InstanceID: f.InstanceID, Kind: f.Kind, What: driftWords[f.Kind],
			Portal: f.Portal, Cloud: f.Cloud, RegionID: f.RegionID, RequestID: f.RequestID, FirstSeen: f.FirstSeen})
	}
	return h.render(c, http.StatusOK, "drift", pages.Drift(v))
}

// checkNowTimeout bounds a check an admin asked for from the page.
const checkNowTimeout = 60 * time.Second

// CheckDrift runs a drift check now and records it (POST
// /admin/drift/check, admins), then shows the page again.
func (h *Handlers) CheckDrift(c echo.Context) error {
	if h.DriftCloud == nil {
		return Errorf(ENotFound, "No cloud to compare with.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), checkNowTimeout)
	defer cancel()
	rep, fresh, err := drift.Run(ctx, h.Store, h.DriftCloud)
	if err != nil {
		return err
	}
	flash := "Drift checked: " + domain.Count(strconv.Itoa(len(rep.Findings)), "finding") + ", " + strconv.Itoa(len(fresh)) + " new"
	if len(rep.Problems) > 0 {
		flash += "; some regions could not be checked"
	}
	return h.redirect(c, "/admin/drift", flash)
}
