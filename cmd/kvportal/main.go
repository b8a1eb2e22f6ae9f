// Command kvportal is KVPortal's command-line client, for people and
// pipelines: it asks for instances, decides on requests and follows them
// through the JSON API, with the generated client of package client (the
// API's own description), so that it says what the API says. Where the
// portal is and who the caller is come from KVPORTAL_URL and
// KVPORTAL_TOKEN, or from what `kvportal login` kept.
//
// Exit codes: 0 done; 1 the request ended other than succeeded (failed,
// rejected, cancelled) while waiting for it; 2 a mistake in the command
// line; 3 the API refused (its words and field errors are printed); 4 the
// portal could not be reached or answered something else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Exit codes.
const (
	exitOK          = 0
	exitEndedBadly  = 1
	exitUsage       = 2
	exitRefused     = 3
	exitUnreachable = 4
)

// env is what a command reads and writes, so that tests run it in process.
type env struct {
	getenv    func(string) string
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	configDir func() (string, error)
	// terminal: progress lines are shown (standard error is a terminal).
	terminal bool
}

// exitError carries an exit code and the words to print.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usage(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Sprintf(format, a...) + "\n" + usageText}
}

const usageText = `usage:
  kvportal login [--url URL]            keep a token (read from standard input) and the portal's URL
  kvportal requests create -f request.json [--wait] [--idempotency-key K]
  kvportal requests get ID [--wait]
  kvportal requests list [--status S] [--all]
  kvportal requests approve ID
  kvportal requests reject ID --reason R
  kvportal requests cancel ID
  kvportal instances list [--team T] [--region R] [--status S] [--ends-within-days N]
  kvportal instances get ID
  kvportal instances change ID --kind K [--SecurityIps …] [--InstanceClass …] [--EffectiveTime …]
      [--ConfirmInstanceId …] [--ReleaseAfter …] [--Period …] [--password-stdin] [--wait]
every command takes --output table|json (table by default)
environment: KVPORTAL_URL, KVPORTAL_TOKEN (over what login kept)`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fi, _ := os.Stderr.Stat()
	e := env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, configDir: os.UserConfigDir,
		terminal: fi != nil && fi.Mode()&os.ModeCharDevice != 0}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run runs a command and returns its exit code, having printed what went
// wrong on standard error.
func run(ctx context.Context, e env, args []string) int {
	err := dispatch(ctx, e, args)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{exitUnreachable, err.Error()}
	}
	if ee.msg != "" {
		fmt.Fprintln(e.stderr, "kvportal: "+ee.msg)
	}
	return ee.code
}

func dispatch(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usage("a command is needed")
	}
	switch args[0] {
	case "login":
		return cmdLogin(e, args[1:])
	case "requests":
		if len(args) < 2 {
			return usage("requests needs an action")
		}
		return cmdRequests(ctx, e, args[1], args[2:])
	case "instances":
		if len(args) < 2 {
			return usage("instances needs an action")
		}
		return cmdInstances(ctx, e, args[1], args[2:])
	case "help", "-h", "--help":
		fmt.Fprintln(e.stdout, usageText)
		return nil
	}
	return usage("unknown command %q", args[0])
}
