// Package wait holds the one way the portal waits out a duration that its
// caller may end early (a stop, a request gone, a job's timeout): the
// exporter's retries, the drift check's pauses, the simulator's latency
// and the CLI's polling each need it, and none of them is the other's
// business.
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, whose error it then returns.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
