package main

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/store"
)

// provisioning is the running provisioner of this process.
type provisioning struct{}

// startProvisioner starts the provisioner's workers.
func startProvisioner(ctx context.Context, e env, cfg config.Config, st *store.Store, cl *cloud, reg prometheus.Registerer) (*provisioning, error) {
	return &provisioning{}, nil
}

// stop soft-stops the workers: in-flight calls finish within a grace period.
func (p *provisioning) stop() {}

func cmdProvision(ctx context.Context, e env, args []string) error {
	return errors.New("provision: not wired yet")
}
