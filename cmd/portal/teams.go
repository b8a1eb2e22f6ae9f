package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/kvportal/kvportal/admin"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/policy"
	"github.com/kvportal/kvportal/store"
)

func cmdTeams(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: teams needs an action (add, list, set)", errUsage)
	}
	switch args[0] {
	case "add", "set":
		return cmdTeamsSave(ctx, e, args[0] == "add", args[1:])
	case "list":
		return cmdTeamsList(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown teams action %q", errUsage, args[0])
}

// cmdTeamsSave creates a team (add) or changes its limits (set; a limit not
// given is kept, "none" removes it), through the team steps the admin page
// takes too.
func cmdTeamsSave(ctx context.Context, e env, add bool, args []string) error {
	fs := flag.NewFlagSet("teams", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	name := fs.String("name", "", "the team's name")
	maxInstances := fs.String("max-instances", "", "the most requests the team may have that are not rejected, cancelled or failed (none: no limit)")
	maxSpend := fs.String("max-monthly-spend", "", "the most their monthly price estimates may add up to (none: no limit)")
	maxLease := fs.String("max-lease-days", "", "the longest lease of the team's instances, in days: a lease is then required (none: no lease required)")
	whitelist := fs.String("default-whitelist", "", "the IP whitelist that prefills the team's creation forms: addresses or CIDR blocks, comma-separated (none: no default)")
	slackChannel := fs.String("slack-channel", "", "the Slack channel id the team's requests are posted to for approval, overriding PORTAL_SLACK_CHANNEL (none: the default)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	// The team may be named first, as in `teams set payments --slack-channel C0123`.
	if *name == "" && fs.NArg() > 0 {
		*name = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected %q", errUsage, fs.Arg(0))
	}
	var limits admin.Limits
	var settings admin.TeamSettings
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "slack-channel":
			settings.SlackChannel = slackChannel
		case "max-lease-days":
			settings.MaxLeaseDays = maxLease
		case "default-whitelist":
			settings.DefaultWhitelist = whitelist
		case "max-instances":
			limits.MaxInstances = maxInstances
		case "max-monthly-spend":
			limits.MaxSpend = maxSpend
		}
	})
	// Refused before anything is stored, a new team included.
	if errs := settings.Check(); len(errs) > 0 {
		return fieldErrors(errs, teamFlags)
	}
	return withAdmin(ctx, e, func(a *admin.Admin) error {
		var t domain.Team
		var errs domain.FieldErrors
		var err error
		if add {
			t, errs, err = a.CreateTeam(ctx, nil, *name, limits)
		} else if t, err = a.Team(ctx, *name); err == nil {
			t, errs, err = a.SetTeamLimits(ctx, nil, t, limits)
		}
		if err == nil && len(errs) == 0 {
			t, errs, err = a.SetTeamSettings(ctx, nil, t, settings)
		}
		if errors.Is(err, admin.ErrNoTeam) {
			return fmt.Errorf("no team %q", *name)
		}
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return fieldErrors(errs, teamFlags)
		}
		if settings.SlackChannel != nil {
			fmt.Fprintf(e.stdout, "team %s: Slack channel %s\n", t.Name, cmp.Or(t.SlackChannel, "none (the default, PORTAL_SLACK_CHANNEL)"))
		}
		fmt.Fprintf(e.stdout, "team %s: max instances %s, max monthly spend %s, max lease days %s\n", t.Name,
			domain.LimitText(t.MaxInstances), domain.LimitText(t.MaxMonthlySpend), domain.LimitText(t.MaxLeaseDays))
		if settings.DefaultWhitelist != nil {
			fmt.Fprintf(e.stdout, "team %s: default whitelist %s\n", t.Name, cmp.Or(*whitelist, "none"))
		}
		return nil
	})
}

// teamFlags name the team steps' fields as the commands' flags.
var teamFlags = map[string]string{admin.FieldTeamName: "--name", admin.FieldMaxInstances: "--max-instances",
	admin.FieldMaxSpend: "--max-monthly-spend", admin.FieldMember: "--username", admin.FieldWhitelist: "--default-whitelist",
	admin.FieldMaxLease: "--max-lease-days", admin.FieldSlackChannel: "--slack-channel"}

func cmdTeamsList(ctx context.Context, e env, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: teams list takes no arguments", errUsage)
	}
	return withStore(ctx, e, func(st *store.Store) error {
		teams, err := st.Teams(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "TEAM\tINSTANCES\tMAX\tMONTHLY SPEND\tMAX\tMEMBERS")
		for _, t := range teams {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", t.Name, t.Usage.Instances, domain.LimitText(t.MaxInstances),
				domain.Money(t.Usage.MonthlySpend), domain.LimitText(t.MaxMonthlySpend), strings.Join(t.Members, ","))
		}
		return w.Flush()
	})
}

// cmdUsersMembership puts a user in a team (join) or takes them out (leave).
func cmdUsersMembership(ctx context.Context, e env, join bool, args []string) error {
	fs := flag.NewFlagSet("users join", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	username := fs.String("username", "", "the user")
	team := fs.String("team", "", "the team")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *username == "" {
		return fmt.Errorf("%w: --username is required", errUsage)
	}
	return withAdmin(ctx, e, func(a *admin.Admin) error {
		t, err := a.Team(ctx, *team)
		if errors.Is(err, admin.ErrNoTeam) {
			return fmt.Errorf("no team %q", *team)
		}
		if err != nil {
			return err
		}
		step, verb := a.AddMember, "joined"
		if !join {
			step, verb = a.RemoveMember, "left"
		}
		u, errs, err := step(ctx, nil, t, *username)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return fieldErrors(errs, teamFlags)
		}
		fmt.Fprintf(e.stdout, "%s %s %s\n", u.Username, verb, t.Name)
		return nil
	})
}

// teamList is a repeatable --team flag.
type teamList []string

func (l *teamList) String() string { return strings.Join(*l, ",") }
func (l *teamList) Set(s string) error {
	if !domain.ValidTeamName(s) {
		return errors.New(domain.TeamNameRule)
	}
	*l = append(*l, s)
	return nil
}

// teamsByName finds every team of names, refusing an unknown one before
// anything is changed.
func teamsByName(ctx context.Context, a *admin.Admin, names []string) ([]domain.Team, error) {
	teams := make([]domain.Team, 0, len(names))
	for _, n := range names {
		t, err := a.Team(ctx, n)
		if errors.Is(err, admin.ErrNoTeam) {
			return nil, fmt.Errorf("no team %q: create it first with portal teams add --name %s", n, n)
		}
		if err != nil {
			return nil, err
		}
		teams = append(teams, t)
	}
	return teams, nil
}

func cmdPolicies(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: policies needs an action (set, show)", errUsage)
	}
	switch args[0] {
	case "set":
		fs := flag.NewFlagSet("policies set", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		file := fs.String("file", "", "the rules document (JSON); - reads standard input")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		var doc []byte
		var err error
		switch *file {
		case "":
			return fmt.Errorf("%w: --file is required", errUsage)
		case "-":
			doc, err = readAll(e, policy.MaxDocument)
		default:
			doc, err = os.ReadFile(*file)
		}
		if err != nil {
			return err
		}
		// Checked before the database is opened: a mistake is told at once.
		if _, err := policy.Parse(doc); err != nil {
			return fmt.Errorf("the policies were not saved: %w", err)
		}
		return withAdmin(ctx, e, func(a *admin.Admin) error {
			v, ps, err := a.SavePolicies(ctx, nil, doc)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "saved policies version %d (%d rules)\n", v.ID, len(ps.Rules))
			return nil
		})
	case "show":
		if len(args) > 1 {
			return fmt.Errorf("%w: policies show takes no arguments", errUsage)
		}
		return withStore(ctx, e, func(st *store.Store) error {
			v, err := st.CurrentPolicies(ctx)
			if errors.Is(err, store.ErrNotFound) {
				fmt.Fprintln(e.stderr, "no policies saved: every request waits for an approver")
				return nil
			}
			if err != nil {
				return err
			}
			who := v.Author
			if who == "" {
				who = "the command line"
			}
			fmt.Fprintf(e.stderr, "version %d, saved %s by %s\n", v.ID, v.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), who)
			fmt.Fprint(e.stdout, strings.TrimRight(v.Document, "\n")+"\n")
			return nil
		})
	}
	return fmt.Errorf("%w: unknown policies action %q", errUsage, args[0])
}

// readAll reads standard input, at most max bytes.
func readAll(e env, max int) ([]byte, error) {
	doc, err := io.ReadAll(io.LimitReader(e.stdin, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("read the document: %w", err)
	}
	if len(doc) > max {
		return nil, fmt.Errorf("the document is larger than %d KiB", max>>10)
	}
	return doc, nil
}
