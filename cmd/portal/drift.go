package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/drift"
	"github.com/kvportal/kvportal/store"
)

// errDrift is the outcome of a drift check that found something: the exit
// status is 1, the findings are on standard output.
var errDrift = errors.New("drift")

// cmdDrift is `portal drift`: the portal's records compared with the cloud
// now, one line per finding on standard output (the InstanceId, then what
// differs); exit status 1 when there is any, or when a region could not be
// listed, 0 when everything matches. It records nothing: /admin/drift shows
// the periodic check's findings.
func cmdDrift(ctx context.Context, e env, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: drift takes no arguments", errUsage)
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, e, cfg, 0)
	if err != nil {
		return err
	}
	defer db.close()
	cl, err := setupCloud(e, cfg)
	if err != nil {
		return err
	}
	defer cl.close()
	st := store.New(db.pool)
	rep, err := drift.Check(ctx, cl.api, st)
	if err != nil {
		return err
	}
	// What the periodic check mends is mended at once: a failed request
	// whose instance exists (its finding is still printed, and says so), a
	// resize for the maintenance window that took effect (no finding: said
	// on stderr, so that stdout stays one line per finding).
	mended, err := drift.Mend(ctx, st, rep)
	if err != nil {
		return err
	}
	for _, r := range mended.Resized {
		fmt.Fprintf(e.stderr, "portal drift: %s now runs as %s: the resize ordered for its maintenance window took effect\n", r.InstanceID, r.Class)
	}
	for _, f := range rep.Findings {
		line := drift.Describe(f)
		if mended.Adopted[f.RequestID] {
			line += ": the request now succeeded with it"
		}
		fmt.Fprintln(e.stdout, line)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(e.stderr, "portal drift: not checked:", p)
	}
	switch {
	case len(rep.Findings) > 0:
		return fmt.Errorf("%w: %s among %d instances", errDrift, domain.Count(strconv.Itoa(len(rep.Findings)+rep.Omitted), "finding"), rep.Compared)
	case len(rep.Problems) > 0:
		return fmt.Errorf("%w: the check is incomplete: %s", errDrift, strings.Join(rep.Problems, "; "))
	}
	return nil
}
