package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A request whose client went away gets no page and no error in the log:
// the failure is the client's leaving, not the portal's. The same failure
// with the client still there is logged and answered.
func TestRenderErrorForAClientGone(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	h := &Handlers{Deps: Deps{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/requests", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(req, rec)
	h.RenderError(c, errors.New("pending requests: context canceled"))
	if rec.Body.Len() != 0 || log.Len() != 0 {
		t.Errorf("client gone: answered %q, logged %q", rec.Body.String(), log.String())
	}

	req = httptest.NewRequest(http.MethodHead, "/requests", nil)
	rec = httptest.NewRecorder()
	h.RenderError(echo.New().NewContext(req, rec), errors.New("the database is down"))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(log.String(), "request failed") {
		t.Errorf("client there: answered %d, logged %q", rec.Code, log.String())
	}
}
