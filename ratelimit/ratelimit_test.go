package ratelimit_test

import (
	"testing"
	"time"

	"github.com/kvportal/kvportal/ratelimit"
)

// A key takes its burst at once, then waits for the refill; other keys are
// not affected; a refused call takes nothing.
func TestBurstThenRate(t *testing.T) {
	t.Parallel()
	l := ratelimit.New[string](2, 3)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if d := l.Wait("a", now); d != 0 {
			t.Fatalf("call %d of the burst waits %s", i+1, d)
		}
	}
	if d := l.Wait("a", now); d <= 0 || d > time.Second/2 {
		t.Errorf("past the burst: wait %s, want up to 500ms", d)
	}
	if d := l.Wait("b", now); d != 0 {
		t.Errorf("another key waits %s", d)
	}
	// Refused calls took nothing: half a second later exactly one more.
	later := now.Add(time.Second / 2)
	if d := l.Wait("a", later); d != 0 {
		t.Errorf("after the refill: wait %s", d)
	}
	if d := l.Wait("a", later); d == 0 {
		t.Error("two calls after one refill")
	}
	// An idle key is forgotten and starts full again.
	much := now.Add(time.Hour)
	for i := range 3 {
		if d := l.Wait("a", much); d != 0 {
			t.Fatalf("after an hour, call %d waits %s", i+1, d)
		}
	}
}
