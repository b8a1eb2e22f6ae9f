package components

import (
	"strconv"

	"github.com/kvportal/kvportal/domain"
)

// PriceText says a price estimate the one way every page, the form's
// script and the flash messages do: per month (what a team's budget
// counts), in the cloud's currency when known, with two decimals, and for a
// subscription the total of its period too. A pay-as-you-go price is
// hourly at the cloud: said per month (domain.MonthlyPrice) so that it is
// never rounded twice or compared with a monthly figure in another unit.
func PriceText(monthly float64, currency string, p domain.Params) string {
	unit := ""
	if currency != "" {
		unit = " " + currency
	}
	s := domain.Money(monthly) + unit + " a month"
	if p.ChargeType == domain.ChargePrePaid && p.Period > 0 {
		months := strconv.Itoa(p.Period) + " months"
		if p.Period == 1 {
			months = "1 month"
		}
		return s + " (" + domain.Money(monthly*float64(p.Period)) + unit + " for " + months + ")"
	}
	return s + " (billed by the hour)"
}
