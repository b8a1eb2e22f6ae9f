package simulator

import "github.com/kvportal/kvportal/simulator/simconfig"

// Options are the settings of a standalone simulator server (Run): where it
// listens and its Config, declared in simconfig with their flags.
type Options = simconfig.Options

// Defaults of `portal sim`, written in simconfig: the simulator's own
// callers (the portal's built-in simulator, the benchmark) name them here.
const (
	DefaultAddr            = simconfig.DefaultAddr
	DefaultAccessKeyID     = simconfig.DefaultAccessKeyID
	DefaultAccessKeySecret = simconfig.DefaultAccessKeySecret
	DefaultCreatingDelay   = simconfig.DefaultCreatingDelay
)
