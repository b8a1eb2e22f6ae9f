package domain

import (
	"strconv"
	"testing"
)

// A period is said one way wherever it is shown, singular for one month;
// the rules list the periods offered as PeriodChoices has them.
func TestPeriodWords(t *testing.T) {
	t.Parallel()
	for months, want := range map[int]string{0: "", -3: "", 1: "1 month", 2: "2 months", 12: "12 months", 36: "36 months", 10: "10 months", 48: "48 months"} {
		if got := PeriodText(months); got != want {
			t.Errorf("PeriodText(%d) = %q, want %q", months, got, want)
		}
	}
	if periodList != "1–9, 12, 24 or 36" {
		t.Errorf("periodList = %q", periodList)
	}
	period, ok := ParamByName("Period")
	if !ok {
		t.Fatal("no Period in the table")
	}
	for _, c := range period.Choices[1:] {
		months, err := strconv.Atoi(c.Value)
		if err != nil {
			t.Fatal(err)
		}
		p := Params{ChargeType: ChargePrePaid, Period: months}
		if got := period.Words(&p); got != c.Label {
			t.Errorf("Period %s: Words %q, choice label %q", c.Value, got, c.Label)
		}
	}
	for _, c := range []struct {
		p    Params
		want int
	}{
		{Params{ChargeType: ChargePrePaid, Period: 3}, 3},
		{Params{ChargeType: ChargePostPaid, Period: 3}, 0},
		{Params{ChargeType: ChargePrePaid}, 0},
	} {
		if got := c.p.PrePaidMonths(); got != c.want {
			t.Errorf("%+v: PrePaidMonths %d, want %d", c.p, got, c.want)
		}
	}
	name, _ := ParamByName("InstanceName")
	if got := name.Words(&Params{InstanceName: "orders"}); got != "orders" {
		t.Errorf("a parameter without words: %q", got)
	}
}
