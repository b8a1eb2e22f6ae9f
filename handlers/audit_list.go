package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/views/pages"
)

// auditPageSize is the number of events on a page of the audit trail.
const auditPageSize = 50

// Audit shows the audit trail (GET /audit): every event, newest first,
// filtered by the GET parameters, ?before= continuing after the last event
// of the previous page (keyset: the millionth page costs what the first
// does). A bad filter value is shown beside its field, with a 422.
func (h *Handlers) Audit(c echo.Context) error {
	f, fs, err := h.auditFilter(c, true)
	if err != nil {
		return err
	}
	v := pages.AuditView{Now: h.now(),
		Filter: pages.FilterForm{Action: "/audit", Fields: fs.Fields, Errors: fs.Errors, Active: fs.Active()}}
	if !fs.Valid() {
		return h.render(c, http.StatusUnprocessableEntity, "audit", pages.Audit(v))
	}
	f.BeforeID = cursor(c, "before")
	f.Limit = auditPageSize + 1
	events, err := h.Store.ListEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		v.NextURL = fs.URL("/audit", "before", strconv.FormatInt(events[len(events)-1].ID, 10))
	}
	for _, e := range events {
		row := pages.AuditRow{ID: e.ID, Event: eventView(e.Event), InstanceID: e.InstanceID, RegionID: e.RegionID, Team: e.Team}
		if e.Action == domain.ActionRequestSubmitted {
			row.Event.Details = detailWords(e.Details, nil) // the parameters, as submitted
		}
		if e.RequestID != nil {
			row.RequestID = *e.RequestID
		}
		v.Rows = append(v.Rows, row)
	}
	v.ExportURL = fs.URL("/audit/export.csv")
	return h.render(c, http.StatusOK, "audit", pages.Audit(v))
}
