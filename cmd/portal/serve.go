package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/web"
)

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	demo := fs.Bool("demo-users", false, "on first start, create the demo users dev, approver and admin and print their passwords")
	addr := fs.String("addr", "", "listen address (overrides PORTAL_ADDR)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	stopTracing, err := e.startTracing(ctx)
	if err != nil {
		return err
	}
	defer stopTracing() // after the server and the workers have stopped: their last spans go too
	db, st, wh, err := openMigratedStore(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer db.close()
	startPprof(ctx, e, cfg.PprofAddr)
	act := &activity{}
	go releaseWhenIdle(ctx, e, act)
	var created []demoUser
	if *demo {
		if created, err = createDemoUsers(ctx, st); err != nil {
			return err
		}
	}
	// The demo passwords exist nowhere else: a start that fails before its
	// banner still prints them.
	bannerShown := false
	defer func() {
		if !bannerShown && len(created) > 0 {
			printDemoPasswords(e.stdout, created)
		}
	}()

	reg := web.NewRegistry()
	cl, err := setupCloud(e, cfg)
	if err != nil {
		return err
	}
	defer cl.close()
	cl.startCatalog(ctx, e.clock) // for the form and its validation: serve only
	sealer, err := openSealer(cfg)
	if err != nil {
		return err
	}
	prov, err := startProvisioner(ctx, e, cfg, db, st, cl, sealer, wh, reg)
	if err != nil {
		return err
	}
	// The provisioner's River client is the queue approvals put jobs in.
	srv, err := newWebServer(ctx, e, cfg, st, cl, prov.prov, sealer, reg, wh)
	if err != nil {
		prov.stop()
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		prov.stop()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	httpSrv := &http.Server{Handler: act.wrap(e.tracing.Handler(srv)), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
		// Not the command's ctx: a stop lets the requests under way finish.
		BaseContext: func(net.Listener) context.Context { return store.WithGentleCancel(context.Background()) }}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	e.logger.Info("KVPortal is serving", "url", "http://"+ln.Addr().String(), "simulated_cloud", cfg.Simulated())
	readyBanner{url: browserURL(ln.Addr()), simulated: cfg.Simulated(), demo: *demo, created: created,
		demoNames: demoUserNames(), prog: progName()}.write(e.stdout)
	bannerShown = true

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	e.logger.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		e.logger.Warn("http shutdown", "err", err)
	}
	e.logger.Info("shutting down: letting in-flight provisioning calls finish")
	prov.stop()
	e.logger.Info("stopped")
	return nil
}

// demoUsers are the users --demo-users creates.
var demoUsers = []struct {
	name string
	role domain.Role
}{{"dev", domain.RoleRequester}, {"approver", domain.RoleApprover}, {"admin", domain.RoleAdmin}}

func demoUserNames() []string {
	names := make([]string, len(demoUsers))
	for i, d := range demoUsers {
		names[i] = d.name
	}
	return names
}

// createDemoUsers creates dev, approver and admin with random passwords the
// first time, and returns them with their passwords for the banner; later
// starts find them and return none.
func createDemoUsers(ctx context.Context, st *store.Store) ([]demoUser, error) {
	var created []demoUser
	for _, d := range demoUsers {
		if _, err := st.UserByUsername(ctx, d.name); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		password := auth.GeneratePassword()
		hash, err := auth.HashPassword(password)
		if err != nil {
			return nil, err
		}
		if _, err := st.CreateUser(ctx, d.name, d.role, hash, nil); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				continue // another process created it at the same moment
			}
			return nil, err
		}
		created = append(created, demoUser{name: d.name, role: string(d.role), password: password})
	}
	if wasCreated(created, demoUsers[0].name) {
		if err := createDemoTeam(ctx, st); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// The demo team: dev's creations are prefilled with its whitelist, so that
// an instance made in the demo is ready to connect from private networks,
// and count against its limits on its team page.
const (
	demoTeam      = "demo"
	demoWhitelist = "10.0.0.0/8,192.168.0.0/16"
)

// createDemoTeam makes the demo team, with dev in it, when dev is made.
func createDemoTeam(ctx context.Context, st *store.Store) error {
	maxInstances, maxSpend := 10, 5000.0
	t, err := st.CreateTeam(ctx, demoTeam, &maxInstances, &maxSpend, nil)
	if errors.Is(err, store.ErrDuplicate) {
		return nil // made by an earlier start, or another process now
	}
	if err != nil {
		return err
	}
	dev, err := st.UserByUsername(ctx, demoUsers[0].name)
	if err != nil {
		return err
	}
	if err := st.AddMember(ctx, t.ID, dev.ID, nil); err != nil {
		return err
	}
	return st.SetTeamWhitelist(ctx, t.ID, demoWhitelist, nil)
}
