package store_test

import (
	"context"
	"testing"
)

// WarmConns leaves n connections open and idle, each having run the warm
// statement (which fails if a table or column it names is gone).
func TestWarmConnsOpensThemAll(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if err := s.WarmConns(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	if st := s.Pool().Stat(); st.IdleConns() < 4 || st.AcquiredConns() != 0 {
		t.Fatalf("after warming 4: %d idle, %d acquired", st.IdleConns(), st.AcquiredConns())
	}
}
