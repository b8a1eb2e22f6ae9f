package main

import (
	"context"
	"errors"
)

func cmdSim(ctx context.Context, e env, args []string) error {
	return errors.New("sim: not wired yet")
}
