package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/store"
)

func cmdTokens(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: tokens needs an action (create, list, revoke)", errUsage)
	}
	switch args[0] {
	case "create":
		return cmdTokensCreate(ctx, e, args[1:])
	case "list":
		return cmdTokensList(ctx, e, args[1:])
	case "revoke":
		return cmdTokensRevoke(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown tokens action %q", errUsage, args[0])
}

// cmdTokensCreate prints a new token of a user alone on one line: the only
// time it is shown. The event is recorded as the system's (an operator at
// the console).
func cmdTokensCreate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "the user the token acts for")
	name := fs.String("name", "", "what the token is for (shown in the audit trail)")
	expires := fs.Duration("expires", apitoken.DefaultTTL, "lifetime, at most a year (8760h)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return withAdmin(ctx, e, func(a *admin.Admin) error {
		u, err := a.User(ctx, *username)
		if errors.Is(err, admin.ErrNoUser) {
			return fmt.Errorf("--username: no user %q", *username)
		}
		if err != nil {
			return err
		}
		token, _, errs, err := a.CreateToken(ctx, nil, u, *name, *expires)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return fieldErrors(errs, map[string]string{"name": "--name", "expires": "--expires", "user": "--username"})
		}
		fmt.Fprintln(e.stdout, token)
		return nil
	})
}

// fieldErrors reports field errors under the flags' names.
func fieldErrors(errs map[string]string, flags map[string]string) error {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msgs := make([]string, len(keys))
	for i, k := range keys {
		msgs[i] = flags[k] + " " + errs[k]
	}
	return errors.New(strings.Join(msgs, "; "))
}

// cmdTokensList lists tokens (a user's with --username), never the tokens
// themselves.
func cmdTokensList(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("tokens list", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "only this user's tokens")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return withStore(ctx, e, func(st *store.Store) error {
		var userID int64
		if *username != "" {
			u, err := st.UserByUsername(ctx, *username)
			if err != nil {
				return fmt.Errorf("--username: no user %q", *username)
			}
			userID = u.ID
		}
		ts, err := st.ListTokens(ctx, userID)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSER\tNAME\tEXPIRES\tLAST USED\tSTATE")
		now := time.Now()
		for _, t := range ts {
			last := "never"
			if t.LastUsedAt != nil {
				last = t.LastUsedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Username, t.Name,
				t.ExpiresAt.UTC().Format(time.RFC3339), last, apitoken.State(t, now))
		}
		return w.Flush()
	})
}

// cmdTokensRevoke revokes a token by its id (from tokens list), as done by
// the system.
func cmdTokensRevoke(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("tokens revoke", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	idText := fs.String("id", "", "the token's id (tokens list)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	id, err := strconv.ParseInt(*idText, 10, 64)
	if err != nil || id <= 0 {
		return errors.New("--id: a token's id is required (see tokens list)")
	}
	return withAdmin(ctx, e, func(a *admin.Admin) error {
		t, err := a.RevokeToken(ctx, nil, id)
		switch {
		case errors.Is(err, admin.ErrNoToken):
			return fmt.Errorf("--id: no token %d", id)
		case errors.Is(err, admin.ErrRevoked):
			return fmt.Errorf("token %d is already revoked", id)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "revoked token %d (%s of %s)\n", t.ID, t.Name, t.Username)
		return nil
	})
}
