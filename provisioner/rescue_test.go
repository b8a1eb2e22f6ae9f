package provisioner_test

import (
	"context"
	"fmt"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/simulator"
)

// A provisioner process killed in the middle of a call, after the cloud made
// the instance but before the answer came back: the restarted process gets
// the job from River's rescuer, calls again with the same Token and records
// the one instance.
func TestKilledProcessIsRescued(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for River's rescuer")
	}
	f := newFixture(t, simulator.Config{})
	arrived, release := make(chan struct{}), make(chan struct{})
	f.setOnCreate(func(n int, _ url.Values) {
		if n == 1 {
			close(arrived)
			<-release // the simulator makes the instance once the caller is dead
		}
	})
	lease := []string{"HELPER_LEASE=5s"}
	first := f.startProcess("first", lease...)
	r := f.approved("tok-killed")
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the first process never called CreateInstance")
	}
	first.kill(t)
	close(release)
	f.wait(r.ID, 10*time.Second, "the instance made", func(domain.Request) bool { return f.sim.CountByToken(r.Params.Token) == 1 })
	if got, _ := f.st.Request(context.Background(), r.ID); got.Status != domain.StatusProvisioning {
		t.Fatalf("after the kill the request is %s", got.Status)
	}

	f.startProcess("restarted", lease...)
	r = f.waitStatus(r.ID, 90*time.Second, domain.StatusSucceeded)
	if got := f.sim.CountByToken(r.Params.Token); got != 1 {
		t.Fatalf("%d instances", got)
	}
	f.checkOneInstance(r)
	if r.Attempts != 2 || len(f.calls(r.Params.Token)) != 2 {
		t.Errorf("attempts %d, calls %d", r.Attempts, len(f.calls(r.Params.Token)))
	}
	lost := false
	for _, e := range f.events(r.ID) {
		lost = lost || (e.Action == domain.ActionAttemptFailed && e.Details["code"] == provisioner.CodeAttemptLost)
	}
	if !lost {
		t.Errorf("no lost-attempt event: %v", f.actions(r.ID))
	}
}

// Three provisioner processes on one database, a few hundred approved
// requests and every fault switched on: each request ends terminal, and no
// Token made more than one instance.
func TestThreeProcessesUnderFaults(t *testing.T) {
	t.Parallel()
	const n = 200
	f := newFixture(t, simulator.Config{Latency: 2 * time.Millisecond, ThrottleRate: 0.1, ErrorRate: 0.1, LostRate: 0.15})
	var procs []*process
	for i := range 3 {
		procs = append(procs, f.startProcess(fmt.Sprintf("p%d", i), "HELPER_CONCURRENCY=4", "HELPER_MAX_ATTEMPTS=8", "HELPER_BASE_DELAY=10ms"))
	}
	ids := make([]int64, 0, n)
	for i := range n {
		ids = append(ids, f.approved(fmt.Sprintf("tok-many-%03d", i)).ID)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		stats, err := f.st.ProvisioningStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done := stats.ByStatus[domain.StatusSucceeded] + stats.ByStatus[domain.StatusFailed]
		if done == n {
			t.Logf("%d succeeded, %d failed; %d CreateInstance calls", stats.ByStatus[domain.StatusSucceeded],
				stats.ByStatus[domain.StatusFailed], f.sim.Calls("CreateInstance"))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every request ended: %v", stats.ByStatus)
		}
		time.Sleep(100 * time.Millisecond)
	}
	instances := map[string]string{}
	for _, in := range f.sim.Instances() {
		if _, dup := instances[in.Token]; dup {
			t.Errorf("token %s made two instances", in.Token)
		}
		instances[in.Token] = in.InstanceId
	}
	for _, id := range ids {
		r, err := f.st.Request(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c := f.sim.CountByToken(r.Params.Token); c > 1 {
			t.Errorf("request %d: %d instances", id, c)
		}
		acts := f.actions(id)
		switch r.Status {
		case domain.StatusSucceeded:
			if r.InstanceID == "" || instances[r.Params.Token] != r.InstanceID {
				t.Errorf("request %d recorded %q, the simulator made %q", id, r.InstanceID, instances[r.Params.Token])
			}
			if count(acts, domain.ActionSucceeded) != 1 || count(acts, domain.ActionFailed) != 0 {
				t.Errorf("request %d events %v", id, acts)
			}
		case domain.StatusFailed:
			if count(acts, domain.ActionFailed) != 1 || count(acts, domain.ActionSucceeded) != 0 {
				t.Errorf("request %d events %v", id, acts)
			}
		}
		if started, ended := count(acts, domain.ActionAttemptStarted), count(acts, domain.ActionAttemptFailed)+
			count(acts, domain.ActionSucceeded)+count(acts, domain.ActionFailed)+count(acts, domain.ActionAttemptInterrupted); started != ended {
			t.Errorf("request %d: %d attempts started, %d ended: %v", id, started, ended, acts)
		}
	}

	// SIGTERM: each process stops gracefully, and with nothing in flight at once.
	for _, p := range procs {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range procs {
		select {
		case err := <-p.done:
			p.done <- err // for the cleanup
			if err != nil {
				t.Errorf("process p%d: %v", i, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("process p%d did not stop on SIGTERM", i)
		}
	}
}
