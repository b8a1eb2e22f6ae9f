package clientgone_test

import (
	"context"
	"testing"
	"time"

	"github.com/kvportal/kvportal/internal/clientgone"
)

func TestIs(t *testing.T) {
	t.Parallel()
	if clientgone.Is(context.Background()) {
		t.Error("a live request counted as gone")
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if !clientgone.Is(canceled) {
		t.Error("a canceled request (its connection closed) not counted as gone")
	}
	timedOut, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	<-timedOut.Done()
	if clientgone.Is(timedOut) {
		t.Error("a request past its deadline counted as its client gone")
	}
}
