package simulator

import (
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
)

// The simulator validates every CreateInstance it is sent against its whole
// catalog, as the portal does every submission: the accepted case is the
// common one and should cost one pass over the offers, not lists built to
// name choices.
func BenchmarkValidateAccepted(b *testing.B) {
	cat := buildCatalog()
	in := domain.Input{"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "InstanceClass": testfix.InstanceClass,
		"InstanceType": "Redis", "EngineVersion": "5.0", "Password": "Passw0rd1x", "InstanceName": "orders-cache"}
	if _, errs := domain.Validate(in, cat); len(errs) > 0 {
		b.Fatalf("the benchmark's input is refused: %v", errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		domain.Validate(in, cat)
	}
}
