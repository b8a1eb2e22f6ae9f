package pages_test

import (
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/views/layout"
	"github.com/kvportal/kvportal/views/pages"
)

// The approvals queue and the request list, rendered without a server: what
// a page of 50 rows costs in templates alone (go test -bench . ./views/pages).

func benchRequest(i int, now time.Time) domain.Request {
	return domain.Request{ID: int64(1000 + i), RequesterID: 2, RequesterName: "dev", Status: domain.StatusPendingApproval,
		Params: domain.Params{InstanceName: "cache-orders", InstanceClass: testfix.InstanceClass,
			RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", ChargeType: "PostPaid", NetworkType: "VPC",
			VpcId: "vpc-bp1", VSwitchId: "vsw-bp1", InstanceType: "Redis", EngineVersion: "7.0"},
		CreatedAt: now.Add(-time.Duration(i) * time.Hour), UpdatedAt: now}
}

// benchParams are benchRequest's parameters as a queue's row shows them.
var benchParams = []pages.Param{
	{Name: "InstanceType", Label: "Instance type", Value: "Redis"},
	{Name: "EngineVersion", Label: "Engine version", Value: "7.0"},
	{Name: "InstanceClass", Label: "Instance class", Value: testfix.InstanceClass + " (1 GB)", Mono: true},
	{Name: "InstanceName", Label: "Instance name", Value: "cache-orders"},
	{Name: "RegionId", Label: "Region", Value: "cn-hangzhou", Mono: true},
	{Name: "ZoneId", Label: "Zone", Value: "cn-hangzhou-b", Mono: true},
	{Name: "NetworkType", Label: "Network type", Value: "VPC"},
	{Name: "VpcId", Label: "VPC", Value: "vpc-bp1", Mono: true},
	{Name: "VSwitchId", Label: "VSwitch", Value: "vsw-bp1", Mono: true},
	{Name: "ChargeType", Label: "Billing method", Value: "PostPaid"},
}

func benchRender(b *testing.B, c templ.Component) {
	ctx := layout.WithChrome(context.Background(), layout.Chrome{SignedIn: true, Username: "appr", Role: "approver", IsApprover: true,
		CSRF: "k3Jd9sQm1vX0pLr8Yt6Wn2Bc5Hf7Ga4Ze1Uo9Ii3Qw0=", Pending: 1000, Section: "approvals"})
	var n countWriter
	if err := c.Render(ctx, &n); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "html-bytes/op")
}

func itoa(i int) string { return strconv.Itoa(i) }

type countWriter int

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

func BenchmarkApprovals50(b *testing.B) {
	now := time.Now()
	v := pages.ApprovalsView{Now: now, NextURL: "/approvals?after=1049"}
	for i := range 50 {
		v.Rows = append(v.Rows, pages.ApprovalRow{R: benchRequest(i, now), Params: benchParams, Price: "¥0.12 an hour"})
	}
	benchRender(b, pages.Approvals(v))
}

func BenchmarkRequestList50(b *testing.B) {
	now := time.Now()
	v := pages.RequestListView{Title: "My requests", Now: now, NextURL: "/requests?before=1000"}
	for i := range 50 {
		// A history is mostly requests whose instance was made.
		r := benchRequest(i, now)
		r.Status, r.InstanceID, r.ResultName, r.InstanceStatus = domain.StatusSucceeded, "r-bp1"+itoa(i), "cache-orders", "Normal"
		v.Requests = append(v.Requests, r)
	}
	benchRender(b, pages.RequestList(v))
}
