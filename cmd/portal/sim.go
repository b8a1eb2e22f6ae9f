package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/kvportal/kvportal/simulator"
)

// cmdSim runs the R-KVStore simulator as its own server.
func cmdSim(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	opts, err := simulator.BindFlags(fs, e.getenv)
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts.Config.Logger = e.logger
	return simulator.Run(ctx, *opts, func(endpoint string) {
		e.logger.Info("R-KVStore simulator listening", "endpoint", endpoint,
			"access_key_id", opts.Config.AccessKeyID, "latency", opts.Config.Latency,
			"throttle_rate", opts.Config.ThrottleRate, "error_rate", opts.Config.ErrorRate, "lost_rate", opts.Config.LostRate)
		fmt.Fprintf(e.stdout, "PORTAL_KVSTORE_ENDPOINT=%s\n", endpoint)
	})
}
