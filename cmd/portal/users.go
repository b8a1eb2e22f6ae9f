package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/store"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func cmdUsers(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: users needs an action (add)", errUsage)
	}
	switch args[0] {
	case "add":
		return cmdUsersAdd(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown users action %q", errUsage, args[0])
}

func cmdUsersAdd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "the user's sign-in name")
	roleName := fs.String("role", "", "requester, approver or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if !usernamePattern.MatchString(*username) {
		return errors.New("--username: use 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	role, err := store.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	if !*fromStdin {
		return errors.New("--password-stdin is required: the password is read from standard input, never from the command line")
	}
	password, err := readPassword(e.stdin)
	if err != nil {
		return err
	}
	if err := auth.CheckNewPassword(password); err != nil {
		return err
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer db.close()
	if err := db.migrateUp(ctx); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u, err := store.New(db.pool).CreateUser(ctx, *username, role, hash, nil)
	if errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("user %q already exists", *username)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.Username, u.Role)
	return nil
}

// readPassword reads the first line of r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
