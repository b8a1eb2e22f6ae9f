package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/kvportal/kvportal/config"
)

func cmdMigrate(ctx context.Context, e env, args []string) error {
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	if len(args) > 1 {
		return fmt.Errorf("%w: migrate takes one of up, down, status", errUsage)
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, e, cfg, 0)
	if err != nil {
		return err
	}
	defer db.close()
	p, sdb, err := db.migrator()
	if err != nil {
		return err
	}
	defer sdb.Close()
	switch action {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(e.stdout, "applied %d %s (%s)\n", r.Source.Version, migrationName(r.Source), r.Duration.Round(time.Millisecond))
		}
		if err == nil && len(res) == 0 {
			fmt.Fprintln(e.stdout, "database is up to date")
		}
		return err
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Fprintf(e.stdout, "rolled back %d %s\n", r.Source.Version, migrationName(r.Source))
		}
		return err
	case "status":
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tMIGRATION\tSTATE\tAPPLIED AT")
		for _, s := range st {
			at := "-"
			if !s.AppliedAt.IsZero() {
				at = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", s.Source.Version, migrationName(s.Source), s.State, at)
		}
		return w.Flush()
	}
	return fmt.Errorf("%w: unknown migrate action %q (up, down, status)", errUsage, action)
}

// migrationName is a migration's file, or what a Go migration does.
func migrationName(src *goose.Source) string {
	if src.Path != "" {
		return src.Path
	}
	return "(go) River queue schema"
}
