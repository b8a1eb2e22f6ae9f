// Package config reads KVPortal's configuration from the environment, once,
// into a Config that cmd/portal passes to everything else. It owns the names
// and parsing of every PORTAL_* variable so that a bad value is reported in
// one place with the variable's name.
//
// It sits below the packages it configures: of the portal's packages it
// imports only domain and three leaves that import none of the portal's
// packages but domain (a rule internal/imports holds). A default or a rule
// it shares with a configured package is written once, where both can read
// it: package defaults holds the provisioner's, the store's, the API's and
// single sign-on's defaults, domain the lease's, endpoint the rule of the
// URLs the portal calls, simconfig the simulator's settings and flags.
// Single sign-on's settings are a plain OIDC struct of config's own, which
// cmd/portal copies into auth's. So config builds without the store, the
// cloud's SDK or the web server, and anything may read a Config.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/defaults"
	"github.com/kvportal/kvportal/internal/endpoint"
	"github.com/kvportal/kvportal/simulator/simconfig"
)

// Config is the whole configuration of a portal process.
type Config struct {
	// Addr is the HTTP listen address (PORTAL_ADDR).
	Addr string
	// DatabaseURL is the Postgres connection string (DATABASE_URL); empty
	// means an embedded Postgres in DataDir.
	DatabaseURL string
	// DatabaseDirectURL, when set (DATABASE_DIRECT_URL), reaches Postgres
	// itself while DatabaseURL goes through a pooler: migrations and River's
	// client (LISTEN for new jobs) use it.
	DatabaseDirectURL string
	// DBPooler is what DatabaseURL goes through (PORTAL_DB_POOLER).
	DBPooler Pooler
	// DataDir holds the embedded database and generated keys (PORTAL_DATA_DIR).
	DataDir string
	// KVStoreEndpoint is the R-KVStore API endpoint (PORTAL_KVSTORE_ENDPOINT);
	// empty means the built-in simulator.
	KVStoreEndpoint string
	// AccessKeyID and AccessKeySecret are the cloud credentials.
	AccessKeyID     string
	AccessKeySecret string
	// RetryBaseDelay is the first retry delay, doubling with jitter.
	RetryBaseDelay time.Duration
	// MaxAttempts is the number of attempts before a retryable error fails.
	MaxAttempts int
	// LeaseTimeout bounds one provisioning attempt.
	LeaseTimeout time.Duration
	// ProvisionerConcurrency is the number of parallel CreateInstance calls.
	ProvisionerConcurrency int
	// SessionKeys, when set (PORTAL_SESSION_KEY), replace the generated
	// session keys: hex or base64, 64 bytes (32 to sign, 32 to encrypt).
	SessionKey string
	// SecretKey, when set (PORTAL_SECRET_KEY), replaces the generated key that
	// encrypts stored instance passwords: 32 bytes, hex or base64.
	SecretKey string
	// TrustProxy makes the portal believe X-Forwarded-Proto and
	// X-Forwarded-For (PORTAL_TRUST_PROXY=true).
	TrustProxy bool
	// WebhookURL, when set (PORTAL_WEBHOOK_URL), receives a JSON event when
	// a request needs approval, is decided and is finished: https://, or
	// http:// to a loopback host only. Empty: no notifications.
	WebhookURL string
	// WebhookSecret, when set (PORTAL_WEBHOOK_SECRET), signs each delivery:
	// X-KVPortal-Signature: sha256=<hex HMAC-SHA256 of the body>.
	WebhookSecret string
	// PublicURL is the URL people reach the portal at (PORTAL_PUBLIC_URL),
	// without a trailing slash; empty: BaseURL derives it from Addr.
	PublicURL string
	// OIDC is single sign-on through the organisation's identity provider.
	OIDC OIDC
	// LocalLogin allows password sign-in (PORTAL_LOCAL_LOGIN).
	LocalLogin bool
	// RequeueWindow is how long a failed request keeps its sealed password
	// for a re-queue (PORTAL_REQUEUE_WINDOW).
	RequeueWindow time.Duration
	// MinLease is the shortest lease accepted (PORTAL_MIN_LEASE), and
	// LeaseSweepInterval how often leases are warned about and ended
	// (PORTAL_LEASE_SWEEP_INTERVAL).
	MinLease           time.Duration
	LeaseSweepInterval time.Duration
	// APIRate and APIBurst limit the JSON API per token: APIRate requests
	// a second on average, bursts of APIBurst (PORTAL_API_RATE,
	// PORTAL_API_BURST).
	APIRate  int
	APIBurst int
	// PprofAddr, when set (PORTAL_PPROF_ADDR), serves Go's profiling
	// endpoints on this loopback host:port, for benchmark investigations.
	PprofAddr string
	// Slack is the Slack app that posts requests for approval; its zero
	// value is off.
	Slack Slack
	// Sim are the built-in simulator's settings (PORTAL_SIM_*, see
	// Simulator), read only when the portal is Simulated.
	Sim simconfig.Options
}

// OIDC are the single sign-on settings (PORTAL_OIDC_*), as auth.OIDCConfig
// takes them: cmd/portal copies each field there. They are plain values of
// config's own so that config need not import auth, and through it the
// store.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scopes asked for; "openid" must be among them.
	Scopes []string
	// GroupsClaim names the ID token claim listing the user's groups.
	GroupsClaim string
	// Groups per role: the highest role whose groups the user is in wins.
	AdminGroups, ApproverGroups, RequesterGroups []string
	// TeamGroups maps a group to the teams its members are in.
	TeamGroups map[string][]string
}

// Slack are the Slack app's settings: all three set, or none.
type Slack struct {
	// BotToken is the app's bot token, xoxb-… (PORTAL_SLACK_BOT_TOKEN).
	BotToken string
	// SigningSecret checks that interactions come from Slack
	// (PORTAL_SLACK_SIGNING_SECRET).
	SigningSecret string
	// Channel is the default channel id requests are posted to
	// (PORTAL_SLACK_CHANNEL); a team's own channel overrides it.
	Channel string
	// MatchEmail matches a Slack account that was never linked to the
	// portal user whose identity provider verified the same email address
	// (PORTAL_SLACK_MATCH_EMAIL).
	MatchEmail bool
}

// Enabled reports whether Slack approvals are on.
func (s Slack) Enabled() bool { return s.BotToken != "" }

// Pooler is what stands between the portal and Postgres on DATABASE_URL.
type Pooler string

const (
	// PoolerNone: DATABASE_URL is Postgres itself.
	PoolerNone Pooler = "none"
	// PoolerSession: a pooler that gives each client a server connection
	// for as long as it is connected (PgBouncer's session mode): to the
	// portal the same as none.
	PoolerSession Pooler = "session"
	// PoolerTransaction: a pooler that lends a server connection for one
	// transaction only (PgBouncer's transaction mode). Nothing may outlive
	// a transaction on a connection: no named prepared statements, no
	// LISTEN, no session SET or advisory lock.
	PoolerTransaction Pooler = "transaction"
)

// Transaction reports whether DATABASE_URL goes through a transaction
// pooler.
func (p Pooler) Transaction() bool { return p == PoolerTransaction }

// RiverPollOnly reports whether River's client must poll for new jobs
// rather than LISTEN: LISTEN through a transaction pooler is lost when the
// server connection goes back to the pool, and no direct URL was given.
func (c Config) RiverPollOnly() bool {
	return c.DBPooler.Transaction() && c.DatabaseDirectURL == ""
}

// BaseURL is the URL people reach the portal at: PORTAL_PUBLIC_URL, or
// http:// and the listen address. Links in notifications and the single
// sign-on redirect URI start with it.
func (c Config) BaseURL() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.Addr
}

// HTTPS reports whether people reach the portal over https (BaseURL):
// session cookies are then always Secure.
func (c Config) HTTPS() bool { return strings.HasPrefix(c.BaseURL(), "https://") }

// Simulated reports whether the portal talks to its built-in simulator.
func (c Config) Simulated() bool { return c.KVStoreEndpoint == "" }

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		Addr:                   p.str("PORTAL_ADDR", "127.0.0.1:8080"),
		DatabaseURL:            p.str("DATABASE_URL", ""),
		DatabaseDirectURL:      p.str("DATABASE_DIRECT_URL", ""),
		DBPooler:               Pooler(p.str("PORTAL_DB_POOLER", string(PoolerNone))),
		DataDir:                p.str("PORTAL_DATA_DIR", "./.portal"),
		KVStoreEndpoint:        p.str("PORTAL_KVSTORE_ENDPOINT", ""),
		AccessKeyID:            p.str("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
		AccessKeySecret:        p.str("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
		RetryBaseDelay:         p.duration("PORTAL_RETRY_BASE_DELAY", defaults.RetryBaseDelay),
		MaxAttempts:            p.positiveInt("PORTAL_MAX_ATTEMPTS", defaults.MaxAttempts),
		LeaseTimeout:           p.duration("PORTAL_LEASE_TIMEOUT", defaults.LeaseTimeout),
		ProvisionerConcurrency: p.positiveInt("PORTAL_PROVISIONER_CONCURRENCY", defaults.ProvisionerConcurrency),
		SessionKey:             p.str("PORTAL_SESSION_KEY", ""),
		SecretKey:              p.str("PORTAL_SECRET_KEY", ""),
		TrustProxy:             p.boolean("PORTAL_TRUST_PROXY", false),
		WebhookURL:             p.str("PORTAL_WEBHOOK_URL", ""),
		WebhookSecret:          p.str("PORTAL_WEBHOOK_SECRET", ""),
		PublicURL:              strings.TrimRight(p.str("PORTAL_PUBLIC_URL", ""), "/"),
		LocalLogin:             p.boolean("PORTAL_LOCAL_LOGIN", true),
		OIDC: OIDC{
			Issuer:          p.str("PORTAL_OIDC_ISSUER", ""),
			ClientID:        p.str("PORTAL_OIDC_CLIENT_ID", ""),
			ClientSecret:    p.str("PORTAL_OIDC_CLIENT_SECRET", ""),
			Scopes:          strings.Fields(p.str("PORTAL_OIDC_SCOPES", defaults.OIDCScopes)),
			GroupsClaim:     p.str("PORTAL_OIDC_GROUPS_CLAIM", defaults.OIDCGroupsClaim),
			AdminGroups:     p.list("PORTAL_OIDC_ADMIN_GROUPS"),
			ApproverGroups:  p.list("PORTAL_OIDC_APPROVER_GROUPS"),
			RequesterGroups: p.list("PORTAL_OIDC_REQUESTER_GROUPS"),
			TeamGroups:      p.teamGroups("PORTAL_OIDC_TEAM_GROUPS"),
		},
		RequeueWindow:      p.duration("PORTAL_REQUEUE_WINDOW", defaults.RequeueWindow),
		MinLease:           p.duration("PORTAL_MIN_LEASE", domain.DefaultMinLease),
		LeaseSweepInterval: p.duration("PORTAL_LEASE_SWEEP_INTERVAL", domain.DefaultLeaseSweepInterval),
		APIRate:            p.positiveInt("PORTAL_API_RATE", defaults.APIRate),
		APIBurst:           p.positiveInt("PORTAL_API_BURST", defaults.APIBurst),
		PprofAddr:          p.str("PORTAL_PPROF_ADDR", ""),
		Slack: Slack{
			BotToken:      p.str("PORTAL_SLACK_BOT_TOKEN", ""),
			SigningSecret: p.str("PORTAL_SLACK_SIGNING_SECRET", ""),
			Channel:       p.str("PORTAL_SLACK_CHANNEL", ""),
			MatchEmail:    p.boolean("PORTAL_SLACK_MATCH_EMAIL", false),
		},
	}
	if c.Simulated() {
		var err error
		if c.Sim, err = Simulator(getenv); err != nil {
			p.errs = append(p.errs, err)
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		p.fail("PORTAL_ADDR", "not a host:port address", c.Addr)
	}
	if c.KVStoreEndpoint != "" {
		// The client's own rule (https://, or http:// to a loopback host),
		// checked here so that the variable is named at start.
		if _, _, err := endpoint.Parse(c.KVStoreEndpoint); err != nil {
			p.errs = append(p.errs, fmt.Errorf("PORTAL_KVSTORE_ENDPOINT: not a scheme://host[:port] endpoint: %w", err))
		}
		if c.AccessKeyID == "" || c.AccessKeySecret == "" {
			p.errs = append(p.errs, errors.New("ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are required with PORTAL_KVSTORE_ENDPOINT"))
		}
	}
	if c.WebhookURL != "" {
		if problem := webhookURLProblem(c.WebhookURL); problem != "" {
			p.fail("PORTAL_WEBHOOK_URL", problem, redactURL(c.WebhookURL))
		}
	} else if c.WebhookSecret != "" {
		p.errs = append(p.errs, errors.New("PORTAL_WEBHOOK_SECRET is set without PORTAL_WEBHOOK_URL"))
	}
	if c.PublicURL != "" {
		if problem := publicURLProblem(c.PublicURL); problem != "" {
			p.fail("PORTAL_PUBLIC_URL", problem, redactURL(c.PublicURL))
		}
	}
	p.checkOIDC(c)
	p.checkSlack(c.Slack)
	p.checkDatabase(c)
	if c.DataDir == "" {
		p.fail("PORTAL_DATA_DIR", "must not be empty", c.DataDir)
	} else if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	if c.LeaseTimeout > 0 && c.LeaseTimeout < defaults.MinLeaseTimeout {
		p.fail("PORTAL_LEASE_TIMEOUT", "must be at least "+defaults.MinLeaseTimeout.String(), c.LeaseTimeout.String())
	}
	return c, errors.Join(p.errs...)
}

// Simulator reads the simulator's settings: simconfig.DefaultOptions, each
// replaced by its flag's variable when set (PORTAL_SIM_LATENCY for
// --latency, PORTAL_SIM_ACCESS_KEY_ID for --access-key-id…), parsed as the
// flag is. `portal sim` then lets its flags override them; the portal's
// built-in simulator takes its faults from them.
func Simulator(getenv func(string) string) (simconfig.Options, error) {
	o := simconfig.DefaultOptions()
	fs := flag.NewFlagSet("PORTAL_SIM", flag.ContinueOnError)
	simconfig.BindFlags(fs, &o)
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := "PORTAL_SIM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return o, errors.Join(errs...)
}

// webhookURLProblem says what is wrong with a webhook URL, "" when nothing:
// like the R-KVStore endpoint, plain http:// is only for a loopback host.
func webhookURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "not an http(s)://host[:port][/path] URL"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !endpoint.IsLoopbackHost(u.Hostname()) {
			return "plain http:// is only allowed to a loopback host (127.0.0.1, ::1, localhost); use https://"
		}
	default:
		return "must start with https:// (or http:// to a loopback host)"
	}
	return ""
}

// publicURLProblem says what is wrong with the portal's public URL, ""
// when nothing: http(s)://host[:port][/path], nothing else.
func publicURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		return "not an http(s)://host[:port][/path] URL"
	}
	return ""
}

// redactURL is a URL fit for an error message: its query (where a receiver
// may keep a token) and any user information left out.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// checkOIDC checks the single sign-on variables together.
func (p *parser) checkOIDC(c Config) {
	o := c.OIDC
	if o.Issuer == "" {
		if !c.LocalLogin {
			p.errs = append(p.errs, errors.New("PORTAL_LOCAL_LOGIN=false needs PORTAL_OIDC_ISSUER: nobody could sign in"))
		}
		if o.ClientID != "" || o.ClientSecret != "" {
			p.errs = append(p.errs, errors.New("PORTAL_OIDC_CLIENT_ID or PORTAL_OIDC_CLIENT_SECRET is set without PORTAL_OIDC_ISSUER"))
		}
		return
	}
	// Like the other endpoints: https://, or http:// to a loopback host.
	if problem := webhookURLProblem(o.Issuer); problem != "" {
		p.fail("PORTAL_OIDC_ISSUER", problem, redactURL(o.Issuer))
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		p.errs = append(p.errs, errors.New("PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET are required with PORTAL_OIDC_ISSUER"))
	}
	if !slices.Contains(o.Scopes, "openid") {
		p.fail("PORTAL_OIDC_SCOPES", "must include openid", strings.Join(o.Scopes, " "))
	}
	if len(o.AdminGroups)+len(o.ApproverGroups)+len(o.RequesterGroups) == 0 {
		p.errs = append(p.errs, errors.New("PORTAL_OIDC_ISSUER needs at least one of PORTAL_OIDC_ADMIN_GROUPS, "+
			"PORTAL_OIDC_APPROVER_GROUPS and PORTAL_OIDC_REQUESTER_GROUPS: without them everyone is refused"))
	}
}

// checkSlack checks the Slack variables together: the app needs all three,
// and half a set is a mistake to say at start rather than an app that
// posts but can't hear clicks (or the reverse).
func (p *parser) checkSlack(s Slack) {
	names := []string{"PORTAL_SLACK_BOT_TOKEN", "PORTAL_SLACK_SIGNING_SECRET", "PORTAL_SLACK_CHANNEL"}
	var set, missing []string
	for i, v := range []string{s.BotToken, s.SigningSecret, s.Channel} {
		if v != "" {
			set = append(set, names[i])
		} else {
			missing = append(missing, names[i])
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		p.errs = append(p.errs, fmt.Errorf("Slack approvals need %s together: %s set, %s missing",
			strings.Join(names, ", "), strings.Join(set, " and "), strings.Join(missing, " and ")))
	}
	if s.Channel != "" && !domain.ValidSlackChannel(s.Channel) {
		p.fail("PORTAL_SLACK_CHANNEL", domain.SlackChannelRule, s.Channel)
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken, "xoxb-") {
		p.errs = append(p.errs, errors.New("PORTAL_SLACK_BOT_TOKEN: not a bot token (they start with xoxb-)"))
	}
	// Only single sign-on users have an email address the portal can
	// trust (their provider verified it): matching needs SSO to be of use,
	// and Slack on.
	if s.MatchEmail && s.BotToken == "" {
		p.errs = append(p.errs, errors.New("PORTAL_SLACK_MATCH_EMAIL=true needs Slack approvals on (PORTAL_SLACK_BOT_TOKEN and the others)"))
	}
}

// pgBouncerStartupParams are the start-up parameters PgBouncer passes on
// (it tracks them per server connection); it refuses a client that sends
// any other, such as search_path or options, unless told to ignore it,
// and then the setting silently never reaches Postgres.
var pgBouncerStartupParams = []string{"application_name", "client_encoding", "datestyle", "timezone", "standard_conforming_strings"}

// checkDatabase checks the database variables together: a pooler or a
// direct URL only make sense with DATABASE_URL, and a URL through a
// transaction pooler must carry nothing PgBouncer refuses or that needs a
// server connection of its own.
func (p *parser) checkDatabase(c Config) {
	switch c.DBPooler {
	case PoolerNone, PoolerSession, PoolerTransaction:
	default:
		p.fail("PORTAL_DB_POOLER", "one of none, session, transaction", string(c.DBPooler))
		return
	}
	if c.DatabaseURL == "" {
		if c.DatabaseDirectURL != "" || c.DBPooler != PoolerNone {
			p.errs = append(p.errs, errors.New("DATABASE_DIRECT_URL and PORTAL_DB_POOLER need DATABASE_URL: the embedded Postgres has no pooler in front"))
		}
		return
	}
	if c.DatabaseDirectURL != "" {
		if _, err := pgxpool.ParseConfig(c.DatabaseDirectURL); err != nil {
			p.errs = append(p.errs, fmt.Errorf("DATABASE_DIRECT_URL: %w", err))
		}
	}
	if !c.DBPooler.Transaction() {
		return
	}
	pc, err := pgxpool.ParseConfig(c.DatabaseURL)
	if err != nil {
		return // reported when the database is opened, with its variable
	}
	for name := range pc.ConnConfig.RuntimeParams {
		if !slices.Contains(pgBouncerStartupParams, strings.ToLower(name)) {
			p.errs = append(p.errs, fmt.Errorf("DATABASE_URL (or PGOPTIONS): the start-up parameter %s is refused by PgBouncer "+
				"with PORTAL_DB_POOLER=transaction; set it on the database or role instead (ALTER ROLE … SET %s …)", name, name))
		}
	}
	// Describe-then-execute runs a statement described on one server
	// connection on another: only single round trip modes are safe.
	if pc.ConnConfig.DefaultQueryExecMode == pgx.QueryExecModeDescribeExec {
		p.fail("DATABASE_URL", "default_query_exec_mode=describe_exec does not work through a transaction pooler (leave it unset)", "describe_exec")
	}
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, problem, value string) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s: %s", name, problem, value))
}

func (p *parser) str(name, def string) string {
	if v := p.getenv(name); v != "" {
		return v
	}
	return def
}

// list reads a comma-separated list, blanks around each item dropped.
func (p *parser) list(name string) []string {
	var out []string
	for _, v := range strings.Split(p.getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// teamGroups reads "group=team,group=team": a group may map to several
// teams and several groups to one team.
func (p *parser) teamGroups(name string) map[string][]string {
	var out map[string][]string
	for _, pair := range p.list(name) {
		group, team, ok := strings.Cut(pair, "=")
		group, team = strings.TrimSpace(group), strings.TrimSpace(team)
		switch {
		case !ok || group == "":
			p.fail(name, "each entry is group=team", pair)
			continue
		case !domain.ValidTeamName(team):
			p.fail(name, "the team's name: "+domain.TeamNameRule, pair)
			continue
		}
		if out == nil {
			out = map[string][]string{}
		}
		if !slices.Contains(out[group], team) {
			out[group] = append(out[group], team)
		}
	}
	return out
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(name, "not a duration", v)
		return def
	}
	if d <= 0 {
		p.fail(name, "must be positive", v)
		return def
	}
	return d
}

func (p *parser) positiveInt(name string, def int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, "not a whole number", v)
		return def
	}
	if n < 1 {
		p.fail(name, "must be at least 1", v)
		return def
	}
	return n
}

func (p *parser) boolean(name string, def bool) bool {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "not true or false", v)
		return def
	}
	return b
}
