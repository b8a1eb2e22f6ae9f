package main

import (
	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/notify"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/store"
)

// webhooks are the notifications of a process with PORTAL_WEBHOOK_URL set:
// the outbox, which is the store's event hook, and the deliverer. Both go
// through the provisioner's River client, the one client of the process
// (see extend).
type webhooks struct {
	outbox    *notify.Outbox
	deliverer *notify.Deliverer
}

// openStore is the store on db's pool and, with PORTAL_WEBHOOK_URL set, its
// webhooks (nil without): the store's event hook is their outbox, so that
// every announced change enqueues its webhook in its own transaction.
func openStore(e env, db *database, cfg config.Config) (*store.Store, *webhooks, error) {
	window := store.WithRequeueWindow(cfg.RequeueWindow)
	if cfg.WebhookURL == "" {
		return store.New(db.pool, window), nil, nil
	}
	d, err := notify.NewDeliverer(notify.DelivererConfig{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Logger: e.logger})
	if err != nil {
		return nil, nil, err
	}
	w := &webhooks{outbox: notify.NewOutbox(0, cfg.BaseURL()), deliverer: d}
	return store.New(db.pool, store.WithEventHook(w.outbox.Hook), window), w, nil
}

// extend makes the webhooks part of the provisioner pcfg builds: its River
// client works the deliveries, on their own queue, and is the one the
// outbox inserts with. Nothing without webhooks.
func (w *webhooks) extend(pcfg *provisioner.Config) {
	if w == nil {
		return
	}
	pcfg.Extra = append(pcfg.Extra, w.deliverer)
	pcfg.Inserters = append(pcfg.Inserters, w.outbox)
}
