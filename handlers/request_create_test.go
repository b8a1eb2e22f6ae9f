package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
)

type fakePricer struct {
	price rkvstore.Price
	err   error
}

func (f fakePricer) DescribePrice(context.Context, domain.Params) (rkvstore.Price, error) {
	return f.price, f.err
}

// The estimate button shows the form again with the price, or why there is
// none, and asks for the password again (never sent back) in both cases.
func TestEstimateShowsPriceAndPasswordNote(t *testing.T) {
	t.Parallel()
	const password = "S3cret-Passw0rd"
	in := domain.Input{"InstanceType": domain.TypeRedis, "ChargeType": domain.ChargePostPaid, "Password": password}
	p := domain.Params{InstanceType: domain.TypeRedis, ChargeType: domain.ChargePostPaid}
	for name, tc := range map[string]struct {
		pricer fakePricer
		want   []string
	}{
		"priced": {fakePricer{price: rkvstore.Price{TradeAmount: 1.5, Currency: "CNY"}},
			[]string{"Estimated price:", "1095.00 CNY a month (billed by the hour)", "Type the password again"}},
		"cloud down": {fakePricer{err: errors.New("timeout")},
			[]string{"No price estimate: the cloud did not answer.", "Type the password again"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &Handlers{Deps: Deps{Pricer: tc.pricer, Logger: slog.New(slog.DiscardHandler)}}
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/requests", nil), rec)
			if err := h.estimate(c, in, p, nil); err != nil {
				t.Fatal(err)
			}
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Errorf("status %d", rec.Code)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, password) {
				t.Error("the password was sent back")
			}
		})
	}
}
