package web_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/web"
)

// failing is a collector whose source does not answer.
type failing struct{ desc *prometheus.Desc }

func (f failing) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }
func (f failing) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(f.desc, errors.New("provisioning stats: timeout"))
}

// One collector failing loses its own metrics, not the whole page.
func TestMetricsSurviveAFailingCollector(t *testing.T) {
	t.Parallel()
	reg := web.NewRegistry()
	reg.MustRegister(failing{prometheus.NewDesc("kvportal_requests", "Requests by status.", []string{"status"}, nil)})
	srv := httptest.NewServer(web.MetricsHandler(reg, nil))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("the runtime's metrics are missing:\n%s", body)
	}
	if strings.Contains(string(body), "kvportal_requests{") {
		t.Errorf("the failed collector's metric was served:\n%s", body)
	}
}
