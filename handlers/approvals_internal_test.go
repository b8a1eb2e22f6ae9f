package handlers

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/views/pages"
)

// queueRequests are 50 pending requests as the approvals queue gets them:
// VPC and Classic, pay-as-you-go and subscription.
func queueRequests(now time.Time) []domain.Request {
	rs := make([]domain.Request, 50)
	for i := range rs {
		p := domain.Params{InstanceName: "cache-orders", InstanceClass: testfix.InstanceClass,
			RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", ChargeType: domain.ChargePostPaid, NetworkType: domain.NetworkVPC,
			VpcId: "vpc-bp1", VSwitchId: "vsw-bp1", InstanceType: "Redis", EngineVersion: "7.0"}
		if i%2 == 1 {
			p.ChargeType, p.Period = domain.ChargePrePaid, 3
		}
		if i%5 == 4 {
			p.NetworkType, p.VpcId, p.VSwitchId = domain.NetworkClassic, "vpc-left-over", ""
		}
		rs[i] = domain.Request{ID: int64(1000 + i), RequesterID: 2, RequesterName: "dev", Status: domain.StatusPendingApproval,
			Params: p, PasswordSet: i%3 == 0, CreatedAt: now.Add(-time.Duration(i) * time.Minute)}
	}
	return rs
}

// A row shows the parameters that are set and go with the others, in the
// table's order, never the password or the Internal ones: the values as
// the request's own page shows them.
func TestApprovalParamsAsRequestPage(t *testing.T) {
	now := time.Now()
	for _, r := range queueRequests(now)[:5] {
		var want []string
		for _, g := range paramGroups(r, now) {
			for _, p := range g.Params {
				m, _ := domain.ParamByName(p.Name)
				if m.Kind == domain.KindSecret || m.Internal || m.Text(r.Params) == "" {
					continue
				}
				want = append(want, p.Name+"="+p.Value)
			}
		}
		var got []string
		for _, p := range approvalParams(nil, &r, "", now) {
			got = append(got, p.Name+"="+p.Value)
		}
		if len(got) != len(want) {
			t.Fatalf("request %d: row shows %q, want %q", r.ID, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("request %d: row shows %q, want %q", r.ID, got, want)
				break
			}
		}
	}
}

// What the queue's rows cost before any HTML: go test -bench
// ApprovalParams -benchmem ./handlers.
func BenchmarkApprovalParams50(b *testing.B) {
	now := time.Now()
	rs := queueRequests(now)
	b.ReportAllocs()
	for b.Loop() {
		params := make([]pages.Param, 0, len(rs)*len(domain.Table))
		for i := range rs {
			params = approvalParams(params, &rs[i], "1 GB", now)
		}
	}
}

// The request's page and the approvals queue say a period as the form's
// choices do: "1 month", not "1 months".
func TestPeriodSaidAsTheFormSaysIt(t *testing.T) {
	period, _ := domain.ParamByName("Period")
	now := time.Now()
	for _, months := range []int{1, 12} {
		r := domain.Request{Status: domain.StatusPendingApproval,
			Params: domain.Params{ChargeType: domain.ChargePrePaid, Period: months}}
		want := domain.PeriodText(months)
		if got := paramText(&r, period, now); got != want || !strings.HasPrefix(got, strconv.Itoa(months)+" month") {
			t.Errorf("%d months: page says %q, want %q", months, got, want)
		}
		var shown string
		for _, p := range approvalParams(nil, &r, "", now) {
			if p.Name == "Period" {
				shown = p.Value
			}
		}
		if shown != want {
			t.Errorf("%d months: queue says %q, want %q", months, shown, want)
		}
	}
	if got := paramText(&domain.Request{}, period, now); got != "" {
		t.Errorf("no period: %q", got)
	}
}
