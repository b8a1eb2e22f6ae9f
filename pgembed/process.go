package pgembed

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is the postmaster, started so that it dies with the portal: the
// kernel sends it SIGQUIT when the thread that started it exits, and that
// thread is kept for the life of the process.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProcess(path string, args []string, acct *account, log *os.File) (*process, error) {
	p := &process{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the creating thread exits, so this goroutine
		// keeps its thread locked (and alive) until the server exits.
		runtime.LockOSThread()
		cmd := exec.Command(path, args...)
		cmd.Stdout = log
		cmd.Stderr = log
		attr := acct.sysProcAttr()
		attr.Pdeathsig = syscall.SIGQUIT
		cmd.SysProcAttr = attr
		if err := cmd.Start(); err != nil {
			started <- err
			runtime.UnlockOSThread()
			return
		}
		p.cmd = cmd
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
		runtime.UnlockOSThread()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// stop asks for a fast shutdown and waits; past the grace period it sends
// SIGQUIT (immediate shutdown, recovered at next start).
func (p *process) stop(grace time.Duration) error {
	if p == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
		return errors.New("postgres did not stop in time and was shut down immediately")
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("postgres had to be killed")
	}
}

// stopOrphan stops a postmaster left running in pgdata by a portal process
// that was killed before it could stop it. The caller holds the directory
// lock, so a live postmaster here belongs to no running portal.
func stopOrphan(pgdata string, logf func(string, ...any)) error {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return nil // no pid file: nothing runs
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 || !isPostmasterOf(pid, pgdata) {
		return nil // stale file; postgres removes it itself
	}
	logf("stopping an orphaned Postgres (pid %d) left by a previous run", pid)
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	_ = proc.Signal(syscall.SIGINT)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if !isPostmasterOf(pid, pgdata) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = proc.Signal(syscall.SIGQUIT)
	time.Sleep(2 * time.Second)
	if isPostmasterOf(pid, pgdata) {
		return fmt.Errorf("an orphaned Postgres (pid %d) still runs in %s", pid, pgdata)
	}
	return nil
}

// isPostmasterOf reports whether pid is a live postgres serving pgdata.
func isPostmasterOf(pid int, pgdata string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		// A zombie (state Z) is dead already.
		if _, rest, ok := bytes.Cut(stat, []byte(") ")); ok && len(rest) > 0 && rest[0] == 'Z' {
			return false
		}
	}
	args := strings.Split(string(cmdline), "\x00")
	return len(args) > 0 && filepath.Base(args[0]) == "postgres" && strings.Contains(string(cmdline), pgdata)
}
