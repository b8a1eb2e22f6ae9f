package main

import (
	"net/http"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/notify"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/slackapp"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// webhooks are the notifications of a process: with PORTAL_WEBHOOK_URL
// set, the webhook outbox and its deliverer; with the PORTAL_SLACK_*
// variables set, the Slack app's outbox and the app. Each outbox is an
// event hook of the store; everything goes through the provisioner's River
// client, the one client of the process (see extend).
type webhooks struct {
	outbox    *notify.Outbox
	deliverer *notify.Deliverer

	slackOutbox *slackapp.Outbox
	slack       *slackapp.App
}

// openStore is the store on db's pool and its notifications (nil without
// any): the store's event hooks are their outboxes, so that every
// announced change enqueues its webhook and its Slack message in its own
// transaction.
func openStore(e env, db *database, cfg config.Config) (*store.Store, *webhooks, error) {
	opts := []store.Option{store.WithRequeueWindow(cfg.RequeueWindow)}
	var w webhooks
	if cfg.WebhookURL != "" {
		d, err := notify.NewDeliverer(notify.DelivererConfig{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Logger: e.logger})
		if err != nil {
			return nil, nil, err
		}
		w.outbox, w.deliverer = notify.NewOutbox(0, cfg.BaseURL()), d
		opts = append(opts, store.WithEventHook(w.outbox.Hook))
	}
	if cfg.Slack.Enabled() {
		w.slackOutbox = slackapp.NewOutbox(cfg.Slack.Channel)
		opts = append(opts, store.WithEventHook(w.slackOutbox.Hook))
	}
	st := store.New(db.pool, opts...)
	if cfg.Slack.Enabled() {
		app, err := slackapp.New(slackapp.Config{BotToken: cfg.Slack.BotToken, SigningSecret: cfg.Slack.SigningSecret,
			DefaultChannel: cfg.Slack.Channel, MatchEmail: cfg.Slack.MatchEmail, BaseURL: cfg.BaseURL(), Store: st, Logger: e.logger, Clock: e.clock})
		if err != nil {
			return nil, nil, err
		}
		w.slack = app
	}
	if w.outbox == nil && w.slack == nil {
		return st, nil, nil
	}
	return st, &w, nil
}

// extend makes the notifications part of the provisioner pcfg builds: its
// River client works the deliveries and the Slack messages, on queues of
// their own, and is the one the outboxes insert with. Nothing without
// notifications.
func (w *webhooks) extend(pcfg *provisioner.Config) {
	if w == nil {
		return
	}
	if w.outbox != nil {
		pcfg.Extra = append(pcfg.Extra, w.deliverer)
		pcfg.Inserters = append(pcfg.Inserters, w.outbox)
	}
	if w.slack != nil {
		pcfg.Extra = append(pcfg.Extra, w.slack)
		pcfg.Inserters = append(pcfg.Inserters, w.slackOutbox)
	}
}

// slackInteractions is the Slack app's interactions endpoint on flow, nil
// without Slack.
func (w *webhooks) slackInteractions(flow *workflow.Workflow) http.Handler {
	if w == nil || w.slack == nil {
		return nil
	}
	return w.slack.Interactions(flow)
}

// slackLinker is the Slack app for the settings page, nil without Slack.
func (w *webhooks) slackLinker() *slackapp.App {
	if w == nil {
		return nil
	}
	return w.slack
}
