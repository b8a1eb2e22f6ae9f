package config

import (
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/simulator"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.RetryBaseDelay != 2*time.Second || c.MaxAttempts != 8 ||
		c.LeaseTimeout != 60*time.Second || c.ProvisionerConcurrency != 4 || !c.Simulated() ||
		c.RequeueWindow != 7*24*time.Hour {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if !strings.HasSuffix(c.DataDir, "/.portal") {
		t.Fatalf("data dir %q", c.DataDir)
	}
}

// pooledURL is a database behind a pooler, for the database variables'
// tests.
const pooledURL = "postgres://portal@pgbouncer:6432/portal?sslmode=disable"

// Behind a transaction pooler: a URL with only what PgBouncer passes on is
// accepted, and River polls unless a direct URL is there for its LISTEN.
func TestPooler(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil || c.DBPooler != PoolerNone || c.RiverPollOnly() {
		t.Fatalf("default: %q poll only %v, %v", c.DBPooler, c.RiverPollOnly(), err)
	}
	vars := map[string]string{"DATABASE_URL": pooledURL + "&application_name=kvportal&timezone=UTC", "PORTAL_DB_POOLER": "transaction"}
	c, err = Load(env(vars))
	if err != nil || !c.DBPooler.Transaction() || !c.RiverPollOnly() {
		t.Fatalf("transaction pooler: %q poll only %v, %v", c.DBPooler, c.RiverPollOnly(), err)
	}
	vars["DATABASE_DIRECT_URL"] = "postgres://portal@db:5432/portal?search_path=portal"
	c, err = Load(env(vars))
	if err != nil || c.RiverPollOnly() || c.DatabaseDirectURL != vars["DATABASE_DIRECT_URL"] {
		t.Fatalf("with a direct URL: poll only %v, %v", c.RiverPollOnly(), err)
	}
	vars = map[string]string{"DATABASE_URL": pooledURL + "&search_path=portal", "PORTAL_DB_POOLER": "session"}
	if c, err = Load(env(vars)); err != nil || c.DBPooler.Transaction() || c.RiverPollOnly() {
		t.Fatalf("session pooler: %q, %v", c.DBPooler, err)
	}
}

func TestBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PORTAL_LEASE_TIMEOUT": "5x"}, "PORTAL_LEASE_TIMEOUT: not a duration: 5x"},
		{map[string]string{"PORTAL_RETRY_BASE_DELAY": "-1s"}, "PORTAL_RETRY_BASE_DELAY: must be positive: -1s"},
		{map[string]string{"PORTAL_MAX_ATTEMPTS": "many"}, "PORTAL_MAX_ATTEMPTS: not a whole number: many"},
		{map[string]string{"PORTAL_PROVISIONER_CONCURRENCY": "0"}, "PORTAL_PROVISIONER_CONCURRENCY: must be at least 1: 0"},
		{map[string]string{"PORTAL_ADDR": "8080"}, "PORTAL_ADDR: not a host:port address: 8080"},
		{map[string]string{"PORTAL_KVSTORE_ENDPOINT": "ftp://x"}, "PORTAL_KVSTORE_ENDPOINT: not a scheme://host[:port] endpoint"},
		{map[string]string{"PORTAL_KVSTORE_ENDPOINT": "http://r-kvstore.example", "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}, "PORTAL_KVSTORE_ENDPOINT: not a scheme://host[:port] endpoint"},
		{map[string]string{"PORTAL_KVSTORE_ENDPOINT": "https://r-kvstore.example/v1", "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}, "PORTAL_KVSTORE_ENDPOINT: not a scheme://host[:port] endpoint"},
		{map[string]string{"PORTAL_KVSTORE_ENDPOINT": "https://r-kvstore.example"}, "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are required"},
		{map[string]string{"PORTAL_TRUST_PROXY": "perhaps"}, "PORTAL_TRUST_PROXY: not true or false: perhaps"},
		{map[string]string{"PORTAL_LEASE_TIMEOUT": "1s"}, "PORTAL_LEASE_TIMEOUT: must be at least 5s"},
		{map[string]string{"PORTAL_WEBHOOK_URL": "http://hooks.example/x"}, "PORTAL_WEBHOOK_URL: plain http:// is only allowed to a loopback host"},
		{map[string]string{"PORTAL_WEBHOOK_URL": "ftp://127.0.0.1/x"}, "PORTAL_WEBHOOK_URL: must start with https://"},
		{map[string]string{"PORTAL_WEBHOOK_URL": "hooks.example/x"}, "PORTAL_WEBHOOK_URL: not an http(s)://host"},
		{map[string]string{"PORTAL_WEBHOOK_URL": "https://u:pw@hooks.example/x"}, "PORTAL_WEBHOOK_URL: not an http(s)://host"},
		{map[string]string{"PORTAL_WEBHOOK_SECRET": "s3cret"}, "PORTAL_WEBHOOK_SECRET is set without PORTAL_WEBHOOK_URL"},
		{map[string]string{"PORTAL_PUBLIC_URL": "portal.example.com"}, "PORTAL_PUBLIC_URL: not an http(s)://host"},
		{map[string]string{"PORTAL_LOCAL_LOGIN": "false"}, "PORTAL_LOCAL_LOGIN=false needs PORTAL_OIDC_ISSUER"},
		{map[string]string{"PORTAL_OIDC_CLIENT_ID": "kv"}, "PORTAL_OIDC_CLIENT_ID or PORTAL_OIDC_CLIENT_SECRET is set without PORTAL_OIDC_ISSUER"},
		{oidcEnv("PORTAL_OIDC_ISSUER", "http://idp.example"), "PORTAL_OIDC_ISSUER: plain http:// is only allowed to a loopback host"},
		{oidcEnv("PORTAL_OIDC_CLIENT_SECRET", ""), "PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET are required"},
		{oidcEnv("PORTAL_OIDC_SCOPES", "profile email"), "PORTAL_OIDC_SCOPES: must include openid"},
		{oidcEnv("PORTAL_OIDC_ADMIN_GROUPS", " , "), "needs at least one of PORTAL_OIDC_ADMIN_GROUPS"},
		{map[string]string{"PORTAL_PUBLIC_URL": "https://portal.example.com/?x=1"}, "PORTAL_PUBLIC_URL: not an http(s)://host"},
		{map[string]string{"PORTAL_REQUEUE_WINDOW": "7d"}, "PORTAL_REQUEUE_WINDOW: not a duration: 7d"},
		{map[string]string{"DATABASE_URL": pooledURL, "PORTAL_DB_POOLER": "statement"}, "PORTAL_DB_POOLER: one of none, session, transaction: statement"},
		{map[string]string{"PORTAL_DB_POOLER": "transaction"}, "DATABASE_DIRECT_URL and PORTAL_DB_POOLER need DATABASE_URL"},
		{map[string]string{"DATABASE_DIRECT_URL": "postgres://db:5432/portal"}, "DATABASE_DIRECT_URL and PORTAL_DB_POOLER need DATABASE_URL"},
		{map[string]string{"DATABASE_URL": pooledURL, "DATABASE_DIRECT_URL": "postgres://db:port/portal"}, "DATABASE_DIRECT_URL: "},
		{map[string]string{"DATABASE_URL": pooledURL + "&search_path=portal", "PORTAL_DB_POOLER": "transaction"}, "the start-up parameter search_path is refused by PgBouncer"},
		{map[string]string{"DATABASE_URL": pooledURL + "&options=-c%20statement_timeout%3D5s", "PORTAL_DB_POOLER": "transaction"}, "the start-up parameter options is refused by PgBouncer"},
		{map[string]string{"DATABASE_URL": pooledURL + "&default_query_exec_mode=describe_exec", "PORTAL_DB_POOLER": "transaction"}, "DATABASE_URL: default_query_exec_mode=describe_exec does not work through a transaction pooler"},
		{map[string]string{"PORTAL_SIM_LATENCY": "soon"}, "PORTAL_SIM_LATENCY"},
	}
	for _, tc := range cases {
		_, err := Load(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: error %v, want %q", tc.env, err, tc.want)
		}
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, err := Load(env(map[string]string{"PORTAL_LEASE_TIMEOUT": "5x", "PORTAL_MAX_ATTEMPTS": "x"}))
	if err == nil || !strings.Contains(err.Error(), "PORTAL_LEASE_TIMEOUT") || !strings.Contains(err.Error(), "PORTAL_MAX_ATTEMPTS") {
		t.Fatalf("want both errors, got %v", err)
	}
}

func TestValuesRead(t *testing.T) {
	c, err := Load(env(map[string]string{
		"PORTAL_ADDR": "0.0.0.0:9000", "DATABASE_URL": "postgres://x/y", "PORTAL_RETRY_BASE_DELAY": "250ms",
		"PORTAL_MAX_ATTEMPTS": "3", "PORTAL_LEASE_TIMEOUT": "30s", "PORTAL_PROVISIONER_CONCURRENCY": "32",
		"PORTAL_KVSTORE_ENDPOINT": "https://r-kvstore.example", "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DatabaseURL != "postgres://x/y" || c.RetryBaseDelay != 250*time.Millisecond ||
		c.MaxAttempts != 3 || c.LeaseTimeout != 30*time.Second || c.ProvisionerConcurrency != 32 || c.Simulated() {
		t.Fatalf("unexpected: %+v", c)
	}
}

// oidcEnv is a valid single sign-on configuration with name set to value.
func oidcEnv(name, value string) map[string]string {
	m := map[string]string{"PORTAL_OIDC_ISSUER": "https://idp.example/realms/acme", "PORTAL_OIDC_CLIENT_ID": "kvportal",
		"PORTAL_OIDC_CLIENT_SECRET": "s3cret", "PORTAL_OIDC_ADMIN_GROUPS": "kv-admins"}
	m[name] = value
	return m
}

func TestOIDC(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil || c.OIDC.Issuer != "" || !c.LocalLogin || c.OIDC.GroupsClaim != "groups" ||
		strings.Join(c.OIDC.Scopes, " ") != "openid profile email groups" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	e := oidcEnv("PORTAL_OIDC_APPROVER_GROUPS", "kv-approvers, release managers ,")
	e["PORTAL_LOCAL_LOGIN"] = "false"
	e["PORTAL_OIDC_GROUPS_CLAIM"] = "roles"
	c, err = Load(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if c.LocalLogin || c.OIDC.GroupsClaim != "roles" || strings.Join(c.OIDC.ApproverGroups, "|") != "kv-approvers|release managers" ||
		strings.Join(c.OIDC.AdminGroups, "|") != "kv-admins" || len(c.OIDC.RequesterGroups) != 0 {
		t.Fatalf("read: %+v", c.OIDC)
	}
	if _, err := Load(env(oidcEnv("PORTAL_OIDC_ISSUER", "http://127.0.0.1:5556/dex"))); err != nil {
		t.Errorf("a loopback http issuer: %v", err)
	}
}

// PORTAL_OIDC_TEAM_GROUPS maps groups to teams: group=team pairs, a group
// to several teams, several groups to one; a team's name must be one.
func TestOIDCTeamGroups(t *testing.T) {
	t.Parallel()
	c, err := Load(env(oidcEnv("PORTAL_OIDC_TEAM_GROUPS", "kv-pay=payments, kv-pay = billing,pay-oncall=payments,kv-pay=payments")))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.OIDC.TeamGroups; len(got) != 2 || strings.Join(got["kv-pay"], "|") != "payments|billing" ||
		strings.Join(got["pay-oncall"], "|") != "payments" {
		t.Fatalf("read: %v", got)
	}
	for _, bad := range []string{"kv-pay", "=payments", "kv-pay=Payments", "kv-pay=none"} {
		if _, err := Load(env(oidcEnv("PORTAL_OIDC_TEAM_GROUPS", bad))); err == nil || !strings.Contains(err.Error(), "PORTAL_OIDC_TEAM_GROUPS") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// The public URL defaults to the listen address over http; https makes
// the portal's cookies Secure.
func TestPublicURL(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"PORTAL_ADDR": "0.0.0.0:9000"}))
	if err != nil || c.BaseURL() != "http://0.0.0.0:9000" || c.HTTPS() {
		t.Fatalf("default: %q %v %v", c.BaseURL(), c.HTTPS(), err)
	}
	c, err = Load(env(map[string]string{"PORTAL_PUBLIC_URL": "https://portal.example.com/kv/"}))
	if err != nil || c.BaseURL() != "https://portal.example.com/kv" || !c.HTTPS() {
		t.Fatalf("set: %q %v %v", c.BaseURL(), c.HTTPS(), err)
	}
}

func TestSimulator(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"PORTAL_SIM_LATENCY": "250ms", "PORTAL_SIM_LOST_RATE": "0.25", "PORTAL_SIM_STATE": "/tmp/from-env.json",
		"PORTAL_SIM_ERROR_RATE": "0.1", "PORTAL_SIM_ADDR": "127.0.0.1:9999", "PORTAL_SIM_ACCESS_KEY_ID": "env-key",
		"PORTAL_SIM_SOLD_OUT_ZONES": "cn-hangzhou-b, cn-hangzhou-g", "PORTAL_SIM_INSTANCE_QUOTA": "3",
		"PORTAL_PPROF_ADDR": "127.0.0.1:6060",
	}
	c, err := Load(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Sim
	if o.Addr != "127.0.0.1:9999" || o.Config.Latency != 250*time.Millisecond || o.Config.LostRate != 0.25 ||
		o.Config.StatePath != "/tmp/from-env.json" || o.Config.ErrorRate != 0.1 || o.Config.AccessKeyID != "env-key" ||
		o.Config.AccessKeySecret != simulator.DefaultAccessKeySecret || o.Config.CreatingDelay != simulator.DefaultCreatingDelay ||
		strings.Join(o.Config.SoldOutZones, ",") != "cn-hangzhou-b,cn-hangzhou-g" || o.Config.InstanceQuota != 3 {
		t.Errorf("simulator options = %+v", o)
	}
	if c.PprofAddr != "127.0.0.1:6060" {
		t.Errorf("PprofAddr = %q", c.PprofAddr)
	}
	// A real endpoint: the simulator's variables are not read at all.
	vars["PORTAL_SIM_LATENCY"] = "soon"
	vars["PORTAL_KVSTORE_ENDPOINT"] = "https://r-kvstore.example"
	vars["ALIBABA_CLOUD_ACCESS_KEY_ID"], vars["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "id", "s"
	if _, err := Load(env(vars)); err != nil {
		t.Errorf("real endpoint: %v", err)
	}
}

func TestWebhookURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"https://hooks.example/kvportal?token=abc", "http://127.0.0.1:9000/hook", "http://[::1]:9000/", "http://localhost/hook"} {
		c, err := Load(env(map[string]string{"PORTAL_WEBHOOK_URL": u, "PORTAL_WEBHOOK_SECRET": "s3cret"}))
		if err != nil {
			t.Errorf("PORTAL_WEBHOOK_URL=%s: %v", u, err)
			continue
		}
		if c.WebhookURL != u || c.WebhookSecret != "s3cret" {
			t.Errorf("PORTAL_WEBHOOK_URL=%s: read %q, %q", u, c.WebhookURL, c.WebhookSecret)
		}
	}
	c, err := Load(env(nil))
	if err != nil || c.WebhookURL != "" || c.WebhookSecret != "" {
		t.Fatalf("webhooks must be off by default: %+v, %v", c, err)
	}
}

func TestWebhookURLErrorHidesQuery(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{"PORTAL_WEBHOOK_URL": "http://hooks.example/x?token=very-secret"}))
	if err == nil || strings.Contains(err.Error(), "very-secret") {
		t.Fatalf("error %v: want an error without the URL's query", err)
	}
}

func TestSlack(t *testing.T) {
	t.Parallel()
	all := map[string]string{"PORTAL_SLACK_BOT_TOKEN": "xoxb-1-secret-token", "PORTAL_SLACK_SIGNING_SECRET": "signing-secret-value",
		"PORTAL_SLACK_CHANNEL": "C0123ABCD"}
	c, err := Load(env(all))
	if err != nil || !c.Slack.Enabled() || c.Slack.Channel != "C0123ABCD" || c.Slack.SigningSecret != "signing-secret-value" {
		t.Fatalf("all three: %+v %v", c.Slack, err)
	}
	if c, err := Load(env(nil)); err != nil || c.Slack.Enabled() {
		t.Fatalf("Slack must be off by default: %+v %v", c.Slack, err)
	}
	for name, edit := range map[string]func(map[string]string){
		"no channel":   func(m map[string]string) { delete(m, "PORTAL_SLACK_CHANNEL") },
		"no secret":    func(m map[string]string) { delete(m, "PORTAL_SLACK_SIGNING_SECRET") },
		"channel name": func(m map[string]string) { m["PORTAL_SLACK_CHANNEL"] = "#approvals" },
		"user token":   func(m map[string]string) { m["PORTAL_SLACK_BOT_TOKEN"] = "xoxp-1-secret-token" },
		"match by email without Slack": func(m map[string]string) {
			delete(m, "PORTAL_SLACK_BOT_TOKEN")
			delete(m, "PORTAL_SLACK_SIGNING_SECRET")
			delete(m, "PORTAL_SLACK_CHANNEL")
			m["PORTAL_SLACK_MATCH_EMAIL"] = "true"
		},
	} {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		edit(m)
		_, err := Load(env(m))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), "signing-secret-value") {
			t.Errorf("%s: the error shows a secret: %v", name, err)
		}
	}
	_, err = Load(env(map[string]string{"PORTAL_SLACK_BOT_TOKEN": "xoxb-1-secret-token"}))
	if err == nil || !strings.Contains(err.Error(), "PORTAL_SLACK_SIGNING_SECRET and PORTAL_SLACK_CHANNEL missing") {
		t.Errorf("a partial set: %v", err)
	}
}
