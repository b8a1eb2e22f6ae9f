package domain_test

import (
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// TextOf and ShownIn read Params through a pointer; they must answer as
// the form values do (Text, ShownWith over Params.Input).
func TestTextOfAndShownInAsFormValues(t *testing.T) {
	for _, p := range []domain.Params{
		{},
		{NetworkType: domain.NetworkVPC, VpcId: "vpc-1", VSwitchId: "vsw-1", ChargeType: domain.ChargePostPaid},
		{NetworkType: domain.NetworkClassic, VpcId: "vpc-left-over", ChargeType: domain.ChargePrePaid, Period: 3},
		{ChargeType: domain.ChargePostPaid, Period: 12, InstanceClass: "redis.master.small.default"},
	} {
		in := p.Input()
		for _, m := range domain.Table {
			if m.Kind != domain.KindSecret && m.TextOf(&p) != in[m.Name] {
				t.Errorf("%+v: TextOf(%s) = %q, the form says %q", p, m.Name, m.TextOf(&p), in[m.Name])
			}
			if m.Text(p) != m.TextOf(&p) {
				t.Errorf("%+v: Text(%s) = %q, TextOf %q", p, m.Name, m.Text(p), m.TextOf(&p))
			}
			if m.ShownIn(&p) != m.ShownWith(in) {
				t.Errorf("%+v: ShownIn(%s) = %v, ShownWith %v", p, m.Name, m.ShownIn(&p), m.ShownWith(in))
			}
		}
	}
	vpc, _ := domain.ParamByName("VpcId")
	if classic := (domain.Params{NetworkType: domain.NetworkClassic}); vpc.ShownIn(&classic) {
		t.Error("a VPC shown with a Classic network")
	}
}
