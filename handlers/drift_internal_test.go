package handlers

import (
	"testing"

	"github.com/kvportal/kvportal/drift"
)

// Every kind of finding the drift check reports is said in words on the
// drift page: a kind without words would show an empty row.
func TestDriftWordsForEveryKind(t *testing.T) {
	for _, k := range drift.Kinds() {
		if driftWords[k] == "" {
			t.Errorf("finding kind %q has no words on the drift page", k)
		}
	}
}
