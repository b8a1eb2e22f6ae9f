package simulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a Simulator served over HTTP on a TCP address.
type Server struct {
	sim      *Simulator
	endpoint string
	http     *http.Server
	done     chan error
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves sim on
// its own goroutine until Shutdown. It is how `portal serve` runs the
// simulator in process: point the client at Endpoint.
func Start(addr string, sim *Simulator) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: listen on %s: %w", addr, err)
	}
	srv := &Server{
		sim:      sim,
		endpoint: endpointOf(ln.Addr().(*net.TCPAddr)),
		http: &http.Server{
			Handler:           sim,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		done: make(chan error, 1),
	}
	go func() {
		err := srv.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		srv.done <- err
	}()
	return srv, nil
}

// endpointOf returns the http:// endpoint that reaches a listening address:
// a wildcard address is reached on loopback.
func endpointOf(a *net.TCPAddr) string {
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

// Endpoint is the server's address as scheme://host:port, for
// rkvstore.ClientConfig.Endpoint.
func (s *Server) Endpoint() string { return s.endpoint }

// Simulator returns the simulator being served.
func (s *Server) Simulator() *Simulator { return s.sim }

// Shutdown stops accepting calls and waits, until ctx ends, for those under
// way to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		_ = s.http.Close()
		return err
	}
	return <-s.done
}

// Run is `portal sim`: it serves a simulator configured by opts until ctx
// ends, then shuts it down, giving calls under way a few seconds. ready, when
// not nil, is called with the endpoint once the server listens.
func Run(ctx context.Context, opts Options, ready func(endpoint string)) error {
	sim, err := New(opts.Config)
	if err != nil {
		return err
	}
	srv, err := Start(opts.Addr, sim)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(srv.Endpoint())
	}
	select {
	case <-ctx.Done():
	case err := <-srv.done:
		return err // the server stopped by itself
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
