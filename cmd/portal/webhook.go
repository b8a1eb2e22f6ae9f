package main

import (
	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/notify"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/store"
)

// openStore is the store on db's pool. With PORTAL_WEBHOOK_URL set, its event
// hook is the webhook outbox, so that every announced change enqueues its
// webhook in its own transaction.
func openStore(db *database, cfg config.Config) (*store.Store, error) {
	window := store.WithRequeueWindow(cfg.RequeueWindow)
	if cfg.WebhookURL == "" {
		return store.New(db.pool, window), nil
	}
	outbox, err := notify.NewOutbox(db.pool, 0, cfg.BaseURL())
	if err != nil {
		return nil, err
	}
	return store.New(db.pool, store.WithEventHook(outbox.Hook), window), nil
}

// webhookDelivery is the provisioner's extra work with PORTAL_WEBHOOK_URL
// set: delivering the webhooks, on their own queue.
func webhookDelivery(e env, cfg config.Config) ([]provisioner.Extension, error) {
	if cfg.WebhookURL == "" {
		return nil, nil
	}
	d, err := notify.NewDeliverer(notify.DelivererConfig{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Logger: e.logger})
	if err != nil {
		return nil, err
	}
	return []provisioner.Extension{d}, nil
}
