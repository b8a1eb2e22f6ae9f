// Command portal is KVPortal: one binary whose subcommands serve the web UI
// with the provisioner, run the provisioner alone, migrate the database,
// manage users and run the R-KVStore simulator.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"go.opentelemetry.io/otel/trace"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/telemetry"
)

const usage = `usage: portal [command] [flags]

commands:
  serve                 web UI and provisioner in one process (the default)
  provision             the provisioner alone
  migrate [up|down|status]
                        database migrations (serve also migrates up at start)
  users add --username U --role requester|approver|admin --password-stdin
                        create a user; the password is read from standard input
  users set-role --username U --role R
  users disable --username U | users enable --username U
  users reset-password --username U
                        set a new random password and print it once
  tokens create --username U --name N [--expires 2160h]
                        print a new API token of U alone on one line (shown once)
  tokens list [--username U] | tokens revoke --id ID
  users add ... --team N (repeatable) | users join|leave --username U --team N
  teams add --name N [--max-instances K] [--max-monthly-spend X]
  teams set --name N [--max-instances K|none] [--max-monthly-spend X|none]
            [--slack-channel C0123|none]   (also on teams add; the name may come first)
  teams list
  policies set --file F (- for standard input) | policies show
  sim                   the local R-KVStore API simulator as its own server
  sim delete|rename|resize --instance-id ID [--name N | --class C] [--endpoint URL]
                        change an instance of a running simulator behind the portal's back
  drift                 compare the portal's instances with the cloud: one line
                        per difference, exit status 1 when there is any

Configuration comes from the environment: see docs/operations.md.
`

// errUsage marks a mistake in the command line: usage is printed with it.
var errUsage = errors.New("usage")

// gcPercent is the garbage collector's target unless GOGC is set: twice the
// default heap growth between collections, for about half the collector's
// CPU on busy pages (18 % of the approvals page's CPU was collection under
// load), within the memory targets BENCHMARKS.md states.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
		}
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

// env is what every command gets: the process's context, environment and
// standard streams (tests pass their own).
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
	// clock is the one clock every part of the portal reads (sessions,
	// pages, the API, the steps, the provisioner, the caches).
	clock domain.Clock
	// tracing is the serving commands' tracing (startTracing); nil: off.
	tracing *telemetry.Tracing
	// traces, set by tests, receives the spans instead of what the OTEL_*
	// variables say.
	traces trace.TracerProvider
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return newEnv(getenv, stdin, stdout, stderr).run(ctx, args)
}

// newEnv is the environment of a command run with these streams.
func newEnv(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) env {
	return env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, clock: domain.SystemClock{},
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
}

// run runs the command args name (serve when none).
func (e env) run(ctx context.Context, args []string) error {
	stdout := e.stdout
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, e, args)
	case "provision":
		return cmdProvision(ctx, e, args)
	case "migrate":
		return cmdMigrate(ctx, e, args)
	case "users":
		return cmdUsers(atConsole(ctx), e, args)
	case "tokens":
		return cmdTokens(atConsole(ctx), e, args)
	case "teams":
		return cmdTeams(atConsole(ctx), e, args)
	case "policies":
		return cmdPolicies(atConsole(ctx), e, args)
	case "sim":
		return cmdSim(ctx, e, args)
	case "drift":
		return cmdDrift(ctx, e, args)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}
