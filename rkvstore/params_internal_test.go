package rkvstore

import (
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// Every parameter of the table reaches the cloud: a parameter added to the
// table without its SDK mapping would make CreateInstance panic.
func TestEveryParameterIsMappedOntoTheSDK(t *testing.T) {
	for _, m := range domain.Table {
		if createParams[m.Name] == nil {
			t.Errorf("%s has no mapping onto the SDK's CreateInstance request", m.Name)
		}
	}
	if len(createParams) != len(domain.Table) {
		t.Errorf("%d mappings for %d parameters: a mapping without a parameter", len(createParams), len(domain.Table))
	}
}
