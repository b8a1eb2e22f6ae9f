package handlers

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/store"
)

// exportFlushEvery is how many rows the export writes between flushes, and
// exportBuffer the size of its writes.
const (
	exportFlushEvery = 500
	exportBuffer     = 64 << 10
	// exportWriteWindow is how long a flush may wait for the client. The
	// server's write timeout bounds a whole response, which a large audit
	// trail outlasts: the export moves its deadline on at each flush
	// instead, so that it ends when the client stops reading, not when a
	// clock set for ordinary pages runs out.
	exportWriteWindow = time.Minute
)

// exportHeader is the CSV export's header row.
// team is last, added after the others: a reader of the older columns by
// position finds them where they were.
var exportHeader = []string{"id", "at", "actor", "action", "request_id", "instance_id", "region_id", "details", "team"}

// ExportAudit streams the audit trail as CSV (GET /audit/export.csv), with
// the filters of GET /audit: one row per event, newest first, written as
// the database returns them (constant memory, whatever the size). Every
// cell a spreadsheet would take for a formula is neutralised.
func (h *Handlers) ExportAudit(c echo.Context) error {
	f, fs, err := h.auditFilter(c, false)
	if err != nil {
		return err
	}
	if !fs.Valid() {
		e := fs.Errors[0]
		return Errorf(EInvalid, "The filter is not valid: %s %s.", e.Label, e.Message)
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition,
		`attachment; filename="kvportal-audit-`+h.now().UTC().Format("2006-01-02")+`.csv"`)
	res.Header().Set("Cache-Control", "no-store")
	rc := http.NewResponseController(res)
	extend := func() {
		// A writer without deadlines (a test recorder) has nothing to move.
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
	}
	extend()
	res.WriteHeader(http.StatusOK)

	// 64 KiB writes rather than csv's own 4 KiB: a tenth of the write
	// system calls, which an export of a million rows feels.
	w := csv.NewWriter(bufio.NewWriterSize(res, exportBuffer))
	if err := w.Write(exportHeader); err != nil {
		return nil // the client went away
	}
	n := 0
	err = h.Store.EachEvent(c.Request().Context(), f, func(e store.AuditEvent) error {
		if err := w.Write(exportRow(e)); err != nil {
			return err
		}
		if n++; n%exportFlushEvery == 0 {
			w.Flush()
			res.Flush()
			extend()
			return w.Error()
		}
		return nil
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		// The status is sent: the export ends short, and the log says why.
		h.logger().Error("audit export cut short", "request_id", res.Header().Get(echo.HeaderXRequestID),
			"rows", n, "err", err)
	}
	return nil
}

// exportRow is one event as CSV cells.
func exportRow(e store.AuditEvent) []string {
	requestID := ""
	if e.RequestID != nil {
		requestID = strconv.FormatInt(*e.RequestID, 10)
	}
	row := []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), exportActor(e.Event), e.Action,
		requestID, e.InstanceID, e.RegionID, exportDetails(e.DetailsJSON), e.Team}
	for i := range row {
		row[i] = csvCell(row[i])
	}
	return row
}

// exportDetails is the details as JSON, with any key naming a secret
// redacted. Most events name none: their stored JSON is written as it is,
// and only one that mentions a secret word is decoded and redacted.
func exportDetails(raw []byte) string {
	if len(raw) == 0 {
		return "{}"
	}
	if !mentionsSecret(raw) {
		return string(raw)
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		return "{}"
	}
	out, err := json.Marshal(safeDetails(d))
	if err != nil {
		return "{}"
	}
	return string(out)
}

// csvCell neutralises a cell that a spreadsheet would evaluate as a
// formula (one beginning with =, +, -, @, a tab or a carriage return) with
// a leading apostrophe; csv.Writer does the quoting.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
