package provisioner_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/simulator"
)

// Every CreateInstance attempt of a request carries the same tags, as it
// carries the same Token; the instance's address is recorded on success and
// kept once the sweep sees it Normal.
func TestTagsOnEveryAttemptAndAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{ThrottleRate: 1, CreatingDelay: 300 * time.Millisecond})
	f.start(f.config())
	r := f.approved("tok-tags")
	f.wait(r.ID, 20*time.Second, "two throttled attempts", func(domain.Request) bool { return len(f.calls("tok-tags")) >= 2 })
	_ = f.sim.SetFaults(simulator.Faults{})
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)

	want := "kvportal:request=" + strconv.FormatInt(r.ID, 10) + " kvportal:team=none"
	calls := f.tagCalls("tok-tags")
	if len(calls) < 3 {
		t.Fatalf("%d calls", len(calls))
	}
	for i, got := range calls {
		if got != want {
			t.Errorf("call %d: tags %q, want %q", i+1, got, want)
		}
	}
	if r.ConnectionDomain == "" || r.ConnectionPort <= 0 || r.Address() == "" {
		t.Errorf("no address after success: %q %d", r.ConnectionDomain, r.ConnectionPort)
	}
	r = f.wait(r.ID, 20*time.Second, "instance Normal", func(r domain.Request) bool { return r.InstanceStatus == domain.InstanceNormal })
	if r.Address() == "" {
		t.Errorf("address lost once Normal")
	}
}

// A failed request keeps its password for the window; once it is erased,
// the admin can no longer re-queue it, and its requester retries it with a
// new password, which the next attempt sends with the same Token.
func TestRetryWithNewPasswordAfterWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{ThrottleRate: 1})
	cfg := f.config()
	cfg.MaxAttempts = 1
	// The periodic eraser runs once, at start (awaited), and not again: the
	// test erases by hand, and a run of its own would race it.
	cfg.EraseInterval = time.Hour
	p := f.start(cfg)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`,
			provisioner.EraseArgs{}.Kind()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the start's eraser never ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := f.approved("tok-window")
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusFailed)
	if r.PasswordKeptUntil == nil {
		t.Fatal("no password kept after failure")
	}
	if n, err := f.st.ErasePasswords(ctx); n != 0 || err != nil {
		t.Fatalf("erased %d (%v) within the window", n, err)
	}
	// The window ends.
	if _, err := f.st.Pool().Exec(ctx, `UPDATE requests SET password_kept_until = now() - interval '1 second' WHERE id = $1`, r.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.ErasePasswords(ctx); n != 1 || err != nil {
		t.Fatalf("erased %d (%v) after the window", n, err)
	}
	if sealed, until := testfix.KeptPassword(t, f.st, r.ID); sealed != nil || until != nil {
		t.Fatal("password still kept after the erasure")
	}
	if _, err := p.Requeue(ctx, r.ID, f.admin.ID); !errors.Is(err, domain.ErrStateChanged) {
		t.Fatalf("admin re-queue after the window: %v", err)
	}
	_ = f.sim.SetFaults(simulator.Faults{})
	const newPassword = "NewPassw0rd9"
	sealed, err := f.sealer.Seal([]byte(newPassword), []byte(r.Params.Token))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Retry(ctx, r.ID, f.admin.ID, sealed); !errors.Is(err, domain.ErrStateChanged) {
		t.Fatalf("retry by someone else: %v", err)
	}
	for range 100 { // the failed attempt's job may still be finishing
		if _, err = p.Retry(ctx, r.ID, f.requester.ID, sealed); err == nil || !errors.Is(err, provisioner.ErrJobBusy) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	calls := f.calls("tok-window")
	if len(calls) != 2 || calls[0] != password || calls[1] != newPassword {
		t.Errorf("passwords sent: %d calls, last new: %v", len(calls), len(calls) > 1 && calls[len(calls)-1] == newPassword)
	}
	acts := f.actions(r.ID)
	if count(acts, domain.ActionPasswordErased) != 1 || count(acts, domain.ActionRequestRetried) != 1 {
		t.Errorf("events %v", acts)
	}
	if sealed, _ := testfix.KeptPassword(t, f.st, r.ID); sealed != nil {
		t.Error("password kept after success")
	}
}
