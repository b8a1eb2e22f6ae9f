package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

func cmdUsers(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: users needs an action (add, set-role, disable, enable, reset-password, join, leave)", errUsage)
	}
	switch args[0] {
	case "add":
		return cmdUsersAdd(ctx, e, args[1:])
	case "set-role":
		return cmdUsersSetRole(ctx, e, args[1:])
	case "disable", "enable":
		return cmdUsersSetDisabled(ctx, e, args[0] == "disable", args[1:])
	case "reset-password":
		return cmdUsersResetPassword(ctx, e, args[1:])
	case "join", "leave":
		return cmdUsersMembership(ctx, e, args[0] == "join", args[1:])
	}
	return fmt.Errorf("%w: unknown users action %q", errUsage, args[0])
}

func cmdUsersAdd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "the user's sign-in name")
	roleName := fs.String("role", "", "requester, approver or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	var teams teamList
	fs.Var(&teams, "team", "a team the user is in (repeatable)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if !*fromStdin {
		return errors.New("--password-stdin is required: the password is read from standard input, never from the command line")
	}
	password, err := readPassword(e.stdin)
	if err != nil {
		return err
	}
	return withAdmin(ctx, e, func(a *admin.Admin) error {
		inTeams, err := teamsByName(ctx, a, teams)
		if err != nil {
			return err
		}
		u, errs, err := a.CreateUser(ctx, nil, *username, *roleName, password)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return fieldErrors(errs, userFlags)
		}
		fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.Username, u.Role)
		for _, t := range inTeams {
			if _, _, err := a.AddMember(ctx, nil, t, u.Username); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s joined %s\n", u.Username, t.Name)
		}
		return nil
	})
}

// userFlags name the user steps' fields as the commands' flags.
var userFlags = map[string]string{admin.FieldUsername: "--username", admin.FieldRole: "--role",
	admin.FieldPassword: "the password on standard input"}

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

func cmdUsersSetRole(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("users set-role", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "the user")
	roleName := fs.String("role", "", "requester, approver or admin")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	role, err := domain.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	return withUser(ctx, e, *username, func(a *admin.Admin, u store.User) error {
		_, u, err := a.SetRole(ctx, nil, u.ID, role)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %s is now %s\n", u.Username, u.Role)
		return nil
	})
}

func cmdUsersSetDisabled(ctx context.Context, e env, disable bool, args []string) error {
	fs := flag.NewFlagSet("users disable", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "the user")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return withUser(ctx, e, *username, func(a *admin.Admin, u store.User) error {
		_, u, err := a.SetDisabled(ctx, nil, u.ID, disable)
		if err != nil {
			return err
		}
		state := "enabled"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(e.stdout, "user %s is %s\n", u.Username, state)
		return nil
	})
}

// cmdUsersResetPassword gives a user a new random password and prints it
// once: the way back in for someone who lost theirs (the demo users'
// passwords are printed only on the first start).
func cmdUsersResetPassword(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("users reset-password", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "the user")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return withUser(ctx, e, *username, func(a *admin.Admin, u store.User) error {
		u, password, err := a.ResetPassword(ctx, nil, u.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "new password for %s (%s), shown only now: %s\n", u.Username, u.Role, password)
		fmt.Fprintf(e.stdout, "%s is signed out everywhere: the old password's sessions have ended\n", u.Username)
		if u.Disabled {
			fmt.Fprintf(e.stdout, "%s is disabled: enable the account to sign in (portal users enable --username %s)\n", u.Username, u.Username)
		}
		return nil
	})
}

// withUser opens the database and finds username for fn.
func withUser(ctx context.Context, e env, username string, fn func(*admin.Admin, store.User) error) error {
	if username == "" {
		return fmt.Errorf("%w: --username is required", errUsage)
	}
	return withAdmin(ctx, e, func(a *admin.Admin) error {
		u, err := a.User(ctx, username)
		if errors.Is(err, admin.ErrNoUser) {
			return fmt.Errorf("no user %q", username)
		}
		if err != nil {
			return err
		}
		return fn(a, u)
	})
}

// withAdmin opens the configured database, migrated, for fn's admin
// steps, taken as an operator at the console (by nil).
func withAdmin(ctx context.Context, e env, fn func(*admin.Admin) error) error {
	return withStore(ctx, e, func(st *store.Store) error { return fn(&admin.Admin{Store: st}) })
}

// atConsole marks ctx as the console operator's: their account's name
// goes into every audit event the command writes.
func atConsole(ctx context.Context) context.Context {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return store.AtConsole(ctx, name)
}

// withStore opens the configured database, migrated, for fn. User changes
// announce no webhook events, so the store needs no event hook.
func withStore(ctx context.Context, e env, fn func(*store.Store) error) error {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, e, cfg, 0)
	if err != nil {
		return err
	}
	defer db.close()
	return fn(store.New(db.pool))
}
