package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"

	"github.com/kvportal/kvportal/rkvstore"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/simulator/simconfig"
)

// cmdSim runs the R-KVStore simulator as its own server, or, with delete,
// rename or resize, changes an instance of a running one behind the portal's
// back.
func cmdSim(ctx context.Context, e env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "delete", "rename", "resize":
			return cmdSimChange(ctx, e, args[0], args[1:])
		}
	}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	opts, err := config.Simulator(e.getenv)
	if err != nil {
		return err
	}
	simconfig.BindFlags(fs, &opts)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts.Config.Logger = e.logger
	return simulator.Run(ctx, opts, func(endpoint string) {
		e.logger.Info("R-KVStore simulator listening", "endpoint", endpoint,
			"access_key_id", opts.Config.AccessKeyID, "latency", opts.Config.Latency,
			"throttle_rate", opts.Config.ThrottleRate, "error_rate", opts.Config.ErrorRate, "lost_rate", opts.Config.LostRate)
		fmt.Fprintf(e.stdout, "PORTAL_KVSTORE_ENDPOINT=%s\n", endpoint)
	})
}

// cmdSimChange is `portal sim delete|rename|resize`: one call to a running
// simulator, signed with its key pair (the simulator's own variables and
// defaults, so that a default `portal sim` needs no flag but the instance),
// sent by the portal's own cloud client as the provisioner sends its calls:
// a test or a person makes the cloud drift from the portal's records
// without touching the portal.
func cmdSimChange(ctx context.Context, e env, verb string, args []string) error {
	fs := flag.NewFlagSet("sim "+verb, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	defaultEndpoint := "http://" + cmp.Or(e.getenv("PORTAL_SIM_ADDR"), simulator.DefaultAddr)
	var remote rkvstore.ClientConfig
	fs.StringVar(&remote.Endpoint, "endpoint", defaultEndpoint, "the running simulator, http://host:port")
	fs.StringVar(&remote.AccessKeyID, "access-key-id", cmp.Or(e.getenv("PORTAL_SIM_ACCESS_KEY_ID"), simulator.DefaultAccessKeyID), "the simulator's access key ID (env PORTAL_SIM_ACCESS_KEY_ID)")
	fs.StringVar(&remote.AccessKeySecret, "access-key-secret", cmp.Or(e.getenv("PORTAL_SIM_ACCESS_KEY_SECRET"), simulator.DefaultAccessKeySecret), "the simulator's access key secret (env PORTAL_SIM_ACCESS_KEY_SECRET)")
	id := fs.String("instance-id", "", "the instance to change (required)")
	var value *string
	switch verb {
	case "rename":
		value = fs.String("name", "", "the instance's new name (required)")
	case "resize":
		value = fs.String("class", "", "the instance's new class (required)")
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *id == "" || (value != nil && *value == "") || fs.NArg() > 0 {
		return fmt.Errorf("%w: portal sim %s needs --instance-id%s and nothing else", errUsage, verb, map[string]string{"rename": " and --name", "resize": " and --class"}[verb])
	}
	cl, err := rkvstore.NewClient(remote)
	if err != nil {
		return err
	}
	// The simulator finds an instance by its id in any region: the region
	// only signs the call.
	const region = "cn-hangzhou"
	switch verb {
	case "delete":
		err = cl.DeleteInstance(ctx, region, *id)
	case "rename":
		err = cl.RenameInstance(ctx, region, *id, *value)
	case "resize":
		_, err = cl.ModifyInstanceSpec(ctx, region, *id, rkvstore.SpecChange{InstanceClass: *value})
	}
	if err != nil {
		if ae := rkvstore.Classify(err); ae.Code != "" {
			return fmt.Errorf("simulator: %s refused: %s: %s", verb, ae.Code, ae.Message)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s done\n", *id, verb)
	return nil
}
