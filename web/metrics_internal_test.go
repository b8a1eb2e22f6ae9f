package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// A request that failed because its client went away counts as 499, not
// as the portal's 500; the same failure with the client there is a 500.
func TestClientGoneCountsAs499(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	e := echo.New()
	e.Use(httpMetrics(reg))
	e.GET("/requests", func(echo.Context) error { return errors.New("list requests: context canceled") })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/requests", nil).WithContext(ctx))
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/requests", nil))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "kvportal_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "code" {
					got[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	if got["499"] != 1 || got["500"] != 1 || len(got) != 2 {
		t.Errorf("counted by code: %v, want one 499 and one 500", got)
	}
}
