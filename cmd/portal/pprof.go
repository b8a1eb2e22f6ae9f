package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofAddrEnv opts in to Go's profiling endpoints (net/http/pprof) on a
// listener of their own, for `make bench` investigations: never on the
// portal's address, and only on a loopback address.
const pprofAddrEnv = "PORTAL_PPROF_ADDR"

// startPprof serves /debug/pprof/ on addr when it is set, until ctx ends.
func startPprof(ctx context.Context, e env, addr string) {
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		e.logger.Warn(pprofAddrEnv+" must be a loopback host:port: profiling stays off", "addr", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		e.logger.Info("profiling endpoints on", "url", "http://"+addr+"/debug/pprof/")
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.logger.Warn("pprof listener", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
}
