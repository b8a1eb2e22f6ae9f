package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// otlpSink is an OTLP/HTTP receiver that takes every export and keeps
// nothing but its count and size: the far end of a traced portal, at no
// cost to the machine beyond reading the bytes.
type otlpSink struct {
	srv            *http.Server
	url            string
	exports, bytes atomic.Int64
}

func startOTLPSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		s.exports.Add(1)
		s.bytes.Add(n)
		// An empty body is an empty ExportTraceServiceResponse: all taken.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *otlpSink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// workload2c is the history page of workload 2a on a second `portal serve`
// with tracing on (every request sampled, spans sent to a local OTLP
// receiver), against the untraced portal p loaded the same way right before
// it in each run: the ratio is what tracing costs a busy page.
func workload2c(ctx context.Context, o options, env *environment, rep *report, p *portalProc, penv []string) error {
	sink, err := startOTLPSink()
	if err != nil {
		return err
	}
	defer sink.close()
	traced, err := startPortalLogged(ctx, o, env, append(penv[:len(penv):len(penv)],
		"OTEL_EXPORTER_OTLP_ENDPOINT="+sink.url, "OTEL_TRACES_SAMPLER=always_on"), "portal-traced.log")
	if err != nil {
		return err
	}
	defer traced.stop()
	plain, err := signIn(p.base, "bench-dev", benchPassword)
	if err != nil {
		return err
	}
	dev, err := signIn(traced.base, "bench-dev", benchPassword)
	if err != nil {
		return err
	}
	var rates, bases, ratios, p99s []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		b, err := runWrk(ctx, o, "get.lua", p.base+"/requests", plain)
		if err != nil {
			return err
		}
		before := sink.exports.Load()
		w, err := runWrk(ctx, o, "get.lua", traced.base+"/requests", dev)
		if err != nil {
			return err
		}
		if w.errors() > 0 || b.errors() > 0 {
			return fmt.Errorf("run %d: %v errors traced, %v untraced", i+1, w.errors(), b.errors())
		}
		rates, bases = append(rates, w.rate()), append(bases, b.rate())
		ratios, p99s = append(ratios, w.rate()/b.rate()), append(p99s, w.P99US/1000)
		runs = append(runs, fmt.Sprintf("run %d: traced %.0f/s (p50 %.1f ms, p99 %.1f ms), untraced %.0f/s (p50 %.1f ms, p99 %.1f ms); %d exports received",
			i+1, w.rate(), w.P50US/1000, w.P99US/1000, b.rate(), b.P50US/1000, b.P99US/1000, sink.exports.Load()-before))
		logf("  %s", runs[len(runs)-1])
	}
	if sink.exports.Load() == 0 {
		return fmt.Errorf("the traced portal sent no spans (see portal-traced.log)")
	}
	ratio := median(ratios)
	rep.add(row{n: "2c", workload: "history page (GET /requests), tracing on, every request sampled",
		result:   fmt.Sprintf("%.0f req/s, p99 %.1f ms", median(rates), median(p99s)),
		baseline: fmt.Sprintf("the same page untraced %.0f req/s", median(bases)),
		ratio:    fmt.Sprintf("%.0f%%", ratio*100), target: "—", met: true, runs: strings.Join(runs, "; "),
		repro: "`-only 2c`: a second `bin/portal serve` on the same database with `OTEL_EXPORTER_OTLP_ENDPOINT` at an in-process OTLP/HTTP receiver " +
			"(benchrun's, which reads and drops each export) and `OTEL_TRACES_SAMPLER=always_on`; `wrk -t2 -c32 -d" + o.duration.String() +
			" -s bench/wrk/get.lua` on /requests of the untraced portal, then of the traced one, in each run."})
	return nil
}
