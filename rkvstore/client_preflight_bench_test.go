package rkvstore_test

import (
	"net/http/httptest"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

// BenchmarkCheckCreate is a submission's dry run against the simulator in
// the same process (its CPU and allocations counted too), as `portal
// serve` runs it without a cloud endpoint.
func BenchmarkCheckCreate(b *testing.B) {
	sim, err := simulator.New(simulator.Config{AccessKeyID: testKeyID, AccessKeySecret: testSecret, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: testKeyID, AccessKeySecret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	in := testfix.Input(func(in domain.Input) { in["Password"], in["Token"] = testPassword, domain.NewToken() })
	p, errs := domain.Validate(in, sim.Catalog())
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.CheckCreate(b.Context(), p); err != nil {
			b.Fatal(err)
		}
	}
}
