package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// portalProc is a running `bin/portal serve`.
type portalProc struct {
	cmd  *exec.Cmd
	base string
	env  []string
	done chan error
}

func portalEnv(env *environment, db string) []string {
	return []string{
		"DATABASE_URL=" + env.url(db),
		"PORTAL_DATA_DIR=" + filepath.Join(env.dir, "portal-data"),
		apiRateOff[0], apiRateOff[1],
	}
}

// portalCLI runs a subcommand of the portal binary (migrate, users add).
func portalCLI(ctx context.Context, o options, penv []string, stdin string, args ...string) error {
	cmd := exec.CommandContext(ctx, o.portalBin, args...)
	cmd.Env = append(os.Environ(), penv...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("portal %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func startPortal(ctx context.Context, o options, env *environment, penv []string) (*portalProc, error) {
	return startPortalLogged(ctx, o, env, penv, "portal.log")
}

// startPortalLogged is startPortal with its log in logName (a second
// portal beside the first).
func startPortalLogged(ctx context.Context, o options, env *environment, penv []string, logName string) (*portalProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	log, err := os.Create(filepath.Join(env.dir, logName))
	if err != nil {
		return nil, err
	}
	p := &portalProc{base: "http://" + addr, env: penv, done: make(chan error, 1)}
	p.cmd = exec.Command(o.portalBin, "serve")
	p.cmd.Env = append(os.Environ(), append(penv, "PORTAL_ADDR="+addr)...)
	if o.diag {
		p.cmd.Env = append(p.cmd.Env, "GODEBUG=gctrace=1")
	}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	go func() { p.done <- p.cmd.Wait(); log.Close() }()
	ready := waitFor(ctx, 60*time.Second, func() bool {
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !ready {
		p.stop()
		return nil, fmt.Errorf("portal did not become ready (see %s)", filepath.Join(env.dir, "portal.log"))
	}
	return p, nil
}

func (p *portalProc) pid() int { return p.cmd.Process.Pid }

func (p *portalProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// session is a signed-in browser session, or a personal access token of
// the JSON API, as wrk replays it.
type session struct {
	cookie string // the Cookie header
	csrf   string
	token  string // the bearer token (BENCH_TOKEN)
	client *http.Client
	base   string
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfOf(body string) string {
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// signIn signs in as username through the login form and returns the
// session's cookie and CSRF token.
func signIn(base, username, password string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	s := &session{client: c, base: base}
	_, body, err := s.get("/login")
	if err != nil {
		return nil, err
	}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}, "csrf_token": {csrfOf(body)}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in as %s: %s", username, resp.Status)
	}
	status, body, err := s.get("/requests/new")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || csrfOf(body) == "" {
		return nil, fmt.Errorf("signed in as %s but /requests/new answers %d", username, status)
	}
	s.csrf = csrfOf(body)
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	s.cookie = strings.Join(parts, "; ")
	return s, nil
}

func (s *session) get(path string) (int, string, error) {
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// wrkResult is what bench/wrk/report.lua prints.
type wrkResult struct {
	Requests      float64 `json:"requests"`
	DurationUS    float64 `json:"duration_us"`
	P50US         float64 `json:"p50_us"`
	P90US         float64 `json:"p90_us"`
	P99US         float64 `json:"p99_us"`
	MaxUS         float64 `json:"max_us"`
	ConnectErrors float64 `json:"connect_errors"`
	ReadErrors    float64 `json:"read_errors"`
	WriteErrors   float64 `json:"write_errors"`
	StatusErrors  float64 `json:"status_errors"`
	Timeouts      float64 `json:"timeouts"`
}

func (w wrkResult) rate() float64 { return w.Requests / (w.DurationUS / 1e6) }
func (w wrkResult) errors() float64 {
	return w.ConnectErrors + w.ReadErrors + w.WriteErrors + w.StatusErrors + w.Timeouts
}

// runWrk runs one wrk load: o.conns connections over 2 threads for
// o.duration, script from bench/wrk.
func runWrk(ctx context.Context, o options, script, target string, s *session) (wrkResult, error) {
	env := []string{"BENCH_WRK_DIR=" + filepath.Join(o.benchDir, "wrk")}
	if s != nil {
		env = append(env, "BENCH_COOKIE="+s.cookie, "BENCH_CSRF="+s.csrf, "BENCH_TOKEN="+s.token)
	}
	out, err := command(ctx, env, "", "wrk", "-t2", "-c"+strconv.Itoa(o.conns), "-d"+o.duration.String(),
		"--timeout", "10s", "-s", filepath.Join(o.benchDir, "wrk", script), target)
	if err != nil {
		return wrkResult{}, err
	}
	for _, line := range strings.Split(out, "\n") {
		if j, ok := strings.CutPrefix(line, "BENCH_JSON "); ok {
			var r wrkResult
			if err := json.Unmarshal([]byte(j), &r); err != nil {
				return wrkResult{}, fmt.Errorf("wrk output: %w", err)
			}
			if r.Requests == 0 {
				return r, fmt.Errorf("wrk made no request:\n%s", out)
			}
			return r, nil
		}
	}
	return wrkResult{}, fmt.Errorf("wrk printed no result:\n%s", out)
}

var (
	tpsLine     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latencyLine = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// pgbenchResult is a pgbench run: transactions per second and their mean
// latency (pgbench reports no percentiles without per-transaction logs).
type pgbenchResult struct{ tps, latencyMS, p99MS float64 }

// runPgbench runs script at o.conns clients for o.duration and returns the
// transactions per second.
func runPgbench(ctx context.Context, o options, dbURL, script string, defines ...string) (pgbenchResult, error) {
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(o.conns), "-j", "2",
		"-T", strconv.Itoa(int(o.duration.Seconds())), "-f", filepath.Join(o.benchDir, "pgbench", script)}
	for _, d := range defines {
		args = append(args, "-D", d)
	}
	// Per-transaction log, for the latency percentiles pgbench does not print.
	logDir, err := os.MkdirTemp("", "pgbench-log-")
	if err != nil {
		return pgbenchResult{}, err
	}
	defer os.RemoveAll(logDir)
	args = append(args, "-l", "--log-prefix", filepath.Join(logDir, "tx"), dbURL)
	out, err := command(ctx, nil, "", "pgbench", args...)
	if err != nil {
		return pgbenchResult{}, err
	}
	m, l := tpsLine.FindStringSubmatch(out), latencyLine.FindStringSubmatch(out)
	if m == nil || l == nil {
		return pgbenchResult{}, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	var r pgbenchResult
	r.tps, _ = strconv.ParseFloat(m[1], 64)
	r.latencyMS, _ = strconv.ParseFloat(l[1], 64)
	r.p99MS = pgbenchP99(logDir)
	return r, nil
}

// pgbenchP99 reads the per-transaction logs of pgbench -l (the third field
// is the transaction's latency in microseconds) and returns their 99th
// percentile in milliseconds.
func pgbenchP99(dir string) float64 {
	files, _ := filepath.Glob(filepath.Join(dir, "tx*"))
	var lat []float64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 3 {
				continue
			}
			if us, err := strconv.ParseFloat(fields[2], 64); err == nil {
				lat = append(lat, us/1000)
			}
		}
	}
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[min(len(lat)-1, len(lat)*99/100)]
}
