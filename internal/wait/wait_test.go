package wait_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kvportal/kvportal/internal/wait"
)

func TestSleep(t *testing.T) {
	t.Parallel()
	if err := wait.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("a short sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := wait.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v", err)
	}
	if err := wait.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("no wait, an ended context: %v", err)
	}
}
