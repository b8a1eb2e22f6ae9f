// Package slackapp is the portal's Slack app: approvals in Slack.
//
// A request that waits for a person is posted to its team's Slack channel
// (or the default one) with what it asks and Approve / Reject buttons; a
// click comes back to POST /chat/slack/interactions, signed by Slack, and
// takes the same workflow step as the page's button (so the role, the
// four-eyes rule, the budget re-check and one winner under races hold),
// recorded with the detail via: slack. Whatever decides the request (Slack,
// a page, the API, its requester cancelling it) and whatever ends it
// (created, failed) updates the message in place.
//
// Messages go through an outbox on the portal's own queue, as webhooks do
// (package notify): Outbox.Hook, a store event hook, makes the request's
// message row and inserts a sync job in the transaction of the change, and
// the App's worker, run by the provisioner's River client, brings the
// message up to date under the row's lock. So a submission that rolls back
// posts nothing, one that commits is posted once however many processes
// run, and a message is updated, never posted twice. (Should a process die
// between Slack's answer to chat.postMessage and the commit that keeps its
// ts, the retry posts again: Slack has no idempotency key for messages.)
//
// A click acts as the portal user whose Slack account is linked to the
// clicker's (see link.go); an unlinked or refused click changes nothing and
// is answered with an ephemeral message only its clicker sees.
package slackapp

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// Via is the value of the audit detail via for steps taken in Slack.
const Via = "slack"

// Config configures an App. BotToken, SigningSecret, DefaultChannel and
// Store are required.
type Config struct {
	// BotToken is the app's bot token, xoxb-… (PORTAL_SLACK_BOT_TOKEN).
	BotToken string
	// SigningSecret verifies that an interaction comes from Slack
	// (PORTAL_SLACK_SIGNING_SECRET).
	SigningSecret string
	// DefaultChannel is where the requests of a team without a channel of
	// its own are posted (PORTAL_SLACK_CHANNEL).
	DefaultChannel string
	// MatchEmail: a click from a Slack account nobody linked acts as the
	// one portal user whose identity provider verified the email address
	// Slack gives for it (users.info, scope users:read.email)
	// (PORTAL_SLACK_MATCH_EMAIL).
	MatchEmail bool
	// BaseURL is the portal's public URL: messages link to request pages
	// and to /settings/slack under it.
	BaseURL string
	// APIURL is Slack's Web API, ending in "/" (a fake Slack in tests);
	// "" for Slack's own.
	APIURL string
	Store  *store.Store
	Logger *slog.Logger
	// Clock dates the messages and the link codes; nil: the system's.
	Clock domain.Clock
	// HTTPClient calls Slack; nil: one with a 10-second timeout.
	HTTPClient *http.Client
	// Concurrency is the number of message syncs in flight at once.
	Concurrency int
}

// App is the Slack app of one process: the message worker, the
// interactions endpoint (Interactions) and the account links.
type App struct {
	cfg Config
	api *slack.Client
}

// New returns an App for cfg.
func New(cfg Config) (*App, error) {
	if cfg.BotToken == "" || cfg.SigningSecret == "" || cfg.DefaultChannel == "" || cfg.Store == nil {
		return nil, errors.New("slackapp: BotToken, SigningSecret, DefaultChannel and Store are required")
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.Concurrency = cmp.Or(max(cfg.Concurrency, 0), 2)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	opts := []slack.Option{slack.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	return &App{cfg: cfg, api: slack.New(cfg.BotToken, opts...)}, nil
}

func (a *App) now() time.Time { return domain.Now(a.cfg.Clock) }
