package handlers

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/clientgone"
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
// team and kind (the request's kind) are last, added after the others: a
// reader of the older columns by position finds them where they were.
var exportHeader = []string{"id", "at", "actor", "action", "request_id", "instance_id", "region_id", "details", "team", "kind"}

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
	bw := bufio.NewWriterSize(res, exportBuffer)
	var line []byte
	for i, h := range exportHeader {
		line = appendCSVCell(line, i, h)
	}
	if _, err := bw.Write(append(line, '\n')); err != nil {
		return nil // the client went away
	}
	n := 0
	err = h.Store.EachEvent(c.Request().Context(), f, func(e *store.EventRow) error {
		line = appendExportRow(line[:0], e)
		if _, err := bw.Write(line); err != nil {
			return err
		}
		if n++; n%exportFlushEvery == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			res.Flush()
			extend()
		}
		return nil
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		// The status is sent: the export ends short, and the log says why.
		// A reader who stops reading is no fault of the portal's.
		ctx, id := c.Request().Context(), res.Header().Get(echo.HeaderXRequestID)
		if clientgone.Is(ctx) {
			h.logger().InfoContext(ctx, "audit export stopped: the client went away", "request_id", id, "rows", n)
		} else {
			h.logger().ErrorContext(ctx, "audit export cut short", "request_id", id, "rows", n, "err", err)
		}
	}
	return nil
}

// appendExportRow appends event e as one CSV line, the columns of
// exportHeader, to dst. It allocates nothing for an event whose details
// name no secret: the export's memory stays flat over the whole trail.
func appendExportRow(dst []byte, e *store.EventRow) []byte {
	var num [32]byte
	dst = appendCSVCell(dst, 0, strconv.AppendInt(num[:0], e.ID, 10))
	dst = appendCSVCell(dst, 1, e.At.UTC().AppendFormat(num[:0], time.RFC3339))
	if e.HasActor {
		dst = appendCSVCell(dst, 2, e.ActorName)
	} else {
		dst = appendCSVCell(dst, 2, exportNoActor(string(e.Action)))
	}
	dst = appendCSVCell(dst, 3, e.Action)
	var id []byte
	if e.HasRequest {
		id = strconv.AppendInt(num[:0], e.RequestID, 10)
	}
	dst = appendCSVCell(dst, 4, id)
	dst = appendCSVCell(dst, 5, e.InstanceID)
	dst = appendCSVCell(dst, 6, e.RegionID)
	dst = appendCSVCell(dst, 7, exportDetails(e.DetailsJSON))
	dst = appendCSVCell(dst, 8, e.Team)
	dst = appendCSVCell(dst, 9, e.Kind)
	return append(dst, '\n')
}

// exportDetails is the details as JSON, with any key naming a secret
// redacted. Most events name none: their stored JSON is written as it is,
// and only one that mentions a secret word is decoded and redacted.
func exportDetails(raw []byte) []byte {
	if len(raw) == 0 {
		return emptyDetails
	}
	if !mentionsSecret(raw) {
		return raw
	}
	var d domain.Details
	if err := json.Unmarshal(raw, &d); err != nil {
		return emptyDetails
	}
	out, err := json.Marshal(safeDetails(d))
	if err != nil {
		return emptyDetails
	}
	return out
}

// emptyDetails is the details cell of an event without any (never written to).
var emptyDetails = []byte("{}")

// appendCSVCell appends cell, the column'th of its line, to dst as
// encoding/csv writes a field (quoted when it holds a comma, a quote or a line
// break, or begins with a space), after the comma before it. A cell that a
// spreadsheet would evaluate as a formula (one beginning with =, +, -, @, a
// tab or a carriage return) is neutralised with a leading apostrophe.
func appendCSVCell[T ~string | ~[]byte](dst []byte, column int, cell T) []byte {
	if column > 0 {
		dst = append(dst, ',')
	}
	formula := len(cell) > 0 && strings.IndexByte("=+-@\t\r", cell[0]) >= 0
	quote := false
	for i := 0; i < len(cell) && !quote; i++ {
		switch cell[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !formula && len(cell) > 0 && !quote {
		// As encoding/csv: a field that is exactly \. or begins with a
		// space is quoted too.
		r, _ := utf8.DecodeRuneInString(string(cell[:min(len(cell), utf8.UTFMax)]))
		quote = unicode.IsSpace(r) || (len(cell) == 2 && cell[0] == '\\' && cell[1] == '.')
	}
	if quote {
		dst = append(dst, '"')
	}
	if formula {
		dst = append(dst, '\'')
	}
	if !quote {
		return append(dst, cell...)
	}
	for i := 0; i < len(cell); i++ {
		if cell[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, cell[i])
	}
	return append(dst, '"')
}
