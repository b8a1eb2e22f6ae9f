package simulator

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/kvportal/kvportal/domain"
)

// The simulated price list, in US dollars: a month of one GB, by instance
// type. PostPaid costs 30% more, by the hour; PrePaid is discounted for a
// year or more.
const (
	currency               = "USD"
	redisMonthlyPerGB      = 15.0
	memcacheMonthlyPerGB   = 12.0
	postPaidSurcharge      = 1.3
	hoursPerMonth          = 730.0
	defaultPrePaidPeriod   = 1
	priceOrderTypeBuy      = "BUY"
	priceMaxQuantity       = 30
	priceRoundingDecimals  = 2
	hourlyRoundingDecimals = 4
)

// prePaidDiscount returns the share off a PrePaid purchase of period months.
func prePaidDiscount(period int) float64 {
	switch {
	case period >= 36:
		return 0.5
	case period >= 24:
		return 0.3
	case period >= 12:
		return 0.15
	}
	return 0
}

// priceResponse is DescribePrice's answer, in the API's shape.
type priceResponse struct {
	RequestId   string
	OrderParams string
	Order       struct {
		Currency       string
		OriginalAmount string
		DiscountAmount string
		TradeAmount    string
	}
	SubOrders struct{ SubOrder []struct{} }
	Rules     struct{ Rule []struct{} }
}

// describePrice serves DescribePrice for OrderType BUY: a deterministic price
// from the class's capacity, the charge type and the period. As in the real
// API, ChargeType defaults to PrePaid and Period to 1.
func (s *Simulator) describePrice(w http.ResponseWriter, c *call) *apiError {
	r, e := s.requireRegion(c)
	if e != nil {
		return e
	}
	switch c.param("OrderType") {
	case "":
		return errMissing("OrderType")
	case priceOrderTypeBuy:
	default:
		return errInvalid("OrderType", "only BUY is simulated")
	}
	name := c.param("InstanceClass")
	if name == "" {
		return errMissing("InstanceClass")
	}
	cl, ok := findClass(name)
	if !ok || !slices.ContainsFunc(s.catalog.OffersFor(r.id, c.param("ZoneId"), "", ""), func(o domain.Offer) bool { return o.InstanceClass == name }) {
		return errInvalid("InstanceClass", "not sold in this region or zone")
	}
	quantity, e := intParam(c, "Quantity", 1)
	if e != nil {
		return e
	}
	if quantity < 1 || quantity > priceMaxQuantity {
		return errInvalid("Quantity", fmt.Sprintf("must be 1 to %d", priceMaxQuantity))
	}

	monthly := redisMonthlyPerGB
	if cl.instanceType == domain.TypeMemcache {
		monthly = memcacheMonthlyPerGB
	}
	monthly *= float64(cl.capacityMB) / 1024 * float64(quantity)

	var original, trade float64
	decimals := priceRoundingDecimals
	switch chargeType := c.param("ChargeType"); chargeType {
	case "", domain.ChargePrePaid:
		period, e := intParam(c, "Period", defaultPrePaidPeriod)
		if e != nil {
			return e
		}
		if !slices.Contains(domain.PeriodChoices(), period) {
			return errInvalid("Period", "must be 1 to 9, 12, 24 or 36 months")
		}
		original = monthly * float64(period)
		trade = original * (1 - prePaidDiscount(period))
	case domain.ChargePostPaid:
		original = monthly * postPaidSurcharge / hoursPerMonth
		trade = original
		decimals = hourlyRoundingDecimals
	default:
		return errInvalid("ChargeType", "must be PrePaid or PostPaid")
	}

	resp := priceResponse{RequestId: c.requestID}
	resp.Order.Currency = currency
	resp.Order.OriginalAmount = money(original, decimals)
	resp.Order.TradeAmount = money(trade, decimals)
	resp.Order.DiscountAmount = money(original-trade, decimals)
	writeJSON(w, http.StatusOK, c.requestID, resp)
	return nil
}

// intParam parses an integer parameter, def when absent.
func intParam(c *call, name string, def int) (int, *apiError) {
	v := c.param(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errInvalid(name, "must be a whole number")
	}
	return n, nil
}

// money formats an amount rounded to decimals.
func money(x float64, decimals int) string {
	scale := math.Pow(10, float64(decimals))
	return strconv.FormatFloat(math.Round(x*scale)/scale, 'f', decimals, 64)
}
