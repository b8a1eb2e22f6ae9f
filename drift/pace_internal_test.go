package drift

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A pause ends with the check's context (a job's timeout, a stop) rather
// than holding a stopping process up.
func TestPaceEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pace(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- pace(context.Background(), time.Millisecond) }()
	if err := <-done; err != nil {
		t.Errorf("a short page: %v", err)
	}
}
