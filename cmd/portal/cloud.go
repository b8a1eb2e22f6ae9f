package main

import (
	"context"

	"github.com/kvportal/kvportal/config"
)

// cloud is the R-KVStore API this process talks to: the real endpoint, or
// the built-in simulator started here.
type cloud struct{}

func setupCloud(ctx context.Context, e env, cfg config.Config) (*cloud, error) {
	return &cloud{}, nil
}

func (c *cloud) close() {}
